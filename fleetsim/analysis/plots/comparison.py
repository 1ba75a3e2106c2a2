"""Variants compared across runs: a table of means with t intervals, and bars with CI errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fleetsim.analysis.plots.style import (
    COMPARISON_METRICS,
    VARIANT_COLOURS,
    _metric_label,
    _style,
    agg_figure,
)
from fleetsim.analysis.stats import group_intervals
from fleetsim.record.result import Result


def comparison_table(
    data: dict[str, Result] | pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    variant_col: str = "variant",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t confidence interval of each metric per variant.

    Args:
        data: one Result per variant, or per-replication summaries (one row per replication,
            a ``variant_col`` column and one column per metric).
        metrics: the metrics; default: those of :data:`COMPARISON_METRICS` present.
        variant_col: the column naming the variant in a DataFrame.
        confidence: the intervals' nominal coverage.

    Returns:
        One row per (variant, metric): ``variant, metric, n, mean, half_width, ci_low, ci_high``
        (half_width and bounds are NaN with a single replication).
    """
    if isinstance(data, dict):
        frame = pd.DataFrame([{variant_col: k, **r.summary()} for k, r in data.items()])
    else:
        frame = data
    chosen = list(metrics) if metrics else [m for m in COMPARISON_METRICS if m in frame]
    table = group_intervals(frame, [variant_col], chosen, confidence, sort=False)
    table = table.rename(columns={variant_col: "variant"})
    return table[["variant", "metric", "n", "mean", "half_width", "ci_low", "ci_high"]]


def comparison_figure(
    data: dict[str, Result] | pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    variant_col: str = "variant",
    confidence: float = 0.95,
    title: str = "Variants compared",
) -> Figure:
    """Variants side by side, one panel per metric, with CI error bars from replications.

    Args:
        data: see :func:`comparison_table`.
        metrics: see :func:`comparison_table`.
        variant_col: see :func:`comparison_table`.
        confidence: see :func:`comparison_table`.
        title: the figure's title.
    """
    table = comparison_table(data, metrics, variant_col=variant_col, confidence=confidence)
    chosen = list(dict.fromkeys(table["metric"]))
    variants = list(dict.fromkeys(table["variant"]))
    with _style():
        fig = agg_figure(figsize=(3.2 * len(chosen), 3.8))
        axes = fig.subplots(1, len(chosen), squeeze=False)
        for ax, metric in zip(axes[0], chosen, strict=True):
            rows = table[table.metric == metric].set_index("variant").loc[variants]
            err = rows["half_width"].to_numpy(dtype=float)
            has_err = bool(np.isfinite(err).any())
            ax.bar(
                range(len(variants)),
                rows["mean"],
                yerr=np.nan_to_num(err) if has_err else None,
                capsize=4,
                color=[VARIANT_COLOURS[i % 6] for i in range(len(variants))],
            )
            ax.set_xticks(range(len(variants)), variants)
            ax.set_title(_metric_label(metric))
            ax.set_ylim(bottom=0)
            ax.grid(axis="x", visible=False)
        n = int(table["n"].max())
        note = f"mean of {n} replications, {confidence:.0%} CI" if n > 1 else "one run each"
        fig.suptitle(f"{title} ({note})", fontsize=12, fontweight="bold")
        fig.tight_layout()
    return fig
