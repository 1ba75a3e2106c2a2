"""Burstable T instances: CPU credits earned and spent at AWS's documented rates."""

import pytest

from fleetsim.config.catalog import instance_type
from fleetsim.record.recorder import Recorder
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Request, User
from fleetsim.sim.instance import Instance


def test_t3_large_figures_are_awss():
    t = instance_type("t3.large")
    # EC2 User Guide, burstable-credits-baseline-concepts: 36 credits/hour, 864 max, 2 vCPUs, 30 %.
    assert (t.credits_per_hour, t.max_credits, t.vcpus, t.baseline) == (36, 864, 2, 0.30)
    assert instance_type("t3.xlarge").vcpus == 4


def _busy_t3(mode, credits):
    env = Engine()
    rec = Recorder(5000)
    inst = Instance(
        env,
        rec,
        "i-1",
        "us-east-1a",
        instance_type("t3.large"),
        4,
        0,
        lambda: 10_000.0,
        lambda r, t: None,
        lambda r, t, c: None,
        credit_mode=mode,
        credits=credits,
    )
    inst.transition("running")
    inst.app_up = True
    for rid in (1, 2):  # both vCPUs busy for good
        inst.accept(Request(rid, User(rid, 1), 0.0))
    return env, rec, inst


def test_standard_credits_run_out_at_the_documented_rate_then_throttle_to_baseline():
    env, rec, inst = _busy_t3("standard", credits=10.0)
    # Spending 2 vCPUs = 2 credits/min, earning 36/hour: net 2/60 - 36/3600 credits/s.
    net = 2 / 60 - 36 / 3600
    empty = 10.0 / net  # 428.57 s
    env.run(until=400)
    assert inst.credit_balance(400) == pytest.approx(10.0 - net * 400)
    assert inst.cpu_seconds_used(400) == pytest.approx(800)
    env.run(until=600)
    used_600 = inst.cpu_seconds_used(600)
    env.run(until=1000)
    assert inst.credit_balance(1000) == 0.0
    assert inst.throttled_since == pytest.approx(empty)
    # From then on 30 % of each vCPU: 0.6 vCPU-seconds per second; CloudWatch shows 30 %.
    assert inst.cpu_seconds_used(1000) == pytest.approx(2 * empty + 0.6 * (1000 - empty))
    assert inst.cpu_utilisation(600, used_600, 1000) == pytest.approx(30.0)
    assert any(e[1] == "ec2.cpu_throttled" for e in rec.events)


def test_requests_finish_later_once_throttled():
    env = Engine()
    inst = Instance(
        env,
        Recorder(100),
        "i-2",
        "us-east-1a",
        instance_type("t3.large"),
        1,
        0,
        lambda: 10.0,
        lambda r, t: done.append(t),
        lambda r, t, c: None,
        credit_mode="standard",
        credits=0.1,
    )
    done: list[float] = []
    inst.transition("running")
    inst.app_up = True
    inst.accept(Request(1, User(1, 1), 0.0))
    env.run()
    # One vCPU at full speed spends 1/60 - 0.01 credits/s: 0.1 credit lasts 15 s > 10 s of work.
    assert done == pytest.approx([10.0])
    inst.set_credits(0.0)
    inst.accept(Request(2, User(2, 1), env.now))
    env.run()
    # At zero balance one request gets the 0.6-vCPU baseline: 10 s of work takes 16.67 s.
    assert done[1] - done[0] == pytest.approx(10 / 0.6)


def test_unlimited_never_throttles_and_owes_surplus_credits():
    env, _, inst = _busy_t3("unlimited", credits=10.0)
    env.run(until=1000)
    net = 2 / 60 - 36 / 3600
    assert inst.cpu_seconds_used(1000) == pytest.approx(2000)
    assert inst.credit_balance(1000) == pytest.approx(10.0 - net * 1000)  # negative: surplus
    assert inst.throttled_since is None


def test_balance_is_capped_at_24_hours_of_earnings():
    env = Engine()
    inst = Instance(
        env,
        Recorder(10),
        "i-3",
        "us-east-1a",
        instance_type("t3.large"),
        1,
        0,
        lambda: 1.0,
        lambda r, t: None,
        lambda r, t, c: None,
        credit_mode="standard",
        credits=860.0,
    )
    inst.transition("running")
    env.run(until=3600)  # idle for an hour: +36, capped at 864
    assert inst.credit_balance(3600) == 864.0
