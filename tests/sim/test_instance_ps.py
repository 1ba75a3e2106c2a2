"""Processor sharing on an instance's vCPUs, and CPUUtilization."""

import numpy as np
import pytest

from fleetsim.analysis.stats import replication_seeds, t_interval
from fleetsim.analysis.theory import mm1_ps_sojourn
from fleetsim.config import load_scenario
from fleetsim.config.catalog import instance_type
from fleetsim.record.recorder import Recorder
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Request, User
from fleetsim.sim.instance import Instance
from fleetsim.sim.world import simulate


def _instance(env, works, itype="m5.large", workers=100, speed=None):
    rec = Recorder(10_000)
    served = {}
    it = iter(works)
    inst = Instance(
        env,
        rec,
        "i-1",
        "us-east-1a",
        instance_type(itype),
        workers,
        1000,
        lambda: next(it),
        lambda req, now: served.__setitem__(req.id, now),
        lambda req, now, cause: None,
        speed=speed,
    )
    inst.transition("running")
    inst.app_up = True
    return inst, served


def _send(env, inst, rid, at):
    def go(_e):
        inst.accept(Request(rid, User(rid, 1), env.now))

    env.timeout(at).callbacks.append(go)


def test_requests_share_one_vcpu_equally():
    env = Engine()
    inst, served = _instance(env, [1.0, 2.0, 3.0], itype="m7g.medium", speed=1.0)  # 1 vCPU
    for rid in (1, 2, 3):
        _send(env, inst, rid, 0.0)
    env.run()
    # Three share: the 1 s job has had 1/3 of the CPU for 3 s; then two share; then one.
    assert served == pytest.approx({1: 3.0, 2: 5.0, 3: 6.0})


def test_no_sharing_while_requests_do_not_exceed_vcpus():
    env = Engine()
    inst, served = _instance(env, [1.0] * 4, itype="m5.large")  # 2 vCPUs
    for rid in (1, 2):
        _send(env, inst, rid, 0.0)
    env.run()
    assert served == {1: 1.0, 2: 1.0}
    env2 = Engine()
    inst2, served2 = _instance(env2, [1.0] * 4, itype="m5.large")
    for rid in (1, 2, 3, 4):
        _send(env2, inst2, rid, 0.0)
    env2.run()
    assert served2 == pytest.approx({1: 2.0, 2: 2.0, 3: 2.0, 4: 2.0})  # 4 s of work, 2 vCPUs


def test_processor_sharing_conserves_work():
    # Random arrivals and sizes on 2 vCPUs: the busy vCPU-seconds equal the work done, and while
    # more requests run than vCPUs both vCPUs are busy.
    rng = np.random.default_rng(5)
    works = rng.exponential(0.5, 300).tolist()
    arrivals = np.cumsum(rng.exponential(0.2, 300)).tolist()
    env = Engine()
    inst, served = _instance(env, works, itype="m5.large")
    for rid, at in enumerate(arrivals):
        _send(env, inst, rid, at)
    env.run()
    assert len(served) == 300
    assert inst.cpu_seconds_used(env.now) == pytest.approx(sum(works), rel=1e-9)
    # Work-conserving: utilisation over the run is work / (vCPUs x makespan) ≤ 100 %.
    util = inst.cpu_utilisation(0.0, 0.0, env.now)
    assert util == pytest.approx(100 * sum(works) / (2 * env.now))


def test_cpu_utilisation_is_a_share_of_all_vcpus():
    env = Engine()
    inst, _ = _instance(env, [100.0], itype="m5.large")
    _send(env, inst, 1, 0.0)
    env.run(until=10)
    used = inst.cpu_seconds_used(10)
    env.run(until=70)
    assert inst.cpu_utilisation(10, used, 70) == pytest.approx(50.0)  # 1 of 2 vCPUs busy


def test_speed_change_mid_request_keeps_progress():
    env = Engine()
    inst, served = _instance(env, [10.0], itype="m5.large")
    inst.start_app(warmup=4.0, warm_speed=0.5)  # half speed for 4 s: 2 s of work done by then
    _send(env, inst, 1, 0.0)
    env.run()
    assert served[1] == pytest.approx(4.0 + 8.0)


M1PS = {
    "duration": 1500,
    "azs": ["a"],
    "traffic": {
        "shape": {"kind": "constant", "rate": 6},
        "requests_per_session": 1,
        "think_time": 0,
        "warm_start": False,
    },
    "app": {"cpu_time": {"dist": "exponential", "mean": 0.1}, "workers": 10000, "queue_size": 0},
    "instance": {"type": "m7g.medium", "speed": 1.0},  # one vCPU at speed 1: mu = 10/s
    "asg": {"min_size": 1, "max_size": 1, "desired_capacity": 1},
    "state": {"sessions": "ideal"},
}


def test_mean_sojourn_matches_mm1_ps():
    # M/M/1-PS with lambda = 6, mu = 10: W = 1/(mu - lambda) = 0.25 s. Ten replications of
    # 1500 s (~9,000 requests each) from empty; the queue relaxes in seconds, so start-up bias is
    # negligible. The 95 % t-interval must contain W (fixed seeds: deterministic; a correct model
    # fails for 5 % of seed sets) and be tighter than 5 % of W.
    exact = mm1_ps_sojourn(6, 10)
    assert exact == pytest.approx(0.25)
    sc = load_scenario(M1PS)
    means = []
    for seed in replication_seeds(505, 10):
        s = simulate(sc, seed).summary()
        assert s["requests_failed"] == 0
        means.append(s["latency_mean_s"])
    ci = t_interval(means)
    assert ci.contains(exact), (ci, exact)
    assert ci.half_width < 0.05 * exact


def test_store_round_trip_holds_the_worker_but_not_the_cpu():
    env = Engine()
    inst, served = _instance(env, [1.0, 1.0], itype="m7g.medium", workers=1, speed=1.0)
    reqs = [Request(rid, User(rid, 1), 0.0) for rid in (1, 2)]
    for req in reqs:
        req.extra = 0.5
        inst.accept(req)
    env.run(until=1.2)
    # Request 1 left the CPU at 1.0 but still holds the only worker; no CPU is used meanwhile.
    assert inst.busy == 1 and len(inst.queue) == 1
    assert inst.cpu_seconds_used(1.2) == pytest.approx(1.0)
    env.run()
    assert served == pytest.approx({1: 1.5, 2: 3.0})
