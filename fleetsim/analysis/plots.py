"""Figures drawn from Results (matplotlib, non-interactive backend).

Colours are fixed per AZ and per failure cause so that the same thing looks the same in every
figure; faults are shaded with a label at the time they happened.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fleetsim.record.result import Result

AZ_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
OK_COLOUR = "#2ca02c"
#: Failure causes keep one colour everywhere; unknown causes cycle through the spare colours.
CAUSE_COLOURS = {
    "000 alb_node_down": "#7f7f7f",
    "502 target_reset": "#d62728",
    "502 deregistration_timeout": "#e377c2",
    "503 no_registered_targets": "#8c564b",
    "503 no_healthy_targets": "#bcbd22",
    "503 target_overloaded": "#ff7f0e",
    "504 target_timeout": "#9467bd",
}
_SPARE = ["#17becf", "#1f77b4", "#aec7e8", "#ffbb78", "#98df8a"]


def cause_colour(cause: str) -> str:
    """Return the fixed colour of a failure cause (``"502 target_reset"``)."""
    if cause in CAUSE_COLOURS:
        return CAUSE_COLOURS[cause]
    return _SPARE[sum(map(ord, cause)) % len(_SPARE)]


def shade_faults(ax: Axes, result: Result) -> None:
    """Shade every AZ outage of the result on ``ax`` with a label."""
    events = result.events
    starts = events[events.kind == "fault.az_outage.start"]
    ends = events[events.kind == "fault.az_outage.end"]
    for _, start in starts.iterrows():
        end = ends[(ends.az == start.az) & (ends.time >= start.time)]
        stop = float(end.time.iloc[0]) if len(end) else float(result.scenario["duration"])
        ax.axvspan(start.time / 60, stop / 60, color="red", alpha=0.12, lw=0)
        ax.text(
            start.time / 60,
            0.98,
            f" {start.az} down",
            transform=ax.get_xaxis_transform(),
            va="top",
            fontsize=8,
            color="darkred",
        )


def timeline_figure(results: dict[str, Result], bin_s: int = 60) -> Figure:
    """Draw, per variant, requests per second by outcome, in-service instances per AZ, and sessions.

    Args:
        results: Results by variant name (one column of panels each).
        bin_s: seconds per plotted bin.
    """
    n = len(results)
    fig, axes = plt.subplots(3, n, figsize=(6 * n, 8), sharex=True, squeeze=False)
    for col, (name, result) in enumerate(results.items()):
        tl = result.timeline.copy()
        tl["bin"] = (tl["time"] // bin_s) * bin_s
        agg = tl.groupby("bin").sum(numeric_only=True) / bin_s
        minutes = agg.index / 60
        ax = axes[0][col]
        ax.plot(minutes, agg["ok"], color=OK_COLOUR, label="ok")
        for column in sorted(c for c in tl.columns if c.startswith("failed_")):
            cause = column.removeprefix("failed_").replace("_", " ", 1)
            ax.plot(minutes, agg[column], label=cause, color=cause_colour(cause))
        ax.set_title(f"{name}: requests/s by outcome")
        ax.set_ylabel("requests / s")
        ax.legend(fontsize=7, loc="upper right")
        shade_faults(ax, result)
        ax = axes[1][col]
        last = tl.groupby("bin").last()
        azs = result.scenario["azs"]
        ax.stackplot(
            last.index / 60,
            *[last[f"in_service_{az}"] for az in azs],
            labels=azs,
            colors=AZ_COLOURS[: len(azs)],
        )
        ax.set_ylabel("instances in service")
        ax.legend(fontsize=7, loc="lower right")
        shade_faults(ax, result)
        ax = axes[2][col]
        sessions = result.sessions
        lost = sessions[sessions.outcome == "lost"]
        per_bin = (lost["end"] // bin_s).value_counts().sort_index()
        ax.bar(per_bin.index * bin_s / 60, per_bin.values, width=bin_s / 60, color="tab:red")
        ax.set_ylabel(f"sessions lost per {bin_s // 60 or 1} min")
        ax.set_xlabel("time (minutes)")
        shade_faults(ax, result)
    fig.tight_layout()
    return fig


def save_timeline(results: dict[str, Result], path: str | Path) -> Path:
    """Write :func:`timeline_figure` to ``path`` (PNG) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = timeline_figure(results)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
