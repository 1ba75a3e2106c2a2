"""The figures' shared look: fixed colours, the rc style, the Agg figure factory, labels.

Colours are fixed per AZ, per failure cause, per lost-session cause and per variant, so the same
thing looks the same in every figure. :func:`agg_figure` makes a Figure that never touches
pyplot's global backend. Small helpers every figure module uses (minutes on the x axis, per-bin
rates, metric labels) live here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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


def rate_per_bin(frame: pd.DataFrame, columns: Sequence[str], bin_s: int) -> pd.DataFrame:
    """Average per-second counts over ``bin_s``-second bins; index = bin start in seconds."""
    binned = frame[list(columns)].groupby((frame["time"] // bin_s) * bin_s).mean()
    return binned


def _x(seconds: pd.Index | pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=float) / 60.0


def _metric_label(metric: str) -> str:
    return _METRIC_LABELS.get(metric, metric.replace("_", " "))
