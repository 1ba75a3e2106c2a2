"""baked-vs-bootstrapped: a flash crowd fails more requests the longer a launch takes."""

from __future__ import annotations

import pytest

from fleetsim.config import load_scenario, packaged_scenarios
from fleetsim.sim.world import simulate


@pytest.fixture(scope="module")
def runs():
    # 20 minutes cover the crowd's arrival (10 min) and the slowest (bootstrapped) scale-out.
    return {
        v: simulate(load_scenario("baked-vs-bootstrapped", variant=v, overrides=["duration=20m"]))
        for v in ("bootstrapped", "baked", "warm-pool")
    }


def test_packaged_with_a_question():
    assert packaged_scenarios()["baked-vs-bootstrapped"].endswith("?")


def test_failed_requests_grow_with_time_to_in_service(runs):
    failed = {v: r.summary()["requests_failed"] for v, r in runs.items()}
    # Same seed and same users (common random numbers): the only difference is the launch.
    # Time to InService: bootstrapped ~326 s > baked ~36 s > stopped warm pool 21.2 s.
    assert failed["bootstrapped"] > 1.5 * failed["baked"]
    assert failed["baked"] > failed["warm-pool"]
    for r in runs.values():
        assert set(r.summary()["failed_by_cause"]) == {"503 target_overloaded"}


def test_every_variant_scales_out_at_the_same_moment(runs):
    # The policy reacts to the same metric at the same time; only the launches differ.
    first = {}
    for v, r in runs.items():
        ev = r.events
        first[v] = ev[ev.kind == "asg.scaling"].time.iloc[0]
    assert len(set(first.values())) == 1
    # Crowd from 600 s (1-min rise): 3 one-minute datapoints above target + 60 s delay.
    assert 600 + 3 * 60 + 60 <= first["baked"] <= 600 + 4 * 60 + 60


def test_time_to_in_service_follows_the_boot_profile(runs):
    t = {v: r.summary()["time_to_in_service_mean_s"] for v, r in runs.items()}
    # Bootstrapped installs and builds at boot (~5 min); baked only boots (~36 s); a stopped
    # warm-pool instance resumes already initialised (~21 s).
    assert t["warm-pool"] < t["baked"] < 60 < 240 < t["bootstrapped"]
