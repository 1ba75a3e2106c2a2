"""baked-vs-bootstrapped: a flash crowd fails more requests the longer a launch takes."""

from __future__ import annotations

import pytest

from fleetsim.config import load_scenario, packaged_scenarios
from fleetsim.sim.world import simulate


@pytest.fixture(scope="module")
def runs():
    # 30 minutes cover the crowd's arrival (10 min), the slowest (bootstrapped) scale-out to a
    # healthy target, and a dozen turns of the replacement loop.
    return {v: _run(v) for v in ("bootstrapped", "baked", "warm-pool")}


def _run(variant):
    return simulate(
        load_scenario("baked-vs-bootstrapped", variant=variant, overrides=["duration=30m"])
    )


def test_packaged_with_a_question():
    assert packaged_scenarios()["baked-vs-bootstrapped"].endswith("?")


def test_failed_requests_grow_with_time_to_healthy(runs):
    failed = {v: r.summary()["requests_failed"] for v, r in runs.items()}
    # Same seed and same users (common random numbers): the only difference is the launch.
    # Time to a healthy target: bootstrapped ~8 min > baked ~50 s > stopped warm pool ~35 s.
    assert failed["bootstrapped"] > 1.5 * failed["baked"]
    assert failed["baked"] > failed["warm-pool"]
    # Overload refuses requests (503). Health checks wait in the same queue (§8), so overloaded
    # targets can go unhealthy; with every target unhealthy the ALB fails open and also sends
    # requests to new instances whose app is not up yet: refused, 502. Only the slow
    # bootstrapped launch leaves that window open.
    for v, r in runs.items():
        causes = set(r.summary()["failed_by_cause"])
        expected = {"503 target_overloaded"}
        assert (
            causes <= expected | {"502 target_reset"} if v == "bootstrapped" else causes == expected
        )


def test_every_variant_scales_out_at_the_same_moment(runs):
    # The policy reacts to the same metric at the same time; only the launches differ.
    first = {}
    for v, r in runs.items():
        ev = r.events
        first[v] = ev[ev.kind == "asg.scaling"].time.iloc[0]
    assert len(set(first.values())) == 1
    # Crowd from 600 s (1-min rise): 3 one-minute datapoints above target + 60 s delay.
    assert 600 + 3 * 60 + 60 <= first["baked"] <= 600 + 4 * 60 + 60


def test_time_to_healthy_follows_the_boot_profile(runs):
    s = {v: r.summary() for v, r in runs.items()}
    healthy = {v: x["time_to_healthy_mean_s"] for v, x in s.items()}
    # Bootstrapped installs and builds at boot (~5 min), fails its first checks and then needs
    # 5 passes (§8); baked only boots (~36 s); a stopped warm-pool instance resumes (~21 s).
    assert healthy["warm-pool"] < healthy["baked"] < 90 < 300 < healthy["bootstrapped"]
    # InService comes when EC2 reports the instance running, whatever the AMI (§8): the same
    # API and pending draws for the baked and bootstrapped launches.
    in_service = {v: x["time_to_in_service_mean_s"] for v, x in s.items()}
    assert in_service["baked"] == in_service["bootstrapped"] < 40


def test_the_replacement_loop_variant_keeps_replacing_its_new_instances(runs):
    # Bootstrapped, ELB health checks, grace 0 (§8): every new instance is replaced before its
    # app answers, so launches keep coming and none of them ever serves.
    loop = _run("replacement-loop")
    s = loop.summary()
    launches = loop.launches
    # Most launches are replaced before their app answers. (The overloaded first instances go
    # unhealthy too, as checks wait in their queues, and the ALB fails open: the loop is slowed
    # by draining the connections of those requests, so an odd launch lives to become healthy.)
    gone = launches.dropna(subset=["ended"])
    assert s["launches_never_healthy"] >= 5
    assert gone.never_healthy.mean() > 0.5  # of the launches that ended
    # InService at running, then at least 2 failed checks 30 s apart before it is unhealthy.
    assert (gone.ended - gone.in_service).min() >= 30
    # It fails more requests than the plain bootstrapped group, which does get its capacity.
    assert s["requests_failed"] > runs["bootstrapped"].summary()["requests_failed"]
