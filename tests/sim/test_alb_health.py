"""Health checks (fact sheet §1.1): thresholds in numbers, the overload death spiral, check cost."""

import pytest

from fleetsim.config import load_scenario
from fleetsim.sim.world import World, simulate
from tests.conftest import BASE, merge
from tests.sim.alb_harness import Harness


def _state_times(h, name, state):
    return [e[0] for e in h.rec.events if e[1] == f"target.{state}" and e[4] == name]


def test_an_unhealthy_target_needs_five_passing_checks_to_return():
    # Defaults: interval 30 s, healthy threshold 5 (§1.1). A target that answers again at t is
    # healthy after its next check (within one interval) plus four more: between 120 s and 150 s.
    h = Harness(["us-east-1a", "us-east-1b"])
    a = h.insts[0]
    a.reachable = False
    h.env.run(until=100)
    down = _state_times(h, a.name, "unhealthy")
    # Failing since 0: unhealthy after between 30 x (2 - 1) + 5 and 30 x 2 + 5 s (§1.1).
    assert len(down) == 1 and 35.0 <= down[0] <= 65.0
    a.reachable = True
    h.env.run(until=400)
    up = [t for t in _state_times(h, a.name, "healthy") if t > 0]
    assert len(up) == 1 and 120.0 < up[0] - 100.0 <= 150.0


def test_a_failing_check_takes_the_timeout_and_the_interval_does_not_drift():
    h = Harness(["us-east-1a", "us-east-1b"], health_check={"interval": 10, "timeout": 4})
    a = h.insts[0]
    h.env.run(until=50)
    a.reachable = False
    h.env.run(until=200)
    (down,) = _state_times(h, a.name, "unhealthy")
    # Checks stay on their 10 s grid; the second failing one ends timeout (4 s) after it started:
    # unhealthy between 10 x (2 - 1) + 4 = 14 and 10 x 2 + 4 = 24 s after the failure.
    assert 14.0 <= down - 50.0 <= 24.0


def _busy_instance(workers: int = 1, queue: int = 4, **health_check):  # type: ignore[no-untyped-def]
    # One target whose requests last 3 s each (none after the first three).
    h = Harness(["us-east-1a"], workers=workers, queue=queue, cpu=[3.0, 3.0, 3.0], **health_check)
    return h, h.insts[0]


def test_a_check_waits_in_the_accept_queue_and_is_answered_when_a_worker_is_free():
    h, inst = _busy_instance()
    answers: list[float] = []
    h.send()  # takes the only worker until 3 s
    h.send()  # queued: runs from 3 s to 6 s
    h.env.run(until=1.0)
    probe = inst.probe(0.0, lambda: answers.append(h.env.now))
    assert probe is not None and answers == []
    h.send()  # arrives after the check, so it waits behind it
    h.env.run(until=10.0)
    # FIFO: at 3 s the worker goes to the request queued before the check; the check is next,
    # answered at 6 s when that request ends, ahead of the request sent after it.
    assert answers == [6.0]


def test_a_waiting_check_takes_a_queue_slot_and_a_full_queue_drops_it():
    h, inst = _busy_instance(queue=1)
    h.send()  # in service until 3 s
    assert inst.probe(0.0, lambda: None) is not None  # the one queue slot
    late = h.send()
    h.env.run(until=0.5)
    # The check holds the slot like a request: the next request is refused (§8: a check is an
    # HTTP request), and a second check finds the queue full and is dropped (never answered).
    assert h.outcomes[late.id] == (0.0, "503 target_overloaded")
    assert inst.probe(0.0, lambda: None) is None


def test_a_check_withdrawn_at_its_timeout_frees_its_slot():
    h, inst = _busy_instance(queue=1)
    h.send()
    probe = inst.probe(0.0, lambda: None)
    assert probe is not None
    inst.withdraw_probe(probe)
    queued = h.send()
    h.env.run(until=10.0)
    assert h.outcomes[queued.id] == (6.0, "ok")


@pytest.mark.parametrize(
    ("service", "through_queue", "leaves"),
    [
        (100.0, True, True),  # never answered within the 4 s timeout: unhealthy
        (3.0, True, False),  # answered within 3 s of waiting: stays healthy
        (100.0, False, False),  # checks that never see the backlog: stays healthy
    ],
)
def test_a_check_fails_when_no_worker_answers_it_within_the_timeout(service, through_queue, leaves):
    h = Harness(
        ["us-east-1a"],
        workers=1,
        queue=4,
        cpu=lambda: service,
        health_check={"interval": 10, "timeout": 4, "through_queue": through_queue},
    )
    inst = h.insts[0]
    # One request at a time, back to back (a new one every `service` seconds): the worker is
    # always busy and the check waits for at most one service behind nothing else.
    h.send_every(service, until=300)
    h.env.run(until=300)
    down = _state_times(h, inst.name, "unhealthy")
    if leaves:
        # Busy from 0: the second failing check ends 4 s after it starts: 14-24 s (§1.1).
        assert len(down) == 1 and 14.0 <= down[0] <= 24.0
    else:
        assert down == []


def _spiral(on: bool):
    # Three targets of 4 workers at 0.2 s on 4 vCPUs: 60 requests/s in all. Demand 40/s with a
    # 2-minute spike to 90/s; the accept queue (256) is long enough that a waiting check times
    # out (5 s).
    data = merge(BASE, {"duration": 900, "state": {"sessions": "ideal"}})
    data["traffic"]["shape"] = {
        "kind": "spike",
        "base": 40,
        "peak": 90,
        "at": 120,
        "rise": 30,
        "hold": 120,
        "decay": 30,
    }
    data["app"] = {
        "cpu_time": {"dist": "exponential", "mean": 0.2},
        "workers": 4,
        "queue_size": 256,
    }
    data["instance"] = {"type": "m5.xlarge"}
    data["alb"] = {"health_check": {"through_queue": on}}
    return simulate(load_scenario(data), seed=3)


def test_saturated_targets_failing_their_checks_make_the_overload_death_spiral():
    calm, spiral = _spiral(False), _spiral(True)
    # Without it the spike passes: queues grow, nothing fails.
    assert calm.summary()["requests_failed"] == 0
    assert not (calm.events.kind == "target.unhealthy").any()
    # With it a saturated target fails its checks and leaves; the others take its load, saturate
    # and leave in turn, until every target is out and the ALB fails open: overloaded targets
    # refuse requests the spike alone would only have queued. Seed 3: 1,202 requests fail.
    # They come back only once the backlog has cleared, well after the spike (ends at 300 s).
    ev = spiral.events
    unhealthy = ev[ev.kind == "target.unhealthy"]
    assert set(unhealthy.instance) == {"i-00001", "i-00002", "i-00003"}
    healthy_again = ev[(ev.kind == "target.healthy") & (ev.time > 0)]
    assert set(healthy_again.instance) == set(unhealthy.instance)
    assert healthy_again.time.min() > 300 + 2 * 30
    failed = spiral.summary()["failed_by_cause"]
    assert failed.get("503 target_overloaded", 0) > 1000


def test_checks_cost_a_worker_only_when_configured():
    def latencies(cost):
        h = Harness(["us-east-1a"], workers=1, cpu=lambda: 0.1, health_check={"cost": cost})
        reqs = h.send_every(0.5, until=300)
        h.env.run(until=310)
        return [h.outcomes[r.id][0] - r.arrived for r in reqs]

    free = latencies(0.0)
    assert max(free) < 0.1 + 1e-9  # nothing ever waits
    costly = latencies(1.0)
    # A check holds the only worker 1 s every 30 s: ten checks in 300 s, each delaying the two
    # requests that arrive during it and the one queued behind them (one every 0.5 s); none
    # waits more than the check's 1 s plus one service.
    delayed = [x for x in costly if x > 0.1 + 1e-9]
    assert 20 <= len(delayed) <= 30 and max(delayed) <= 1.1 + 1e-9


def test_a_sticky_user_rerouted_from_a_live_target_loses_an_in_memory_session():
    data = merge(
        BASE,
        {
            "alb": {"stickiness": {"enabled": True}},
            "state": {"sessions": "instance_memory"},
            "record": {"requests": True},
        },
    )
    calm = simulate(load_scenario(data))
    assert calm.summary()["lost_by_cause"] == {}  # sticky and nothing fails: nothing lost
    world = World(load_scenario(data))
    victim = []

    def mark_unhealthy():  # type: ignore[no-untyped-def]
        yield world.env.timeout(300)
        inst = world.asg.members("InService")[0]
        victim.append(inst)
        world.tg.set_health(inst, "unhealthy")  # alive, but out of rotation

    world.env.process(mark_unhealthy())
    result = world.run()
    lost = result.sessions[result.sessions.cause == "rerouted"]
    # Its sticky users are sent elsewhere (§1.2) and their sessions, still on the live instance,
    # are lost "rerouted" from 300 s on, until its checks bring it back.
    assert len(lost) > 10
    assert (lost.end >= 300).all()
    assert (lost.home_az == victim[0].az).all()
