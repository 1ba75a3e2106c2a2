"""Faults and operations drawn on figures: spans paired from the events frame, and shading.

Faults and operations taken from the ``events`` frame (``<kind>.start``/``<kind>.end`` pairs,
e.g. ``fault.az_outage.start``) are shaded with a label at the time they happened;
:func:`finish` gives a per-run figure its shading, legends, x label and title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fleetsim.record.result import Result


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


def finish(fig: Figure, axes: Sequence[Axes], result: Result | None, title: str) -> Figure:
    """Shade the faults on every panel, add legends, the x label and the title; lay out ``fig``."""
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
