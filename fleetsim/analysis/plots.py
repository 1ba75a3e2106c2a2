"""Figures drawn from Results (matplotlib, drawn with the Agg backend).

Every figure follows one style: a title naming the run, time in minutes on the x axis, units on
every y axis, a legend wherever there is more than one series. Colours are fixed per AZ, per
failure cause, per lost-session cause and per variant, so the same thing looks the same in every
figure. Faults and operations taken from the ``events`` frame (``<kind>.start``/``<kind>.end``
pairs, e.g. ``fault.az_outage.start``) are shaded with a label at the time they happened.

Figure kinds: :func:`scaling_figure` (demand against capacity), :func:`outcomes_figure`
(requests per second by outcome), :func:`sessions_figure` (active and lost sessions),
:func:`latency_figure` (p50/p95/p99 per minute), :func:`cpu_figure` (CPU and scaling metrics,
when the timeline has them), :func:`comparison_figure` (variants side by side, CI error bars
from replications) and :func:`sweep_figure` (a metric against a swept parameter, CI bands).
:func:`save_all` writes them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fleetsim.analysis.stats import group_intervals
from fleetsim.record.result import Result

AZ_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
OK_COLOUR = "#2ca02c"
DEMAND_COLOUR = "#222222"
PENDING_COLOUR = "#bbbbbb"
#: Failure causes keep one colour everywhere; unknown causes cycle through the spare colours.
CAUSE_COLOURS = {
    "000 alb_node_down": "#7f7f7f",
    "502 target_reset": "#d62728",
    "502 deregistration_timeout": "#e377c2",
    "503 no_registered_targets": "#8c564b",
    "503 no_healthy_targets": "#bcbd22",
    "503 target_overloaded": "#ff7f0e",
    "504 target_timeout": "#9467bd",
    "500 store_unavailable": "#17becf",
}
#: Causes of lost sessions (architecture vocabulary).
LOST_COLOURS = {
    "instance_terminated": "#d62728",
    "rerouted": "#ff7f0e",
    "store_failover": "#9467bd",
    "store_evicted": "#8c564b",
    "store_down": "#7f7f7f",
}
VARIANT_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
QUANTILE_STYLES = {"p50_s": ("p50", "-"), "p95_s": ("p95", "--"), "p99_s": ("p99", ":")}
_SPARE = ["#17becf", "#1f77b4", "#aec7e8", "#ffbb78", "#98df8a"]
#: Summary metrics a comparison shows by default (those present are drawn).
COMPARISON_METRICS = ["requests_failed", "sessions_lost", "latency_p99_s", "cost_usd"]
_METRIC_LABELS = {
    "requests_failed": "failed requests",
    "sessions_lost": "lost sessions",
    "latency_p99_s": "latency p99 (s)",
    "latency_p95_s": "latency p95 (s)",
    "latency_p50_s": "latency p50 (s)",
    "cost_usd": "cost (USD)",
    "instance_hours": "instance hours",
    "failed_ratio": "failed ratio",
}
_STYLE = {
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}


def _style() -> AbstractContextManager[None]:
    # rc_context's stub wants literal keys; the dict above is checked by matplotlib at run time.
    return cast("AbstractContextManager[None]", matplotlib.rc_context(cast("Any", _STYLE)))


def agg_figure(**kwargs: Any) -> Figure:
    """A new Figure drawn by the Agg canvas, whatever backend pyplot uses.

    The figure is not registered with pyplot (nothing to close, no global backend switch), so
    importing the analysis layer never changes the backend of a notebook or a GUI session.

    Args:
        **kwargs: passed to :class:`matplotlib.figure.Figure` (``figsize``, ``dpi``, ...).
    """
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _spare(key: str) -> str:
    return _SPARE[sum(map(ord, key)) % len(_SPARE)]


def cause_colour(cause: str) -> str:
    """Return the fixed colour of a failure cause (``"502 target_reset"``)."""
    return CAUSE_COLOURS.get(cause) or _spare(cause)


def lost_colour(cause: str) -> str:
    """Return the fixed colour of a lost-session cause (``"instance_terminated"``)."""
    return LOST_COLOURS.get(cause) or _spare(cause)


def az_colour(result: Result, az: str) -> str:
    """Return the colour of ``az``: fixed by its position in the scenario's AZ list."""
    azs = list(result.scenario["azs"])
    return AZ_COLOURS[azs.index(az) % len(AZ_COLOURS)] if az in azs else _spare(az)


def _cause_of(column: str) -> str:
    # failed_502_target_reset → "502 target_reset"
    return column.removeprefix("failed_").replace("_", " ", 1)


def _failed_columns(frame: pd.DataFrame) -> list[str]:
    return sorted(c for c in frame.columns if c.startswith("failed_"))


# --- faults and operations -----------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A fault or operation over time, to be shaded: ``[start, end)`` seconds and a label."""

    start: float
    end: float
    label: str


def event_spans(result: Result) -> list[Span]:
    """Pair every ``<kind>.start`` event with the next ``<kind>.end`` of the same AZ and scope.

    An instance refresh ends with ``.done`` rather than ``.end``. A span still open at the end
    of the run ends at its duration. The label is the kind's middle part and the AZ, e.g.
    ``"az_outage us-east-1b"``.
    """
    events = result.events
    duration = float(result.scenario["duration"])
    spans: list[Span] = []
    starts = events[events.kind.str.endswith(".start")]
    az_key = events.az.fillna("")
    for _, start in starts.iterrows():
        stem = str(start.kind).removesuffix(".start")
        # An instance refresh ends with ".done"; every fault with ".end".
        ends = events[
            events.kind.isin((stem + ".end", stem + ".done"))
            & (events.time >= start.time)
            & (az_key == ("" if pd.isna(start.az) else start.az))
            & (events.scope == start.scope)
        ]
        stop = float(ends.time.iloc[0]) if len(ends) else duration
        name = stem.split(".", 1)[-1] if stem.startswith("fault.") else stem
        label = name if pd.isna(start.az) or not start.az else f"{name} {start.az}"
        spans.append(Span(float(start.time), stop, label))
    return spans


def shade_faults(ax: Axes, result: Result, label: bool = True) -> None:
    """Shade every fault and operation of the result on ``ax`` (x in minutes), with a label.

    A fault with a duration is a shaded band; an instantaneous one (start and end at the same
    time) a dashed vertical line.
    """
    for span in event_spans(result):
        if span.end > span.start:
            ax.axvspan(span.start / 60, span.end / 60, color="red", alpha=0.10, lw=0, gid="fault")
        else:
            # An instantaneous fault (a crash, a Redis node loss, a burst of Spot notices): a line.
            ax.axvline(span.start / 60, color="red", alpha=0.5, lw=1, ls="--", gid="fault")
        if label:
            ax.text(
                span.start / 60,
                0.98,
                f" {span.label}",
                transform=ax.get_xaxis_transform(),
                va="top",
                fontsize=7,
                color="darkred",
            )


# --- helpers -------------------------------------------------------------------------------


def rate_per_bin(frame: pd.DataFrame, columns: Sequence[str], bin_s: int) -> pd.DataFrame:
    """Average per-second counts over ``bin_s``-second bins; index = bin start in seconds."""
    binned = frame[list(columns)].groupby((frame["time"] // bin_s) * bin_s).mean()
    return binned


def _finish(fig: Figure, axes: Sequence[Axes], result: Result | None, title: str) -> Figure:
    for ax in axes:
        if result is not None:
            shade_faults(ax, result)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc="upper right", framealpha=0.85)
    axes[-1].set_xlabel("time (minutes)")
    fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig


def _x(seconds: pd.Index | pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=float) / 60.0


# --- per-run figures -----------------------------------------------------------------------


def scaling_figure(result: Result, bin_s: int = 10) -> Figure:
    """Demand against capacity: in-service instances stacked per AZ, pending, desired, demand.

    Args:
        result: one run.
        bin_s: seconds per bin of the demand curve (arrivals per second, averaged).
    """
    tl = result.timeline
    azs = list(result.scenario["azs"])
    with _style():
        fig = agg_figure(figsize=(9, 4.2))
        ax = fig.subplots()
        x = _x(tl["time"])
        lower = np.zeros(len(tl))
        for az in azs:
            upper = lower + tl[f"in_service_{az}"].to_numpy(dtype=float)
            colour = az_colour(result, az)
            ax.fill_between(x, lower, upper, step="post", color=colour, alpha=0.55, lw=0)
            ax.plot(x, upper, drawstyle="steps-post", color=colour, lw=1, label=f"in service {az}")
            lower = upper
        if "pending" in tl:
            upper = lower + tl["pending"].to_numpy(dtype=float)
            ax.fill_between(x, lower, upper, step="post", color=PENDING_COLOUR, alpha=0.8, lw=0)
            ax.plot(x, upper, drawstyle="steps-post", color="#888888", lw=1, label="+ pending")
        if "desired" in tl:
            ax.plot(
                x,
                tl["desired"],
                drawstyle="steps-post",
                color="black",
                lw=1.6,
                ls="--",
                label="desired",
            )
        ax.set_ylabel("instances")
        ax.set_ylim(bottom=0)
        demand = rate_per_bin(tl, ["arrivals"], bin_s)
        ax2 = ax.twinx()
        ax2.plot(
            _x(demand.index),
            demand["arrivals"],
            color=DEMAND_COLOUR,
            lw=1.2,
            label=f"demand (req/s, {bin_s} s mean)",
            gid="demand",
        )
        ax2.set_ylabel("demand (requests / s)")
        ax2.set_ylim(bottom=0)
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.set_title("Scaling: demand against capacity")
        fig.suptitle(result.name, fontsize=12, fontweight="bold")
        shade_faults(ax, result)
        ax.legend(h1 + h2, l1 + l2, loc="lower left", framealpha=0.85, ncol=2)
        ax.set_xlabel("time (minutes)")
        fig.tight_layout()
    return fig


def outcomes_figure(result: Result, bin_s: int = 10) -> Figure:
    """Successful requests per second (top) and failed requests per second by cause (bottom).

    Args:
        result: one run.
        bin_s: seconds per bin (counts are averaged to requests per second).
    """
    tl = result.timeline
    causes = _failed_columns(tl)
    with _style():
        fig = agg_figure(figsize=(9, 5.5))
        top, bottom = fig.subplots(2, 1, sharex=True)
        rates = rate_per_bin(tl, ["ok", *causes], bin_s)
        x = _x(rates.index)
        top.plot(x, rates["ok"], color=OK_COLOUR, lw=1.2, label="ok")
        top.set_ylabel("successful (requests / s)")
        top.set_ylim(bottom=0)
        top.set_title(f"Requests by outcome ({bin_s} s means)")
        for column in causes:
            cause = _cause_of(column)
            bottom.plot(x, rates[column], color=cause_colour(cause), lw=1.2, label=cause)
        if not causes:
            bottom.text(
                0.5,
                0.5,
                "no failed requests",
                transform=bottom.transAxes,
                ha="center",
                color="grey",
            )
        bottom.set_ylabel("failed (requests / s)")
        bottom.set_ylim(bottom=0)
        return _finish(fig, [top, bottom], result, result.name)


def _upload_columns(tl: pd.DataFrame) -> list[str]:
    return [c for c in tl.columns if "upload" in c and "lost" in c]


def _lost_bars(ax: Axes, result: Result, bin_s: int) -> None:
    """Stack the sessions lost per ``bin_s`` seconds, one colour per cause, on ``ax``."""
    sessions = result.sessions
    lost = sessions[sessions.outcome == "lost"]
    duration = float(result.scenario["duration"])
    edges = np.arange(0.0, duration + bin_s, bin_s)
    base = np.zeros(len(edges) - 1)
    for cause in sorted(lost["cause"].dropna().unique()):
        counts, _ = np.histogram(lost.loc[lost.cause == cause, "end"], bins=edges)
        ax.bar(
            _x(edges[:-1]),
            counts,
            width=bin_s / 60,
            bottom=base,
            align="edge",
            color=lost_colour(cause),
            label=f"lost: {cause}",
            gid=f"lost:{cause}",
        )
        base = base + counts
    if lost.empty:
        ax.text(0.5, 0.5, "no lost sessions", transform=ax.transAxes, ha="center", color="grey")
    ax.set_ylim(bottom=0)


def sessions_figure(result: Result, bin_s: int = 60) -> Figure:
    """Active sessions (top) and sessions lost per ``bin_s`` by cause, stacked (bottom).

    Lost uploads are drawn too when the timeline has a column for them (a name containing
    ``upload`` and ``lost``, counts per second); otherwise the run's total is written on the
    panel when the run had uploads.
    """
    tl = result.timeline
    with _style():
        fig = agg_figure(figsize=(9, 5.5))
        top, bottom = fig.subplots(2, 1, sharex=True)
        if "sessions_active" in tl:
            top.plot(
                _x(tl["time"]),
                tl["sessions_active"],
                color="#4c72b0",
                lw=1.2,
                label="active sessions",
            )
        top.set_ylabel("active sessions")
        top.set_ylim(bottom=0)
        top.set_title("Sessions")
        _lost_bars(bottom, result, bin_s)
        for column in _upload_columns(tl):
            per_bin = tl[column].groupby((tl["time"] // bin_s) * bin_s).sum()
            bottom.plot(
                _x(per_bin.index + bin_s / 2),
                per_bin,
                color="black",
                marker=".",
                lw=1,
                label=column.replace("_", " "),
            )
        uploads = result.summary().get("uploads_total", 0)
        if uploads and not _upload_columns(tl):
            # The recorder counts lost uploads for the whole run only: state it, don't plot it.
            lost_uploads = result.summary().get("uploads_lost", 0)
            bottom.text(
                0.01,
                0.95,
                f"lost uploads (whole run): {lost_uploads:,} of {uploads:,}",
                transform=bottom.transAxes,
                va="top",
                fontsize=8,
                gid="uploads",
            )
        minutes = bin_s / 60
        unit = "minute" if minutes == 1 else f"{minutes:g} min"
        bottom.set_ylabel(f"lost per {unit}")
        bottom.set_ylim(bottom=0)
        return _finish(fig, [top, bottom], result, result.name)


def latency_figure(result: Result) -> Figure:
    """Latency of successful requests per minute: p50, p95 and p99 (log scale, seconds)."""
    lat = result.latency
    with _style():
        fig = agg_figure(figsize=(9, 4))
        ax = fig.subplots()
        x = _x(lat["time"])
        for column, (label, style) in QUANTILE_STYLES.items():
            ax.plot(
                x,
                lat[column],
                drawstyle="steps-post",
                ls=style,
                color="#4c72b0",
                lw=1.4,
                label=label,
            )
        ax.set_yscale("log")
        ax.set_ylabel("latency (s)")
        ax.set_title("Latency of successful requests, per minute")
        return _finish(fig, [ax], result, result.name)


def cpu_columns(tl: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]]]:
    """Return the timeline's CPU columns and its (metric, metric_target) column pairs."""
    cpu = [c for c in tl.columns if c.startswith("cpu") and not c.endswith("_target")]
    pairs = [(c.removesuffix("_target"), c) for c in tl.columns if c.endswith("_target")]
    pairs = [(m, t) for m, t in pairs if m in tl.columns]
    return cpu, pairs


def cpu_figure(result: Result) -> Figure | None:
    """CPU utilisation and the scaling policy's metric against its target; None without them.

    Drawn from timeline columns whose name starts with ``cpu`` (percent) and from every pair
    ``<metric>`` / ``<metric>_target``.
    """
    tl = result.timeline
    cpu, pairs = cpu_columns(tl)
    if not cpu and not pairs:
        return None
    with _style():
        fig = agg_figure(figsize=(9, 4))
        ax = fig.subplots()
        x = _x(tl["time"])
        for i, column in enumerate(cpu):
            ax.plot(x, tl[column], color=VARIANT_COLOURS[i % 6], lw=1.2, label=column)
        for i, (metric, target) in enumerate(pairs):
            colour = VARIANT_COLOURS[(len(cpu) + i) % 6]
            if metric not in cpu:
                ax.plot(x, tl[metric], color=colour, lw=1.2, label=metric)
            ax.plot(x, tl[target], color=colour, lw=1.2, ls="--", label=f"{metric} target")
        ax.set_ylabel("percent / metric value")
        ax.set_title("CPU and scaling metric against target")
        return _finish(fig, [ax], result, result.name)


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


# --- across runs ---------------------------------------------------------------------------


def _metric_label(metric: str) -> str:
    return _METRIC_LABELS.get(metric, metric.replace("_", " "))


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


# --- writing -------------------------------------------------------------------------------


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    return out


def save_timeline(results: dict[str, Result], path: str | Path) -> Path:
    """Write :func:`timeline_figure` to ``path`` (PNG) and return the path."""
    return save_figure(timeline_figure(results), path)


def run_figures(result: Result) -> dict[str, Figure]:
    """Every per-run figure kind of one Result, by kind (``cpu`` only when its columns exist)."""
    figures = {
        "scaling": scaling_figure(result),
        "outcomes": outcomes_figure(result),
        "sessions": sessions_figure(result),
        "latency": latency_figure(result),
    }
    cpu = cpu_figure(result)
    if cpu is not None:
        figures["cpu"] = cpu
    return figures


def save_all(
    results: dict[str, Result],
    directory: str | Path,
    replications: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every figure kind for ``results`` into ``directory``; return the paths written.

    One run gives ``<kind>.png`` per kind and ``timeline.png``; several give
    ``<variant>-<kind>.png``, ``compare-timeline.png`` and ``comparison.png`` (with CI error
    bars when ``replications`` holds per-replication summaries with a ``variant`` column).
    """
    out = Path(directory)
    paths: list[Path] = []
    single = len(results) == 1
    for name, result in results.items():
        prefix = "" if single else f"{name}-"
        for kind, fig in run_figures(result).items():
            paths.append(save_figure(fig, out / f"{prefix}{kind}.png"))
    if single:
        paths.append(save_timeline(results, out / "timeline.png"))
    else:
        paths.append(save_timeline(results, out / "compare-timeline.png"))
        data = replications if replications is not None else results
        paths.append(save_figure(comparison_figure(data), out / "comparison.png"))
    return paths
