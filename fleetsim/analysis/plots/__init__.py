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

Modules: :mod:`.style` (colours, rc style, :func:`agg_figure`), :mod:`.faults` (fault spans and
shading), :mod:`.per_run` (figures of one run), :mod:`.timeline` (variants side by side over
time), :mod:`.comparison`, :mod:`.sweeps` (across runs) and :mod:`.save` (writing files).
"""

from __future__ import annotations

from fleetsim.analysis.plots.comparison import (
    comparison_figure,
    comparison_table,
)
from fleetsim.analysis.plots.faults import (
    Span,
    event_spans,
    shade_faults,
)
from fleetsim.analysis.plots.per_run import (
    cpu_columns,
    cpu_figure,
    latency_figure,
    outcomes_figure,
    run_figures,
    scaling_figure,
    sessions_figure,
)
from fleetsim.analysis.plots.save import (
    save_all,
    save_figure,
    save_timeline,
)
from fleetsim.analysis.plots.style import (
    AZ_COLOURS,
    CAUSE_COLOURS,
    COMPARISON_METRICS,
    DEMAND_COLOUR,
    LOST_COLOURS,
    OK_COLOUR,
    PENDING_COLOUR,
    QUANTILE_STYLES,
    VARIANT_COLOURS,
    agg_figure,
    az_colour,
    cause_colour,
    lost_colour,
    rate_per_bin,
)
from fleetsim.analysis.plots.sweeps import (
    sweep_figure,
    sweep_table,
)
from fleetsim.analysis.plots.timeline import (
    timeline_figure,
)

__all__ = [
    "AZ_COLOURS",
    "CAUSE_COLOURS",
    "COMPARISON_METRICS",
    "DEMAND_COLOUR",
    "LOST_COLOURS",
    "OK_COLOUR",
    "PENDING_COLOUR",
    "QUANTILE_STYLES",
    "VARIANT_COLOURS",
    "Span",
    "agg_figure",
    "az_colour",
    "cause_colour",
    "comparison_figure",
    "comparison_table",
    "cpu_columns",
    "cpu_figure",
    "event_spans",
    "latency_figure",
    "lost_colour",
    "outcomes_figure",
    "rate_per_bin",
    "run_figures",
    "save_all",
    "save_figure",
    "save_timeline",
    "scaling_figure",
    "sessions_figure",
    "shade_faults",
    "sweep_figure",
    "sweep_table",
    "timeline_figure",
]
