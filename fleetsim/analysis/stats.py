"""Confidence intervals for simulation output: replications, paired comparisons, batch means.

A single simulation run is one random sample, so every reported number needs an error bar. The
honest unit of evidence is the independent replication: run the same scenario under independent
seeds, treat each run's summary (mean latency, error rate, cost, ...) as one observation, and
report a Student-t confidence interval over replications. To compare two designs, run both under
the same seeds (common random numbers) and build the interval on the per-seed differences, which
cancels the shared noise and is usually much tighter than two separate intervals. Steady-state
quantities additionally need the start-up transient removed (warm-up deletion); when only one
long run is available, batch means give an approximate interval from that run alone.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

__all__ = [
    "Interval",
    "PairedDiff",
    "batch_means",
    "compare_paired",
    "group_intervals",
    "paired_difference",
    "replication_seeds",
    "summarize_replications",
    "t_interval",
    "truncate_warmup",
]


@dataclass(frozen=True)
class Interval:
    """A two-sided Student-t confidence interval for a mean.

    Attributes:
        mean: Sample mean.
        sd: Sample standard deviation (ddof=1); NaN when n = 1.
        n: Number of observations.
        half_width: Half the interval width; NaN when n = 1.
        low: Lower bound, mean − half_width.
        high: Upper bound, mean + half_width.
        confidence: Nominal coverage probability, e.g. 0.95.
    """

    mean: float
    sd: float
    n: int
    half_width: float
    low: float
    high: float
    confidence: float

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the closed interval [low, high].

        Args:
            x: Value to test.

        Returns:
            True if low <= x <= high; always False for an undefined (NaN) interval.
        """
        return bool(self.low <= x <= self.high)

    @property
    def excludes_zero(self) -> bool:
        """Whether zero lies strictly outside the interval (False if the interval is NaN)."""
        return bool(self.low > 0 or self.high < 0)

    def as_dict(self) -> dict[str, float]:
        """Return the fields as a plain dict, e.g. for a DataFrame row or JSON."""
        return asdict(self)


@dataclass(frozen=True)
class PairedDiff:
    """Paired comparison of two designs run under common random numbers.

    Attributes:
        mean_a: Mean of the ``a`` observations.
        mean_b: Mean of the ``b`` observations.
        diff: t interval of the per-replication differences a_i − b_i.
    """

    mean_a: float
    mean_b: float
    diff: Interval

    @property
    def diff_mean(self) -> float:
        """Mean difference, mean(a − b)."""
        return self.diff.mean

    @property
    def significant(self) -> bool:
        """Whether the difference's confidence interval excludes zero."""
        return self.diff.excludes_zero

    @property
    def relative(self) -> float:
        """Mean difference relative to ``b`` (the baseline); NaN if mean_b is 0."""
        return self.diff_mean / self.mean_b if self.mean_b != 0 else math.nan


def _as_1d(values: npt.ArrayLike, name: str = "values") -> npt.NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def t_interval(values: npt.ArrayLike, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval for the mean of independent observations.

    Args:
        values: One-dimensional finite observations, e.g. one summary value per replication.
        confidence: Nominal two-sided coverage in (0, 1).

    Returns:
        The interval mean ± t_{(1+confidence)/2, n−1} · sd/√n. With a single observation there
        is no estimate of spread: ``sd``, ``half_width``, ``low`` and ``high`` are NaN (so
        ``contains`` is False) rather than a misleading zero-width interval.

    Raises:
        ValueError: If ``values`` is empty, not 1-D or has non-finite entries, or the
            confidence level is outside (0, 1).
    """
    _check_confidence(confidence)
    arr = _as_1d(values)
    n = arr.size
    if n == 0:
        raise ValueError("need at least one observation")
    # A NaN (e.g. a replication with no completed requests) must be handled by the caller;
    # silently dropping it would bias the interval towards the runs that went well.
    if not np.all(np.isfinite(arr)):
        raise ValueError("values contain NaN or infinity")
    mean = float(np.mean(arr))
    if n == 1:
        return Interval(mean, math.nan, 1, math.nan, math.nan, math.nan, confidence)
    sd = float(np.std(arr, ddof=1))
    t = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1))
    half = t * sd / math.sqrt(n)
    return Interval(mean, sd, n, half, mean - half, mean + half, confidence)


def paired_difference(a: npt.ArrayLike, b: npt.ArrayLike, confidence: float = 0.95) -> PairedDiff:
    """Compare two designs from replications paired by seed (common random numbers).

    Args:
        a: Observations of design A, one per replication.
        b: Observations of design B; ``b[i]`` must come from the same seed as ``a[i]``.
        confidence: Nominal two-sided coverage in (0, 1).

    Returns:
        The paired difference; its interval is over a_i − b_i.

    Raises:
        ValueError: If the lengths differ, or for any reason :func:`t_interval` raises.
    """
    arr_a = _as_1d(a, "a")
    arr_b = _as_1d(b, "b")
    if arr_a.shape != arr_b.shape:
        raise ValueError(f"paired samples need equal lengths, got {arr_a.size} and {arr_b.size}")
    diff = t_interval(arr_a - arr_b, confidence)
    return PairedDiff(mean_a=float(np.mean(arr_a)), mean_b=float(np.mean(arr_b)), diff=diff)


def replication_seeds(seed: int, n: int) -> list[int]:
    """Derive independent, reproducible seeds for ``n`` replications from one master seed.

    Uses ``numpy.random.SeedSequence(seed).spawn(n)``, so the child streams are statistically
    independent, and child i depends only on (seed, i): the seeds for n = 5 are a prefix of
    those for n = 10, so adding replications never changes earlier ones.

    Args:
        seed: Master seed, a non-negative integer.
        n: Number of replications, >= 0.

    Returns:
        ``n`` integers in [0, 2**63), each usable as a seed for ``numpy.random.default_rng``.

    Raises:
        ValueError: If ``seed`` or ``n`` is negative.
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    seeds: list[int] = []
    for child in np.random.SeedSequence(seed).spawn(n):
        lo, hi = (int(w) for w in child.generate_state(2, dtype=np.uint32))
        # 63 bits keeps the seed a valid signed 64-bit integer for any downstream consumer.
        seeds.append(((hi << 32) | lo) & ((1 << 63) - 1))
    return seeds


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real | np.bool_)


def _metric_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in names and _is_number(value):
                names.append(key)
    return names


def _column(rows: Sequence[Mapping[str, Any]], metric: str) -> npt.NDArray[np.float64]:
    values: list[float] = []
    for i, row in enumerate(rows):
        if metric not in row:
            raise ValueError(f"metric {metric!r} missing from replication {i}")
        value = row[metric]
        if not _is_number(value):
            raise ValueError(f"metric {metric!r} is not numeric in replication {i}: {value!r}")
        values.append(float(value))
    return np.asarray(values, dtype=np.float64)


def summarize_replications(
    rows: Sequence[Mapping[str, Any]],
    metrics: list[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Summarise per-replication results with a t interval per metric.

    Args:
        rows: One summary dict per replication, e.g. ``{"scenario": "x", "p99_s": 0.4}``.
        metrics: Metrics to summarise. By default every key with a numeric value (bools count
            as 0/1) in some row; non-numeric keys such as labels are ignored.
        confidence: Nominal two-sided coverage in (0, 1).

    Returns:
        One row per metric with columns metric, n, mean, sd, ci_low, ci_high, half_width.

    Raises:
        ValueError: If ``rows`` is empty, or a metric is missing, non-numeric or non-finite in
            any replication (a partial column would silently bias the estimate).
    """
    if not rows:
        raise ValueError("need at least one replication")
    names = _metric_names(rows) if metrics is None else metrics
    records = []
    for name in names:
        ci = t_interval(_column(rows, name), confidence)
        records.append(
            {
                "metric": name,
                "n": ci.n,
                "mean": ci.mean,
                "sd": ci.sd,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "half_width": ci.half_width,
            }
        )
    columns = ["metric", "n", "mean", "sd", "ci_low", "ci_high", "half_width"]
    return pd.DataFrame.from_records(records, columns=columns)


def group_intervals(
    frame: pd.DataFrame,
    by: Sequence[str],
    metrics: Sequence[str],
    confidence: float = 0.95,
    sort: bool = True,
) -> pd.DataFrame:
    """The t interval of each metric over the replications of each group of a tidy frame.

    The one loop behind every "mean ± CI per design" table: variants compared, sweep points,
    lines of a sweep figure. A metric that is NaN in some replication of a group (e.g. a latency
    with no completed request) gets NaN statistics there rather than an interval over the runs
    that went well.

    Args:
        frame: one row per replication, the ``by`` columns and one column per metric.
        by: the columns that name a group (one or more).
        metrics: the metric columns.
        confidence: nominal two-sided coverage in (0, 1).
        sort: groups in sorted order (True) or in order of first appearance (False).

    Returns:
        One row per (group, metric): the ``by`` columns, ``metric, n, mean, sd, half_width,
        ci_low, ci_high`` (spread and bounds NaN with a single replication).
    """
    records = []
    for key, group in frame.groupby(list(by), sort=sort):
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for metric in metrics:
            values = group[metric].astype(float).to_numpy()
            ci = (
                Interval(math.nan, math.nan, values.size, math.nan, math.nan, math.nan, confidence)
                if np.isnan(values).any()
                else t_interval(values, confidence)
            )
            records.append(
                {
                    **labels,
                    "metric": metric,
                    "n": ci.n,
                    "mean": ci.mean,
                    "sd": ci.sd,
                    "half_width": ci.half_width,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                }
            )
    columns = [*by, "metric", "n", "mean", "sd", "half_width", "ci_low", "ci_high"]
    return pd.DataFrame.from_records(records, columns=columns)


def compare_paired(
    rows_a: Sequence[Mapping[str, Any]],
    rows_b: Sequence[Mapping[str, Any]],
    metrics: list[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Paired comparison of two designs, metric by metric.

    Args:
        rows_a: Per-replication summaries of design A.
        rows_b: Per-replication summaries of design B; ``rows_b[i]`` must share its seed with
            ``rows_a[i]``.
        metrics: Metrics to compare. By default the numeric metrics present in both designs.
        confidence: Nominal two-sided coverage in (0, 1).

    Returns:
        One row per metric with columns metric, n, mean_a, mean_b, diff_mean, diff_ci_low,
        diff_ci_high, rel_diff (diff_mean / mean_b) and significant (difference CI excludes 0).

    Raises:
        ValueError: If the designs have different or zero replication counts, or a metric is
            missing or invalid in any replication.
    """
    if len(rows_a) != len(rows_b):
        raise ValueError(f"paired designs need equal replications: {len(rows_a)} vs {len(rows_b)}")
    if not rows_a:
        raise ValueError("need at least one replication")
    if metrics is None:
        in_b = set(_metric_names(rows_b))
        metrics = [m for m in _metric_names(rows_a) if m in in_b]
    records = []
    for name in metrics:
        pair = paired_difference(_column(rows_a, name), _column(rows_b, name), confidence)
        records.append(
            {
                "metric": name,
                "n": pair.diff.n,
                "mean_a": pair.mean_a,
                "mean_b": pair.mean_b,
                "diff_mean": pair.diff_mean,
                "diff_ci_low": pair.diff.low,
                "diff_ci_high": pair.diff.high,
                "rel_diff": pair.relative,
                "significant": pair.significant,
            }
        )
    columns = [
        "metric",
        "n",
        "mean_a",
        "mean_b",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "rel_diff",
        "significant",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def truncate_warmup(
    times: npt.ArrayLike, values: npt.ArrayLike, warmup_s: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Drop observations recorded before the end of the warm-up period.

    A run that starts empty and idle under-reports waits until queues reach steady state, so
    steady-state metrics must discard that start-up transient. Which timestamp to filter on
    (arrival or completion) is the caller's choice; filtering on arrival time avoids keeping
    only the short jobs of a backlog that started before the cut-off.

    Args:
        times: Simulation time of each observation (s); need not be sorted.
        values: Observation values, same length as ``times``.
        warmup_s: Warm-up length (s), >= 0. Observations with time >= warmup_s are kept.

    Returns:
        The kept ``(times, values)``, in their original order.

    Raises:
        ValueError: If the lengths differ or ``warmup_s`` is negative or NaN.
    """
    t = _as_1d(times, "times")
    v = _as_1d(values, "values")
    if t.shape != v.shape:
        raise ValueError(f"times and values need equal lengths, got {t.size} and {v.size}")
    if not warmup_s >= 0:
        raise ValueError(f"warmup_s must be >= 0, got {warmup_s!r}")
    keep = t >= warmup_s
    return t[keep], v[keep]


def batch_means(values: npt.ArrayLike, n_batches: int = 20, confidence: float = 0.95) -> Interval:
    """Confidence interval for a steady-state mean from one long run, by batch means.

    The ordered observations are cut into ``n_batches`` contiguous batches of equal size and a
    t interval (n_batches − 1 degrees of freedom) is built from the batch averages. This is only
    valid if the batches are long enough, relative to the autocorrelation time of the output,
    for batch averages to be roughly independent and normal, and if warm-up has already been
    removed. Too-short batches understate the variance, so the interval is then too narrow.
    When ``len(values)`` is not a multiple of ``n_batches`` the leftover observations are
    dropped from the start, the part of the run closest to the transient.

    Args:
        values: Observations in simulation-time order, warm-up already removed.
        n_batches: Number of batches, >= 2 (10-30 is usual).
        confidence: Nominal two-sided coverage in (0, 1).

    Returns:
        An interval over the batch means; its ``n`` is ``n_batches``.

    Raises:
        ValueError: If ``n_batches`` < 2 or there are fewer observations than batches.
    """
    arr = _as_1d(values)
    if n_batches < 2:
        raise ValueError(f"n_batches must be >= 2, got {n_batches}")
    size = arr.size // n_batches
    if size == 0:
        raise ValueError(f"need at least n_batches={n_batches} observations, got {arr.size}")
    used = arr[arr.size - size * n_batches :]
    return t_interval(used.reshape(n_batches, size).mean(axis=1), confidence)
