"""The HTML report: one self-contained file a teacher can open or an analyst can attach.

Everything is inside the file: figures are PNGs embedded as base64 ``data:`` URIs, the style is
an inline ``<style>`` block, and there is no script and no link to anything outside, so the file
renders the same offline, from an e-mail attachment or from a sandboxed viewer.

Sections, in reading order: what happened (each design's run told in sentences with minute
marks, :mod:`~fleetsim.analysis.story`); users and requests (the per-user figures next to the
per-request ones, :data:`~fleetsim.analysis.headline.PER_USER`); the headline figures, each with
its mean and confidence interval per design and the paired difference between designs over the
replications (:mod:`~fleetsim.analysis.headline`); the detailed summary of the run told above;
the figures; the resolved scenario of each design and each run's events list.

:func:`run_report` computes what the report shows: one detailed run per design on the master
seed (the story, the figures, the events) and R replications per design on seeds spawned from
it, every design on the same seeds (common random numbers), on any executor.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from fleetsim.analysis import plots
from fleetsim.analysis.compare import HEADLINE, Source, replicate_variants, run_variants
from fleetsim.analysis.executors import Executor
from fleetsim.analysis.headline import (
    PER_USER,
    PER_USER_NOTE,
    USER_KEYS,
    Estimate,
    headline_rows,
    present,
)
from fleetsim.analysis.replicate import flatten_summary
from fleetsim.analysis.story import Line, tell
from fleetsim.analysis.tables import format_number, format_value
from fleetsim.record.result import Result

#: Replications per design by default: `make demo` (two designs of az-outage, compiled build)
#: stays well under two minutes on two cores (docs/visualisation.md gives the measure).
DEFAULT_REPLICATIONS = 20

#: The events list is cut at this many rows per run (a long run can have tens of thousands).
MAX_EVENTS = 2000

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { border-bottom: 2px solid #4c72b0; padding-bottom: .2em; }
h2 { margin-top: 1.8em; color: #4c72b0; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f5f9; }
td:first-child, th:first-child { text-align: left; }
tr.sub td:first-child { padding-left: 1.5em; color: #555; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: 12px; }
details { margin: .5em 0; }
summary { cursor: pointer; font-weight: bold; }
.note { color: #555; font-size: 13px; }
.stories { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr));
           gap: 0 2em; }
ul.story li { margin: .3em 0; }
"""


def figure_to_data_uri(fig: Figure, dpi: int = 100) -> str:
    """Render ``fig`` to PNG and return it as a ``data:image/png;base64,…`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def summary_table(results: dict[str, Result]) -> str:
    """The headline summary of every run side by side, as an HTML table."""
    summaries: dict[str, Mapping[str, Any]] = {name: r.summary() for name, r in results.items()}
    names = list(summaries)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = [f"<tr><th></th>{head}</tr>"]
    for key in HEADLINE:
        cells = "".join(f"<td>{format_value(s.get(key, ''))}</td>" for s in summaries.values())
        rows.append(f"<tr><td>{key}</td>{cells}</tr>")
        for field, sub in (
            ("requests_failed", "failed_by_cause"),
            ("sessions_lost", "lost_by_cause"),
        ):
            if key != field:
                continue
            causes = sorted({c for s in summaries.values() for c in s[sub]})
            for cause in causes:
                cells = "".join(
                    f"<td>{format_value(s[sub].get(cause, 0))}</td>" for s in summaries.values()
                )
                rows.append(f"<tr class='sub'><td>{html.escape(cause)}</td>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _frame_table(frame: pd.DataFrame, floatfmt: str = "{:,.4g}") -> str:
    return frame.to_html(index=False, border=0, na_rep="-", float_format=floatfmt.format)


def replication_frame(
    source: Source, variants: list[str] | None = None, **options: Any
) -> pd.DataFrame:
    """Run every variant under R seeds; one row per (variant, replication).

    The seeds come from :func:`~fleetsim.analysis.stats.replication_seeds` of the base seed
    (default: the scenario's), and all variants share each seed (common random numbers): this
    is :func:`~fleetsim.analysis.compare.replicate_variants`'s frame.

    Args:
        source: a scenario file, packaged scenario name or dict.
        variants: which variants (default: all); the first is the baseline of the differences.
        options: ``replicate_variants``' keywords: ``seed``, ``overrides``, ``replications``
            (R, default 2), ``warmup_s``, ``executor`` and ``on_done``.

    Returns:
        Columns ``variant``, ``replication``, ``seed`` and every flattened summary key.
    """
    return replicate_variants(source, variants, **options).frame()


def run_report(
    source: Source,
    variants: list[str] | None = None,
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
    replications: int = DEFAULT_REPLICATIONS,
    warmup_s: float = 0.0,
    executor: Executor | None = None,
    on_done: Callable[[], None] | None = None,
) -> tuple[dict[str, Result], pd.DataFrame | None]:
    """Compute what the report shows: the detailed runs and the replications.

    Each design runs once on the master seed in full (its story, figures and events) and, with
    R >= 2, R times on the replication seeds spawned from it (summaries only). The detailed
    runs are computed in this process while the replications run on the executor.

    Args:
        source: a scenario file, packaged scenario name or dict (or a list of files).
        variants: which variants (default: all); the first is the baseline of the differences.
        seed: the master seed (default: the scenario's).
        overrides: ``key=value`` overrides applied to every variant.
        replications: R; with R = 1 there are no replications (and no intervals).
        warmup_s: warm-up deleted from the replications' steady-state metrics.
        executor: where the replications are computed (default: serial).
        on_done: called after each finished replication.

    Returns:
        The detailed Results by design, and :func:`replication_frame` (None when R = 1).
    """
    if replications < 2:
        return run_variants(source, variants, seed=seed, overrides=overrides), None
    # The detailed runs overlap the replications: the thread only waits on the executor's
    # workers (a serial executor computes in that thread, and gains nothing).
    with ThreadPoolExecutor(1) as background:
        frame = background.submit(
            replication_frame,
            source,
            variants,
            seed=seed,
            overrides=overrides,
            replications=replications,
            warmup_s=warmup_s,
            executor=executor,
            on_done=on_done,
        )
        results = run_variants(source, variants, seed=seed, overrides=overrides)
        return results, frame.result()


def build_report(
    results: dict[str, Result],
    replications: pd.DataFrame | None = None,
    *,
    title: str | None = None,
    figure_kinds: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> str:
    """Return the whole report as one HTML document (a string).

    Args:
        results: one Result per variant (a single run is a dict of one), the runs told.
        replications: per-replication summaries (``variant`` and ``replication`` columns plus
            metrics, as :func:`replication_frame`) for intervals and paired differences.
        title: the page title (default: the scenario's name).
        figure_kinds: per-run figure kinds to include (default: all of :func:`plots.run_figures`).
        confidence: the intervals' nominal coverage.
    """
    first = next(iter(results.values()))
    name = title or str(first.scenario.get("name", "scenario")).split("/")[0]
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(name)} — fleetsim report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(name)}</h1>",
    ]
    description = first.scenario.get("description")
    if description:
        parts.append(f"<p>{html.escape(str(description))}</p>")
    parts.append(f"<p class='note'>{html.escape(_runs_note(results, replications))}</p>")
    parts += _story_section(results)
    frame = replications if replications is not None else _single_frame(results)
    names = list(results)
    parts.append("<h2>Users and requests</h2>")
    parts.append(f"<p>{html.escape(PER_USER_NOTE)}</p>")
    parts.append(_interval_table(frame, present(frame, PER_USER), names, confidence))
    parts.append("<h2>Headline figures</h2>")
    parts.append(f"<p class='note'>{html.escape(_interval_note(frame, confidence))}</p>")
    keys = [k for k in (*USER_KEYS, *HEADLINE) if k != "invariants_ok"]
    parts.append(_interval_table(frame, present(frame, list(dict.fromkeys(keys))), names))
    if "invariants_ok" in frame:
        ok = bool(frame["invariants_ok"].astype(bool).all())
        parts.append(f"<p>Accounting checks: {'passed' if ok else 'FAILED'} in every run.</p>")
    seeds = ", ".join(sorted({str(r.seed) for r in results.values()}))
    parts.append(f"<h2>The run told above, in detail (seed {html.escape(seeds)})</h2>")
    parts.append(summary_table(results))
    figures = _comparison_figure(results, replications) + _figures(results, figure_kinds)
    parts.append("<h2>Figures</h2>")
    for caption, uri in figures:
        parts.append(
            f"<figure><img alt='{html.escape(caption)}' src='{uri}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    parts += _scenario_and_events(results)
    parts.append("<p class='note'>Generated by fleetsim.</p></body></html>")
    return "\n".join(parts) + "\n"


def _runs_note(results: dict[str, Result], replications: pd.DataFrame | None) -> str:
    seeds = sorted({r.seed for r in results.values()})
    runs = f"each design's run on seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds}"
    if replications is None:
        return f"One run per design ({runs}); no confidence interval without replications."
    r = int(replications.groupby("variant").size().min())
    return (
        f"The story, the detailed summary and the figures are {runs}. The figures with "
        f"confidence intervals come from {r} replications per design, on seeds spawned from "
        "it and shared by every design (common random numbers)."
    )


def _interval_note(frame: pd.DataFrame, confidence: float) -> str:
    r = int(frame.groupby("variant").size().min())
    if r < 2:
        return "One run per design: the values alone, no interval."
    first = frame["variant"].iloc[0]
    return (
        f"Each design: mean [{confidence:.0%} t interval] over {r} replications. Each "
        f"difference ({first} − other): mean of the per-seed differences [its interval]; "
        "n.s. marks a difference whose interval contains 0 (not significant)."
    )


def _single_frame(results: dict[str, Result]) -> pd.DataFrame:
    """One row per design from its single run, shaped like :func:`replication_frame`."""
    rows = [
        {"variant": name, "replication": 0, **flatten_summary(r.summary())}
        for name, r in results.items()
    ]
    return pd.DataFrame(rows)


def story_lines(result: Result) -> list[Line]:
    """The run told in sentences (:func:`~fleetsim.analysis.story.tell` of its rows)."""
    sessions = result.sessions
    lost = sessions[sessions["outcome"] == "lost"]
    timeline = result.timeline
    failed = [
        (t, column.removeprefix("failed_").replace("_", " ", 1), n)
        for column in timeline.columns
        if column.startswith("failed_")
        for t, n in zip(timeline["time"], timeline[column], strict=True)
    ]
    return tell(
        result.recorder.events,
        zip(lost["end"], lost["cause"], strict=True),
        failed,
    )


def _story_section(results: dict[str, Result]) -> list[str]:
    parts = [
        "<h2>What happened</h2>",
        "<p class='note'>Each design's run told from its events, lost sessions and failed "
        "requests; minutes since the start of the run.</p>",
        "<div class='stories'>",
    ]
    for variant, result in results.items():
        items = "".join(
            f"<li><b>{html.escape(line.mark)}</b>: {html.escape(line.text)}</li>"
            for line in story_lines(result)
        )
        parts.append(
            f"<section><h3>{html.escape(variant)}</h3><ul class='story'>"
            f"{items or '<li>Nothing happened: no fault, no loss, no failure.</li>'}</ul></section>"
        )
    parts.append("</div>")
    return parts


def _cell(estimate: Estimate, difference: bool = False) -> str:
    """One table cell: ``mean [low, high]`` (n.s. for a difference whose interval holds 0)."""
    if not math.isfinite(estimate.mean):
        return "<td>-</td>"
    text = format_number(estimate.mean)
    data = f" data-mean='{estimate.mean!r}'"
    if estimate.has_interval:
        text += f" [{format_number(estimate.low)}, {format_number(estimate.high)}]"
        data += f" data-low='{estimate.low!r}' data-high='{estimate.high!r}'"
        if difference and estimate.significant is False:
            text += " n.s."
    return f"<td{data}>{html.escape(text)}</td>"


def _interval_table(
    frame: pd.DataFrame, metrics: list[str], names: list[str], confidence: float = 0.95
) -> str:
    """Metrics by design (mean [CI]) and paired differences first − other (mean [CI])."""
    if not metrics:
        return "<p class='note'>No such figure in these runs.</p>"
    rows = headline_rows(frame, metrics, names, confidence)
    diffs = [f"{names[0]} − {other}" for other in names[1:]]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in [*names, *diffs])
    lines = [f"<tr><th></th>{head}</tr>"]
    for row in rows:
        sub = " class='sub'" if row.metric not in metrics[:1] and _is_split(row.metric) else ""
        cells = "".join(_cell(e) for e in row.designs)
        cells += "".join(_cell(e, difference=True) for e in row.differences)
        lines.append(f"<tr{sub}><td>{html.escape(row.metric)}</td>{cells}</tr>")
    return "<table class='intervals'>" + "".join(lines) + "</table>"


def _is_split(metric: str) -> bool:
    # A split of a users' key (users_left_early_<reason>) is shown indented under it.
    return any(metric.startswith(k + "_") for k in USER_KEYS)


def _comparison_figure(
    results: dict[str, Result], replications: pd.DataFrame | None
) -> list[tuple[str, str]]:
    """The variants-compared figure (with CI error bars over replications); none for one run."""
    if len(results) <= 1 and replications is None:
        return []
    data: dict[str, Result] | pd.DataFrame = replications if replications is not None else results
    return [("Variants compared", _uri(plots.comparison_figure(data)))]


def _figures(
    results: dict[str, Result], figure_kinds: Sequence[str] | None
) -> list[tuple[str, str]]:
    """The timeline and each variant's per-run figures (those of ``figure_kinds``) as data URIs."""
    figures = [
        ("Timeline: requests, capacity, lost sessions", _uri(plots.timeline_figure(results)))
    ]
    for variant, result in results.items():
        for kind, fig in plots.run_figures(result).items():
            if figure_kinds is None or kind in figure_kinds:
                figures.append((f"{variant}: {kind}", _uri(fig)))
    return figures


def _scenario_and_events(results: dict[str, Result]) -> list[str]:
    """Each variant's resolved configuration and its events (the first :data:`MAX_EVENTS`)."""
    parts = ["<h2>Scenario (resolved configuration)</h2>"]
    for variant, result in results.items():
        text = json.dumps(result.scenario, indent=2)
        parts.append(
            f"<details open><summary>{html.escape(variant)}</summary>"
            f"<pre>{html.escape(text)}</pre></details>"
        )
    parts.append("<h2>Events</h2>")
    for variant, result in results.items():
        events = result.events
        shown = events.head(MAX_EVENTS)
        cut = f" (first {MAX_EVENTS} of {len(events)})" if len(events) > MAX_EVENTS else ""
        parts.append(
            f"<details><summary>{html.escape(variant)}: {len(events)} events{cut}</summary>"
            f"{_frame_table(shown, '{:,.1f}')}</details>"
        )
    return parts


def _uri(fig: Figure) -> str:
    return figure_to_data_uri(fig)


def write_report(
    results: dict[str, Result],
    path: str | Path,
    replications: pd.DataFrame | None = None,
) -> Path:
    """Write :func:`build_report` to ``path`` and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(results, replications), encoding="utf-8")
    return out
