import pytest

from fleetsim.config.catalog import instance_type
from fleetsim.record.recorder import Recorder
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Request, User
from fleetsim.sim.instance import BILLING_MINIMUM_S, IllegalTransition, Instance


def _instance(env, workers=2, queue=1, cpu=1.0, itype="m5.large"):
    rec = Recorder(100, keep_requests=True)
    served, failed = [], []

    def on_served(req, now):
        req.succeed(rec, now)
        served.append((req.id, now))

    def on_failed(req, now, cause):
        req.fail(rec, now, cause)
        failed.append((req.id, now, cause))

    inst = Instance(
        env,
        rec,
        "i-1",
        "us-east-1a",
        instance_type(itype),
        workers,
        queue,
        lambda: cpu,
        on_served,
        on_failed,
    )
    inst.transition("running")
    inst.app_up = True
    return inst, rec, served, failed


def _request(env, rec, rid):
    req = Request(rid, User(rid, 1), env.now)
    rec.arrival(env.now)
    return req


def test_worker_pool_serves_fifo_and_refuses_when_the_queue_is_full():
    env = Engine()
    inst, rec, served, failed = _instance(env, workers=2, queue=1, cpu=1.0)
    for rid in range(1, 5):
        inst.accept(_request(env, rec, rid))
    env.run()
    # Two start at once, the third queues, the fourth is refused at t=0.
    assert served == [(1, 1.0), (2, 1.0), (3, 2.0)]
    assert failed == [(4, 0.0, "503 target_overloaded")]


def test_speed_factor_divides_cpu_time():
    env = Engine()
    inst, rec, served, _ = _instance(env, cpu=1.15, itype="m7g.large")  # speed 1.15
    inst.accept(_request(env, rec, 1))
    env.run()
    assert served[0][1] == pytest.approx(1.0)


def test_killing_fails_in_flight_exactly_once():
    env = Engine()
    inst, rec, served, failed = _instance(env, workers=1, queue=5, cpu=10.0)
    for rid in range(1, 4):
        inst.accept(_request(env, rec, rid))
    env.run(until=5)
    assert inst.fail_in_flight("502 target_reset") == 3
    env.run()  # the stale completion of request 1 must not count
    assert served == [] and [f[0] for f in failed] == [1, 2, 3]
    assert rec.double_outcomes == 0 and rec.requests_failed == 3


def test_only_legal_transitions():
    env = Engine()
    rec = Recorder(10)
    inst = Instance(
        env,
        rec,
        "i-2",
        "us-east-1a",
        instance_type("m5.large"),
        1,
        1,
        lambda: 1.0,
        lambda r, t: None,
        lambda r, t, c: None,
    )
    with pytest.raises(IllegalTransition):
        inst.transition("stopped")  # pending → stopped is not allowed
    inst.transition("running")
    with pytest.raises(IllegalTransition):
        inst.transition("pending")
    inst.transition("shutting-down")
    inst.transition("terminated")
    with pytest.raises(IllegalTransition):
        inst.transition("running")


def test_billing_has_a_60_second_minimum_per_running_period():
    env = Engine()
    rec = Recorder(1000)
    inst = Instance(
        env,
        rec,
        "i-3",
        "us-east-1a",
        instance_type("m5.large"),
        1,
        1,
        lambda: 1.0,
        lambda r, t: None,
        lambda r, t, c: None,
    )
    inst.transition("running")
    env.run(until=10)
    inst.transition("stopping")
    inst.transition("stopped")
    assert inst.billed_seconds == BILLING_MINIMUM_S  # 10 s billed as 60 s
    env.run(until=100)  # stopped time is not billed
    inst.transition("pending")
    inst.transition("running")
    env.run(until=300)
    assert inst.bill_until(300) == BILLING_MINIMUM_S + 200
