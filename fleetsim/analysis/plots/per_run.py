"""Figures of one run: scaling, outcomes, sessions, latency and CPU, and :func:`run_figures`.

Every figure has a title naming the run, time in minutes on the x axis, units on every y axis
and a legend wherever there is more than one series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fleetsim.analysis.plots.faults import finish, shade_faults
from fleetsim.analysis.plots.style import (
    DEMAND_COLOUR,
    OK_COLOUR,
    PENDING_COLOUR,
    QUANTILE_STYLES,
    VARIANT_COLOURS,
    _cause_of,
    _failed_columns,
    _style,
    _x,
    agg_figure,
    az_colour,
    cause_colour,
    lost_colour,
    rate_per_bin,
)
from fleetsim.record.result import Result


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
        return finish(fig, [top, bottom], result, result.name)


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
        return finish(fig, [top, bottom], result, result.name)


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
        return finish(fig, [ax], result, result.name)


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
        return finish(fig, [ax], result, result.name)


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
