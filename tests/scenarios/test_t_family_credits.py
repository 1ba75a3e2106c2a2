"""t-family-credits: standard-mode T3 instances throttle when their credits run out."""

from __future__ import annotations

from fleetsim.analysis.compare import run_variants
from fleetsim.config import packaged_scenarios


def test_standard_throttles_and_unlimited_pays():
    assert packaged_scenarios()["t-family-credits"].endswith("?")
    # 50 minutes: the balance runs out about 25 minutes into the spike that starts at 15 min.
    results = run_variants(
        "t-family-credits", ["standard", "unlimited"], overrides=["duration=50m"]
    )
    std, unl = results["standard"], results["unlimited"]
    s, u = std.summary(), unl.summary()
    assert s["invariants_ok"] and u["invariants_ok"]
    throttled = std.events[std.events.kind == "ec2.cpu_throttled"]
    assert throttled.instance.nunique() == 4
    assert not (unl.events.kind == "ec2.cpu_throttled").any()
    assert s["requests_failed"] > 10 * max(1, u["requests_failed"])
    # Throttled targets fail their checks (they go through the queue) and leave rotation for a
    # while, so the slowest answers are fewer than with checks blind to the backlog: 1.33 s
    # against 0.94 s at 50 minutes.
    assert s["latency_p99_s"] > 1.25 * u["latency_p99_s"]
    assert u["cost_usd"] > s["cost_usd"]
    assert any(k.endswith(":cpu_credits") for k in unl.cost_usd)
