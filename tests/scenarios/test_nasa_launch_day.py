"""nasa-launch-day: a fleet sized for the mean fails in the launch bursts; scaling keeps up."""

from __future__ import annotations

from fleetsim.analysis.compare import run_variants
from fleetsim.config import packaged_scenarios


def test_target_tracking_grows_the_fleet_with_the_morning():
    assert packaged_scenarios()["nasa-launch-day"].endswith("?")
    # The first 40 minutes (07:00-07:40): demand ~90 req/s is ~75 % CPU on three instances,
    # above the 60 % target, so the group grows; the fixed fleets are not short yet.
    results = run_variants(
        "nasa-launch-day", ["sized-for-peak", "target-tracking"], overrides=["duration=40m"]
    )
    peak, tt = results["sized-for-peak"].summary(), results["target-tracking"]
    s = tt.summary()
    assert s["invariants_ok"] and s["requests_failed"] == 0
    assert tt.timeline.desired.max() > 3
    assert s["cost_usd"] < peak["cost_usd"]


def test_sized_for_the_mean_fails_in_the_launch_bursts():
    # 20 minutes around the launch (09:30-09:50 EDT): seconds reach 700 req/s.
    results = run_variants(
        "nasa-launch-day",
        ["sized-for-mean", "sized-for-peak"],
        overrides=["duration=20m", "traffic.shape.offset=9.5h"],
    )
    mean, peak = (results[v].summary() for v in ("sized-for-mean", "sized-for-peak"))
    assert mean["failed_by_cause"].get("503 target_overloaded", 0) > 0.01 * mean["requests_total"]
    assert peak["requests_failed"] < 0.1 * mean["requests_failed"]
    assert peak["latency_p99_s"] < mean["latency_p99_s"]
