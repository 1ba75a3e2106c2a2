"""Idle timeout (504) and deregistration delay (draining), fact sheet §1.2–§1.4: exact times."""

from tests.sim.alb_harness import Harness


def test_a_response_later_than_the_idle_timeout_fails_504_at_arrival_plus_60s():
    # One target, one worker; services of 50, 50 and 10 s; idle timeout 60 s (§1.3 default).
    h = Harness(["us-east-1a"], workers=1, queue=10, cpu=[50.0, 50.0, 10.0])
    first, second, third = h.send(), h.send(), h.send()
    h.env.run(until=70)
    fourth = h.send()
    h.env.run(until=500)
    # First: served at 50. Second: starts at 50, would answer at 100 > 0 + 60, so the ALB gives
    # up at 60 (§1.4: connected but no response within the idle timeout). Third: still queued at
    # 60, same, and never starts. The target keeps working on the second until 100, so the
    # fourth (sent at 70) starts only then and answers at 110, within its own 60 s.
    assert h.outcomes[first.id] == (50.0, "ok")
    assert h.outcomes[second.id] == (60.0, "504 target_timeout")
    assert h.outcomes[third.id] == (60.0, "504 target_timeout")
    assert h.outcomes[fourth.id] == (110.0, "ok")
    assert h.rec.double_outcomes == 0 and h.tg.targets[h.insts[0]].instance.busy == 0


def test_a_long_service_fails_at_the_idle_timeout_and_still_holds_its_worker():
    h = Harness(["us-east-1a"], workers=1, queue=10, cpu=[90.0, 1.0])
    slow = h.send()
    h.env.run(until=65)
    quick = h.send()  # waits for the worker the slow request still holds until 90
    h.env.run(until=200)
    assert h.outcomes[slow.id] == (60.0, "504 target_timeout")
    assert h.outcomes[quick.id] == (91.0, "ok")


def test_requests_within_the_idle_timeout_are_untouched():
    h = Harness(["us-east-1a"], workers=1, queue=100, cpu=[5.0] * 11)
    reqs = [h.send() for _ in range(11)]
    h.env.run(until=200)
    # Queued behind each other, the 11th answers at 55 s < 60 s: all succeed.
    assert [h.outcomes[r.id] for r in reqs] == [(5.0 * (k + 1), "ok") for k in range(11)]


def test_draining_target_takes_no_new_requests_and_lets_in_flight_ones_finish():
    h = Harness(["us-east-1a", "us-east-1b"], workers=1, cpu=[20.0] + [0.01] * 100)
    long = h.send()
    a = long.instance
    b = next(i for i in h.insts if i is not a)
    drained: list[float] = []
    h.env.run(until=1)
    h.tg.deregister(a, lambda inst: drained.append(h.env.now))
    later = [h.send() for _ in range(10)]
    h.env.run(until=400)
    assert h.outcomes[long.id] == (20.0, "ok")  # in flight: finishes normally
    assert all(r.instance is b for r in later)  # draining gets no new requests (§1.2)
    # Deregistration completes once nothing is in flight and the last keep-alive connection
    # (idle since the response at 20 s) has closed, 75 s later, before the 300 s delay (§9.10).
    assert drained == [95.0]


def test_requests_still_running_when_the_deregistration_delay_expires_fail_502():
    h = Harness(
        ["us-east-1a", "us-east-1b"],
        workers=1,
        cpu=[500.0, 500.0],
        idle_timeout=4000,
        deregistration_delay=30,
    )
    running, other = h.send(), h.send()
    a = running.instance
    assert other.instance is not a
    h.env.run(until=1)
    h.tg.deregister(a, lambda inst: None)
    h.env.run(until=100)
    # 30 s after deregistration began (§1.2), the request still running fails 502 (§1.4).
    assert h.outcomes[running.id] == (31.0, "502 deregistration_timeout")
    assert other.id not in h.outcomes  # the other target is not draining
    assert a not in h.tg.targets
