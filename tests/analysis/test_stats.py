import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetsim.analysis.stats import (
    Interval,
    batch_means,
    compare_paired,
    paired_difference,
    replication_seeds,
    summarize_replications,
    t_interval,
    truncate_warmup,
)


def test_t_interval_hand_computed() -> None:
    ci = t_interval([1, 2, 3, 4, 5])
    # sd = sqrt(2.5); t_{0.975,4} = 2.776445; half-width = t * sd / sqrt(5).
    assert ci.n == 5
    assert ci.mean == pytest.approx(3.0)
    assert ci.sd == pytest.approx(1.5811388, rel=1e-7)
    assert ci.half_width == pytest.approx(1.9632, abs=1e-4)
    assert (ci.low, ci.high) == pytest.approx((3 - 1.96324, 3 + 1.96324), abs=1e-5)
    assert ci.contains(3.0)
    assert not ci.contains(5.0)
    assert ci.excludes_zero
    assert ci.as_dict()["half_width"] == ci.half_width


def test_t_interval_single_observation_is_undefined() -> None:
    ci = t_interval([4.2])
    assert ci.mean == 4.2
    assert ci.n == 1
    assert math.isnan(ci.half_width) and math.isnan(ci.low) and math.isnan(ci.high)
    assert not ci.contains(4.2)
    assert not ci.excludes_zero


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [[1.0, 2.0]], [1.0, float("inf")]])
def test_t_interval_rejects_bad_input(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        t_interval(bad)


def test_t_interval_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], confidence=1.0)


def test_t_interval_coverage() -> None:
    # 2000 independent experiments: the hit count is Binomial(2000, 0.95), whose sd is
    # sqrt(0.95 * 0.05 / 2000) = 0.49%, so ±1.5% is about 3 sd. Seeded, hence deterministic.
    rng = np.random.default_rng(20240601)
    true_mean = 7.0
    samples = rng.normal(true_mean, 3.0, size=(2000, 10))
    coverage = np.mean([t_interval(row).contains(true_mean) for row in samples])
    assert abs(coverage - 0.95) <= 0.015


@given(
    st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=2, max_size=50),
    st.floats(min_value=0.5, max_value=0.999),
)
def test_interval_contains_sample_mean(values: list[float], confidence: float) -> None:
    ci = t_interval(values, confidence)
    assert ci.low <= ci.high
    assert ci.contains(ci.mean)
    assert ci.contains(float(np.mean(values)))


def test_paired_difference_identical_inputs() -> None:
    a = [1.5, 2.0, 9.0, 4.25]
    pair = paired_difference(a, list(a))
    assert pair.diff_mean == 0.0
    assert pair.diff.half_width == 0.0
    assert not pair.significant
    assert pair.relative == 0.0


def test_paired_difference_detects_shift_hidden_by_noise() -> None:
    # A large shared seed effect plus a small constant shift: the separate intervals overlap,
    # yet the paired interval resolves the shift. This is why designs share seeds.
    rng = np.random.default_rng(7)
    common = rng.normal(100.0, 20.0, size=10)
    b = common + rng.normal(0.0, 0.1, size=10)
    a = common + 1.0 + rng.normal(0.0, 0.1, size=10)
    assert t_interval(a).contains(float(np.mean(b)))
    pair = paired_difference(a, b)
    assert pair.significant
    assert pair.diff.contains(1.0)
    assert pair.relative == pytest.approx(pair.diff_mean / float(np.mean(b)))


def test_paired_difference_length_mismatch() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([1.0, 2.0], [1.0])


def test_replication_seeds_reproducible_and_prefix_stable() -> None:
    ten = replication_seeds(42, 10)
    assert replication_seeds(42, 10) == ten
    assert replication_seeds(42, 5) == ten[:5]
    assert len(set(ten)) == 10
    assert all(isinstance(s, int) and 0 <= s < 2**63 for s in ten)
    assert replication_seeds(43, 10) != ten
    assert replication_seeds(42, 0) == []
    with pytest.raises(ValueError):
        replication_seeds(-1, 3)


ROWS: list[dict[str, Any]] = [
    {"scenario": "base", "seed": 11, "mean_latency_s": 1.0, "errors": 2, "ok": True},
    {"scenario": "base", "seed": 12, "mean_latency_s": 2.0, "errors": 4, "ok": False},
    {"scenario": "base", "seed": 13, "mean_latency_s": 3.0, "errors": 6, "ok": True},
]


def test_summarize_replications() -> None:
    df = summarize_replications(ROWS, metrics=["mean_latency_s", "errors"])
    assert list(df.columns) == ["metric", "n", "mean", "sd", "ci_low", "ci_high", "half_width"]
    assert list(df["metric"]) == ["mean_latency_s", "errors"]
    row = df.set_index("metric").loc["mean_latency_s"]
    ci = t_interval([1.0, 2.0, 3.0])
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(2.0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_summarize_replications_default_metrics_skip_labels() -> None:
    df = summarize_replications(ROWS)
    assert list(df["metric"]) == ["seed", "mean_latency_s", "errors", "ok"]
    assert df.set_index("metric").loc["ok", "mean"] == pytest.approx(2 / 3)


def test_summarize_replications_rejects_missing_or_non_numeric() -> None:
    with pytest.raises(ValueError, match="missing"):
        summarize_replications([*ROWS, {"scenario": "base"}], metrics=["errors"])
    with pytest.raises(ValueError, match="not numeric"):
        summarize_replications(ROWS, metrics=["scenario"])
    with pytest.raises(ValueError):
        summarize_replications([])


def test_compare_paired() -> None:
    rows_b = [{**r, "mean_latency_s": r["mean_latency_s"] - 0.5} for r in ROWS]
    df = compare_paired(ROWS, rows_b, metrics=["mean_latency_s", "errors"]).set_index("metric")
    lat = df.loc["mean_latency_s"]
    assert lat["mean_a"] == pytest.approx(2.0)
    assert lat["mean_b"] == pytest.approx(1.5)
    assert lat["diff_mean"] == pytest.approx(0.5)
    assert lat["diff_ci_low"] == pytest.approx(0.5)
    assert lat["diff_ci_high"] == pytest.approx(0.5)
    assert bool(lat["significant"])
    assert not bool(df.loc["errors", "significant"])
    with pytest.raises(ValueError, match="equal replications"):
        compare_paired(ROWS, rows_b[:2])


def test_compare_paired_default_metrics_are_shared() -> None:
    rows_b = [{"mean_latency_s": 1.0, "only_b": 3.0} for _ in ROWS]
    df = compare_paired(ROWS, rows_b)
    assert list(df["metric"]) == ["mean_latency_s"]


def test_truncate_warmup() -> None:
    times = [0.0, 5.0, 10.0, 15.0, 9.99]
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    t, v = truncate_warmup(times, values, warmup_s=10.0)
    assert t.tolist() == [10.0, 15.0]
    assert v.tolist() == [3.0, 4.0]
    assert truncate_warmup(times, values, 0.0)[1].tolist() == values
    with pytest.raises(ValueError):
        truncate_warmup(times, values[:-1], 1.0)
    with pytest.raises(ValueError):
        truncate_warmup(times, values, -1.0)


def test_batch_means_hand_computed() -> None:
    # 22 values in 4 batches of 5: the 2 leading leftovers are dropped.
    values = [100.0, 100.0] + [1.0] * 5 + [2.0] * 5 + [3.0] * 5 + [4.0] * 5
    ci = batch_means(values, n_batches=4)
    assert ci == t_interval([1.0, 2.0, 3.0, 4.0])
    assert isinstance(ci, Interval)
    with pytest.raises(ValueError):
        batch_means([1.0, 2.0], n_batches=3)
    with pytest.raises(ValueError):
        batch_means([1.0, 2.0], n_batches=1)


def test_batch_means_covers_mean_of_iid_run() -> None:
    rng = np.random.default_rng(3)
    ci = batch_means(rng.exponential(2.0, size=20_000))
    assert ci.n == 20
    assert ci.contains(2.0)
