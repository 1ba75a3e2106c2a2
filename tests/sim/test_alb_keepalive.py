"""Backend keep-alive connections and draining (fact sheet part 2 §9.10), and the requests a
target group received (RequestCountPerTarget): exact times and counts."""

import pytest

from tests.sim.alb_harness import Harness


def test_sequential_requests_reuse_one_connection_and_concurrent_ones_open_more():
    h = Harness(["us-east-1a"], workers=4, cpu=[1.0] * 10)
    conns = h.tg.targets[h.insts[0]].conns
    h.send()
    h.env.run(until=2)
    h.send()
    h.env.run(until=4)
    assert conns.opened == 1  # the second request reused the idle connection
    for _ in range(3):
        h.send()
    h.env.run(until=10)
    assert conns.opened == 3  # three at once: two more connections
    assert conns.open_count(10.0) == 3 and conns.busy == 0
    assert conns.open_count(10.0 + 75.0) == 0  # all idle past the 75 s keep-alive


def test_a_target_with_idle_keepalive_connections_drains_when_the_last_one_closes():
    h = Harness(["us-east-1a", "us-east-1b"], workers=1, cpu=[0.5] * 100)
    a = h.insts[0]
    sent = h.send_every(1.0, until=10.0)  # round robin: a gets every other request
    h.env.run(until=20)
    last = max(h.outcomes[r.id][0] for r in sent if r.instance is a)
    drained: list[float] = []
    h.tg.deregister(a, lambda inst: drained.append(h.env.now))
    h.env.run(until=400)
    # No request in flight, but its last connection stays open until the target's keep-alive
    # (default 75 s) closes it: deregistration completes then, not at once (§9.10).
    assert drained == [pytest.approx(last + 75.0)]
    assert h.rec.drain_times == [pytest.approx(last + 75.0 - 20.0)]


def test_a_target_without_connections_drains_at_once():
    h = Harness(["us-east-1a"], workers=1)
    fresh = h.add("us-east-1b", healthy=True)  # registered, never sent a request
    drained: list[float] = []
    h.env.run(until=5)
    h.tg.deregister(fresh, lambda inst: drained.append(h.env.now))
    h.env.run(until=6)
    assert drained == [5.0]
    events = [e for e in h.rec.events if e.kind == "target.unused"]
    assert events[-1].detail == "deregistered after 0 s"


def test_an_unhealthy_targets_idle_connections_are_closed():
    h = Harness(["us-east-1a", "us-east-1b"], workers=1, cpu=[0.5] * 10)
    first = h.send()
    a = first.instance
    h.env.run(until=2)
    h.tg.set_health(a, "unhealthy")  # connection termination on unhealthy is on (§9.10)
    drained: list[float] = []
    h.tg.deregister(a, lambda inst: drained.append(h.env.now))
    h.env.run(until=10)
    assert drained == [2.0]


def test_an_in_flight_request_then_its_idle_connection_hold_the_drain():
    h = Harness(["us-east-1a", "us-east-1b"], workers=1, cpu=[20.0] + [0.01] * 100)
    long = h.send()
    a = long.instance
    drained: list[float] = []
    h.env.run(until=1)
    h.tg.deregister(a, lambda inst: drained.append(h.env.now))
    h.env.run(until=400)
    assert h.outcomes[long.id] == (20.0, "ok")
    # The response at 20 s leaves its connection idle; it closes 75 s later.
    assert drained == [pytest.approx(95.0)]


def test_a_request_still_running_when_the_delay_ends_fails_502():
    # The idle timeout (60 s) would end the request first: make it longer.
    h2 = Harness(
        ["us-east-1a", "us-east-1b"],
        workers=1,
        cpu=[500.0, 500.0],
        idle_timeout=4000,
        deregistration_delay=100,
    )
    running = h2.send()
    a = running.instance
    h2.env.run(until=1)
    drained: list[float] = []
    h2.tg.deregister(a, lambda inst: drained.append(h2.env.now))
    h2.env.run(until=300)
    assert h2.outcomes[running.id] == (101.0, "502 deregistration_timeout")
    assert drained == [101.0]


def test_received_counts_requests_routed_to_a_target_only():
    h = Harness(["us-east-1a"], workers=1, cpu=[0.1] * 10)
    for _ in range(3):
        h.send()
    h.env.run(until=5)
    h.tg.deregister(h.insts[0], lambda inst: None)
    h.send()  # the only target is draining: 503, never received by a target
    h.env.run(until=400)
    assert h.tg.received == 3
    assert sorted(c for _, c in h.outcomes.values()) == ["503 no_healthy_targets"] + ["ok"] * 3
