"""The headline figures of a comparison with their uncertainty, as rows ready to render.

A comparison of designs over R replications on common random numbers (replication i of every
design runs the same seed) answers two questions per figure: how much, with what confidence, in
each design (mean and Student-t interval, :func:`~fleetsim.analysis.stats.group_intervals`), and
by how much the designs differ (the paired difference first − other, its interval built on the
per-seed differences, :func:`~fleetsim.analysis.stats.paired_difference`). The input is tidy:
one row per (design, replication), a ``variant`` and a ``replication`` column and one column per
figure, as :meth:`~fleetsim.analysis.compare.Comparison.frame` gives it. With one replication the
rows carry the values alone (no interval can be had from one sample).

The per-user figures come first when the summaries carry them: they answer the question a user
of the service asks (was I hurt?), where the per-request figures answer the load balancer's (how
many requests failed?), and the two can point in opposite directions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from fleetsim.analysis.stats import group_intervals, paired_difference

__all__ = [
    "PER_USER",
    "PER_USER_NOTE",
    "USER_KEYS",
    "Estimate",
    "HeadlineRow",
    "headline_rows",
    "present",
]

#: The per-user and per-request figures set side by side at the top of the report.
PER_USER = (
    "users_affected",
    "users_turned_away",
    "actions_failed",
    "actions_abandoned",
    "sessions_lost",
    "requests_failed",
)

#: Why the per-user and per-request figures of PER_USER can disagree (one sentence).
PER_USER_NOTE = (
    "Per user and per request can disagree: a user who gives up after failures or a lost "
    "session sends no more requests, so a design that drives users away can fail fewer "
    "requests while hurting more users."
)

#: The users' and actions' summary keys, shown before the request figures when present.
USER_KEYS = (
    "users_total",
    "users_affected",
    "users_turned_away",
    "users_left_early",
    "actions_total",
    "actions_served",
    "actions_failed",
    "actions_abandoned",
    "actions_pending_at_end",
    "actions_redone",
)


@dataclass(frozen=True)
class Estimate:
    """A mean and its confidence interval (bounds NaN when there is none).

    Attributes:
        mean: the mean over replications (NaN if undefined in some replication).
        low: the interval's lower bound.
        high: the interval's upper bound.
        significant: for a difference, whether its interval excludes 0 (None otherwise or when
            there is no interval).
    """

    mean: float
    low: float
    high: float
    significant: bool | None = None

    @property
    def has_interval(self) -> bool:
        """Whether the bounds are defined (R >= 2 and the figure defined in every run)."""
        return math.isfinite(self.low) and math.isfinite(self.high)


@dataclass(frozen=True)
class HeadlineRow:
    """One figure across the designs and their differences.

    Attributes:
        metric: the summary key.
        designs: one estimate per design, in the designs' order.
        differences: one paired difference per compared pair (first design − each other).
    """

    metric: str
    designs: tuple[Estimate, ...]
    differences: tuple[Estimate, ...]


def present(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """The keys that are numeric columns of ``frame``, each followed by its split columns.

    A key's split columns are those named ``<key>_<part>`` (e.g. ``users_left_early_failures``)
    that are not themselves in ``keys``.
    """
    chosen: list[str] = []
    for key in keys:
        if key in frame and pd.api.types.is_numeric_dtype(frame[key]):
            chosen.append(key)
            chosen += sorted(
                c
                for c in frame.columns
                if c.startswith(key + "_")
                and c not in keys
                and pd.api.types.is_numeric_dtype(frame[c])
            )
    return chosen


def _difference(a: pd.Series, b: pd.Series, confidence: float) -> Estimate:
    """The paired difference of two designs' values, aligned by replication."""
    values_a, values_b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
    if len(values_a) == 0 or not (pd.notna(values_a).all() and pd.notna(values_b).all()):
        return Estimate(math.nan, math.nan, math.nan)
    pair = paired_difference(values_a, values_b, confidence)
    if pair.diff.n < 2:
        return Estimate(pair.diff_mean, math.nan, math.nan)
    return Estimate(pair.diff_mean, pair.diff.low, pair.diff.high, pair.significant)


def headline_rows(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    designs: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> list[HeadlineRow]:
    """Each metric's estimate per design and the paired differences first − other.

    Args:
        frame: one row per (design, replication): ``variant``, ``replication`` and the metrics.
        metrics: the metric columns, in the order of the rows.
        designs: the designs, the first being the baseline (default: in order of appearance).
        confidence: the intervals' nominal coverage.

    Returns:
        One row per metric.

    Raises:
        ValueError: if the designs do not have the same replications (they cannot be paired).
    """
    names = list(designs) if designs is not None else list(dict.fromkeys(frame["variant"]))
    by_design = {
        n: frame[frame["variant"] == n].set_index("replication").sort_index() for n in names
    }
    reps = [list(f.index) for f in by_design.values()]
    if any(r != reps[0] for r in reps):
        raise ValueError("every design needs the same replications to be paired")
    table = group_intervals(frame, ["variant"], metrics, confidence, sort=False)
    cells = {(r["variant"], r["metric"]): r for r in table.to_dict("records")}
    rows = []
    for metric in metrics:
        estimates = tuple(
            Estimate(
                float(cells[n, metric]["mean"]),
                float(cells[n, metric]["ci_low"]),
                float(cells[n, metric]["ci_high"]),
            )
            for n in names
        )
        base = by_design[names[0]][metric]
        diffs = tuple(_difference(base, by_design[n][metric], confidence) for n in names[1:])
        rows.append(HeadlineRow(metric, estimates, diffs))
    return rows
