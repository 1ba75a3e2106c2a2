"""The timeline figure: variants side by side, requests, capacity per AZ and lost sessions."""

from __future__ import annotations

from matplotlib.figure import Figure

from fleetsim.analysis.plots.faults import shade_faults
from fleetsim.analysis.plots.per_run import _lost_bars
from fleetsim.analysis.plots.style import (
    OK_COLOUR,
    _cause_of,
    _failed_columns,
    _style,
    _x,
    agg_figure,
    az_colour,
    cause_colour,
    rate_per_bin,
)
from fleetsim.record.result import Result


def timeline_figure(results: dict[str, Result], bin_s: int = 60) -> Figure:
    """Variants side by side: requests/s by outcome, in-service instances per AZ, lost sessions.

    Args:
        results: Results by variant name (one column of panels each).
        bin_s: seconds per plotted bin.
    """
    n = len(results)
    with _style():
        fig = agg_figure(figsize=(6 * n, 8))
        axes = fig.subplots(3, n, sharex=True, sharey="row", squeeze=False)
        for col, (name, result) in enumerate(results.items()):
            tl = result.timeline
            causes = _failed_columns(tl)
            agg = rate_per_bin(tl, ["ok", *causes], bin_s)
            minutes = _x(agg.index)
            ax = axes[0][col]
            ax.plot(minutes, agg["ok"], color=OK_COLOUR, label="ok")
            for column in causes:
                cause = _cause_of(column)
                ax.plot(minutes, agg[column], label=cause, color=cause_colour(cause))
            ax.set_title(f"{name}: requests/s by outcome")
            ax.set_ylabel("requests / s")
            ax.legend(loc="center right")
            shade_faults(ax, result)
            ax = axes[1][col]
            azs = list(result.scenario["azs"])
            ax.stackplot(
                _x(tl["time"]),
                *[tl[f"in_service_{az}"] for az in azs],
                labels=azs,
                colors=[az_colour(result, az) for az in azs],
                step="post",
            )
            ax.set_ylabel("instances in service")
            ax.legend(loc="lower right")
            shade_faults(ax, result, label=False)
            ax = axes[2][col]
            _lost_bars(ax, result, bin_s)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="upper right")
            ax.set_ylabel(f"sessions lost per {bin_s // 60 or 1} min")
            ax.set_xlabel("time (minutes)")
            shade_faults(ax, result, label=False)
        fig.tight_layout()
    return fig
