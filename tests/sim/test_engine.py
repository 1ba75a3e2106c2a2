"""Engine: timed calls share SimPy's heap and keep exactly the order Timeouts would have.

Every test runs on both heap representations (tuples, as the pure-Python package uses, and
entries, as the compiled build uses); the last ones check that the two give one order on random
schedules and on a whole scenario.
"""

from __future__ import annotations

import hashlib
import heapq
import json

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

import fleetsim
import fleetsim.sim.engine as engine_module
from fleetsim._version import build
from fleetsim.sim.engine import Engine, _Entry, _EntryHeap

HEAPS = pytest.mark.parametrize("native", [False, True], ids=["tuples", "entries"])


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


@HEAPS
def test_timed_calls_run_in_timeout_order(native: bool):
    expected = _trace(simpy.Environment(), use_calls=False)
    assert _trace(Engine(native=native), use_calls=True) == expected
    assert _trace(Engine(native=native), use_calls=False) == expected  # plain SimPy too
    assert [label for t, label in expected if t == 1.0] == [
        "t1",
        "t2",
        "process",
        "zero-delay from process",
    ]


@HEAPS
def test_clock_follows_the_run_and_peek_sees_calls(native: bool):
    env = Engine(native=native)
    assert env.peek() == float("inf")
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


@HEAPS
def test_a_failed_event_still_crashes_the_run(native: bool):
    env = Engine(native=native)

    def boom():  # type: ignore[no-untyped-def]
        yield env.timeout(1.0)
        raise RuntimeError("boom")

    env.process(boom())
    with pytest.raises(RuntimeError, match="boom"):
        env.run()


@HEAPS
def test_a_defused_failure_does_not_crash_the_run(native: bool):
    env = Engine(native=native)
    failed = env.event()
    failed.callbacks.append(lambda e: setattr(e, "defused", True))
    failed.fail(RuntimeError("handled"))
    env.run()
    assert failed.processed and not failed.ok and failed.defused


@HEAPS
def test_a_stop_on_an_event_keeps_its_other_callbacks_for_the_resumed_run(native: bool):
    # As SimPy 4.1 does (4.0 dropped them): the callbacks after the stop run first on resuming.
    env = Engine(native=native)
    seen: list[tuple[float, str]] = []
    done = env.timeout(1.0, "done")
    env.timeout(1.5).callbacks.append(lambda e: seen.append((env.now, "a timeout at 1.5")))
    env.call_later(1.0, lambda _arg: seen.append((env.now, "a call at 1.0")))
    # Added while the run below waits for ``done``, so after the callback that stops it.
    env.call_later(0.5, lambda _arg: done.callbacks.append(lambda e: seen.append((1.0, "after"))))
    assert env.run(until=done) == "done" and seen == []
    env.run()
    assert seen == [(1.0, "after"), (1.0, "a call at 1.0"), (1.5, "a timeout at 1.5")]


@HEAPS
def test_step_and_an_empty_schedule(native: bool):
    env = Engine(native=native)
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()
    done = env.timeout(2.0, "value")
    assert env.run(until=done) == "value" and env.now == 2.0
    with pytest.raises(RuntimeError, match="No scheduled events left"):
        env.run(until=env.event())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 1.5, 1e-9]), st.integers(-1, 1))))
def test_entry_heap_pops_in_heapq_order(keys: list[tuple[float, int]]):
    # Few distinct times and priorities, so ties are frequent; the insertion number decides.
    heap = _EntryHeap()
    reference: list[tuple[float, int, int]] = []
    for eid, (time, priority) in enumerate(keys):
        heap.push(_Entry(time, priority * (1 << 50) + eid, print, eid))
        heapq.heappush(reference, (time, priority, eid))
    popped = [heap.pop().arg for _ in keys]
    assert popped == [heapq.heappop(reference)[2] for _ in keys]
    assert not heap.items


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.25, 1.0, 2.5]), st.integers(0, 2), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_both_heaps_and_simpy_run_random_schedules_alike(plan: list[tuple[float, int, bool]]):
    # Each step schedules some follow-ups (calls or Timeouts) from inside the running schedule.
    def trace(env: simpy.Environment, calls: bool) -> list[tuple[float, int]]:
        seen: list[tuple[float, int]] = []

        def run(i: int) -> None:
            seen.append((env.now, i))
            delay, fanout, as_call = plan[i]
            for j in range(fanout):
                nxt = (i * 3 + j + 1) % len(plan)
                if len(seen) < 200:
                    later(delay, nxt, as_call)

        def later(delay: float, i: int, as_call: bool) -> None:
            if calls and as_call:
                assert isinstance(env, Engine)
                env.call_later(delay, run, i)
            else:
                env.timeout(delay, i).callbacks.append(lambda e: run(e.value))

        later(0.0, 0, True)
        env.run(until=50.0)
        return seen

    expected = trace(simpy.Environment(), calls=False)
    assert trace(Engine(native=False), calls=True) == expected
    assert trace(Engine(native=True), calls=True) == expected


def _scenario_digest() -> str:
    # The AZ outage exercises processes, Timeouts and timed calls together.
    result = fleetsim.simulate(fleetsim.load_scenario("az-outage", "stateful", ["duration=30m"]))
    summary = {k: v for k, v in result.summary().items() if k != "wall_s"}
    h = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode())
    h.update(result.timeline.to_csv().encode() + result.sessions.to_csv().encode())
    return h.hexdigest()


def test_a_scenario_gives_the_same_results_on_both_heaps(monkeypatch: pytest.MonkeyPatch):
    # The compiled build uses entries; tests/test_compiled.py checks every packaged scenario.
    monkeypatch.setattr(engine_module, "NATIVE_HEAP", False)
    tuples = _scenario_digest()
    monkeypatch.setattr(engine_module, "NATIVE_HEAP", True)
    assert Engine().clock.native  # the world's engine will take the patched default
    assert _scenario_digest() == tuples


def test_spent_entries_do_not_pile_up():
    # The entry heap keeps spent entries for reuse; SimPy's events must draw on them too, or
    # a long run would keep one per event ever fired.
    env = Engine(native=True)

    def ticker():  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(1.0)
            env.call_later(0.5, lambda _arg: None)

    env.process(ticker())
    env.run(until=10_000.0)
    assert len(env.clock.spare) <= 4


def test_results_record_the_build():
    result = fleetsim.simulate(fleetsim.load_scenario("az-outage", "stateful", ["duration=1m"]))
    expected = "compiled" if engine_module.NATIVE_HEAP else "pure"
    assert result.meta["build"] == build() == expected
