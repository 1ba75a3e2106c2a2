"""The packaged baked-vs-bootstrapped scenario answers its question."""

from fleetsim.analysis.compare import run_variants
from fleetsim.config import packaged_scenarios


def test_bootstrapped_fails_more_requests_than_baked():
    assert packaged_scenarios()["baked-vs-bootstrapped"].endswith("?")
    # 25 minutes cover the crowd's rise, the interruption at 12 min and both recoveries.
    results = run_variants("baked-vs-bootstrapped", overrides=["duration=25m"])
    baked, boot = (results[v].summary() for v in ("baked", "bootstrapped"))
    assert baked["invariants_ok"] and boot["invariants_ok"]
    assert baked["time_to_in_service_mean_s"] < 60 < 300 < boot["time_to_in_service_mean_s"]
    assert boot["requests_failed"] > 10 * max(1, baked["requests_failed"])
    assert boot["failed_by_cause"]["503 target_overloaded"] > 1000
    assert boot["latency_p99_s"] > baked["latency_p99_s"]
