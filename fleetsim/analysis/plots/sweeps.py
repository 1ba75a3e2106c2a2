"""A metric against a swept parameter: a table of means with t intervals, and CI bands."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from fleetsim.analysis.plots.style import VARIANT_COLOURS, _metric_label, _style, agg_figure
from fleetsim.analysis.stats import group_intervals


def sweep_table(
    frame: pd.DataFrame,
    x: str,
    metric: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and t interval of ``metric`` per (``by``, ``x``) point of a tidy sweep frame.

    Args:
        frame: one row per (point, replication), with columns ``x``, ``metric`` and ``by``.
        x: the swept parameter on the x axis.
        metric: the metric on the y axis.
        by: another swept parameter, one line per value (None: one line).
        confidence: nominal coverage of the bands.
    """
    table = group_intervals(frame, [by, x] if by else [x], [metric], confidence)
    return pd.DataFrame(
        {
            "line": table[by] if by else None,
            "x": table[x],
            "n": table["n"],
            "mean": table["mean"],
            "ci_low": table["ci_low"],
            "ci_high": table["ci_high"],
        }
    )


def sweep_figure(
    frame: pd.DataFrame,
    x: str,
    metric: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
) -> Figure:
    """A metric against a swept parameter: one line per value of ``by``, CI bands around it.

    Args:
        frame: see :func:`sweep_table`.
        x: see :func:`sweep_table`.
        metric: see :func:`sweep_table`.
        by: see :func:`sweep_table`.
        confidence: see :func:`sweep_table`.
    """
    table = sweep_table(frame, x, metric, by=by, confidence=confidence)
    with _style():
        fig = agg_figure(figsize=(7, 4.2))
        ax = fig.subplots()
        for i, (line, rows) in enumerate(table.groupby("line", sort=True, dropna=False)):
            colour = VARIANT_COLOURS[i % 6]
            label = f"{by} = {line}" if by else metric
            ax.plot(rows["x"], rows["mean"], marker="o", color=colour, label=label)
            if (rows["n"] > 1).any():
                ax.fill_between(
                    rows["x"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
                )
        ax.set_xlabel(x)
        ax.set_ylabel(_metric_label(metric))
        n = int(table["n"].max())
        band = f", {confidence:.0%} CI over {n} replications" if n > 1 else ""
        ax.set_title(f"{_metric_label(metric)} against {x}{band}")
        if by:
            ax.legend(framealpha=0.85)
        fig.tight_layout()
    return fig
