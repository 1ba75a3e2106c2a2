"""Engine: timed calls share SimPy's heap and keep exactly the order Timeouts would have."""

from __future__ import annotations

import pytest
import simpy

from fleetsim.sim.engine import Engine


def _trace(env: simpy.Environment, use_calls: bool) -> list[tuple[float, str]]:
    # The same schedule made of Timeouts (plain SimPy) or of timed calls (Engine), with ties.
    seen: list[tuple[float, str]] = []

    def later(delay: float, label: str) -> None:
        if use_calls:
            assert isinstance(env, Engine)
            env.call_later(delay, lambda arg: seen.append((env.now, arg)), label)
        else:
            env.timeout(delay, label).callbacks.append(lambda e: seen.append((env.now, e.value)))

    def proc():  # type: ignore[no-untyped-def]
        yield env.timeout(1.0)
        seen.append((env.now, "process"))
        later(0.0, "zero-delay from process")
        yield env.timeout(1.0)
        seen.append((env.now, "process again"))

    for i, delay in enumerate([2.0, 1.0, 1.0, 0.5, 2.0, 3.0]):
        later(delay, f"t{i}")
    env.process(proc())
    env.run(until=2.0)  # a stop event before every regular event at 2.0
    seen.append((env.now, "paused"))
    env.run()
    return seen


def test_timed_calls_run_in_timeout_order():
    expected = _trace(simpy.Environment(), use_calls=False)
    assert _trace(Engine(), use_calls=True) == expected
    assert _trace(Engine(), use_calls=False) == expected  # plain SimPy on the Engine too
    assert [label for t, label in expected if t == 1.0] == [
        "t1",
        "t2",
        "process",
        "zero-delay from process",
    ]


def test_clock_follows_the_run_and_peek_sees_calls():
    env = Engine()
    env.call_later(4.0, lambda _arg: None)
    assert env.peek() == 4.0
    times: list[float] = []
    env.call_later(1.5, lambda _arg: times.append(env.clock.now))
    env.step()
    assert times == [1.5] and env.now == 1.5
    env.run(until=3.0)
    assert env.now == env.clock.now == 3.0
    with pytest.raises(ValueError, match="greater than"):
        env.run(until=2.0)


def test_a_failed_event_still_crashes_the_run():
    env = Engine()

    def boom():  # type: ignore[no-untyped-def]
        yield env.timeout(1.0)
        raise RuntimeError("boom")

    env.process(boom())
    with pytest.raises(RuntimeError, match="boom"):
        env.run()
