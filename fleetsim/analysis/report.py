"""The HTML report: one self-contained file a teacher can open or an analyst can attach.

Everything is inside the file: figures are PNGs embedded as base64 ``data:`` URIs, the style is
an inline ``<style>`` block, and there is no script and no link to anything outside, so the file
renders the same offline, from an e-mail attachment or from a sandboxed viewer. Sections: the
headline summary table (variants side by side), the comparison with confidence intervals when
replications are given, the figures (comparison, timeline and every per-run figure kind), the
resolved scenario of each variant, and each run's events list.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from fleetsim.analysis import plots
from fleetsim.analysis.compare import HEADLINE, select_variants
from fleetsim.analysis.executors import Executor
from fleetsim.analysis.replicate import RunTask, run_many
from fleetsim.analysis.stats import replication_seeds
from fleetsim.analysis.tables import format_value
from fleetsim.record.result import Result

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
    source: str | Path | dict[str, Any],
    *,
    variants: list[str] | None = None,
    seed: int | None = None,
    overrides: list[str] | None = None,
    replications: int = 2,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run every variant under ``replications`` seeds; one row per (replication, variant).

    The seeds come from :func:`~fleetsim.analysis.stats.replication_seeds` of the base seed
    (default: the scenario's), and all variants share each seed (common random numbers).

    Args:
        source: a scenario file, packaged scenario name or dict.
        variants: which variants (default: all).
        seed: the master seed.
        overrides: ``key=value`` overrides applied to every variant.
        replications: R, the seeds per variant.
        executor: where the runs are computed (default: serial).

    Returns:
        Columns ``variant``, ``replication``, ``seed`` and the numeric summary keys (as floats),
        rows by replication, then variant.
    """
    scenarios = select_variants(source, variants, overrides)
    base = next(iter(scenarios.values())).seed if seed is None else seed
    seeds = replication_seeds(base, replications)
    data = {name: sc.model_dump(mode="json") for name, sc in scenarios.items()}
    tasks = [RunTask(d, s) for s in seeds for d in data.values()]
    summaries = iter(run_many(tasks, executor))
    rows = []
    for k, child in enumerate(seeds):
        for name in data:
            numeric = {
                key: float(v)
                for key, v in next(summaries).items()
                if isinstance(v, int | float) and key not in ("seed", "warmup_s")
            }
            rows.append({"variant": name, "replication": k, "seed": child, **numeric})
    return pd.DataFrame(rows)


def build_report(
    results: dict[str, Result],
    replications: pd.DataFrame | None = None,
    *,
    title: str | None = None,
    figure_kinds: Sequence[str] | None = None,
) -> str:
    """Return the whole report as one HTML document (a string).

    Args:
        results: one Result per variant (a single run is a dict of one).
        replications: per-replication summaries (``variant`` column plus metrics) for CIs.
        title: the page title (default: the scenario's name).
        figure_kinds: per-run figure kinds to include (default: all of :func:`plots.run_figures`).
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
    seeds = ", ".join(f"{n}: seed {r.seed}" for n, r in results.items())
    parts.append(f"<p class='note'>Runs: {html.escape(seeds)}.</p>")
    parts.append("<h2>Summary</h2>" + summary_table(results))
    comparison, figures = _comparison_section(results, replications)
    parts += comparison
    figures += _figures(results, figure_kinds)
    parts.append("<h2>Figures</h2>")
    for caption, uri in figures:
        parts.append(
            f"<figure><img alt='{html.escape(caption)}' src='{uri}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    parts += _scenario_and_events(results)
    parts.append("<p class='note'>Generated by fleetsim.</p></body></html>")
    return "\n".join(parts) + "\n"


def _comparison_section(
    results: dict[str, Result], replications: pd.DataFrame | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """The comparison's HTML parts and its (caption, data URI) figure; empty for one lone run."""
    if len(results) <= 1 and replications is None:
        return [], []
    data: dict[str, Result] | pd.DataFrame = replications if replications is not None else results
    table = plots.comparison_table(data)
    parts = ["<h2>Comparison</h2>"]
    if replications is not None:
        n = int(replications.groupby("variant").size().min())
        parts.append(
            f"<p class='note'>Mean and 95 % t confidence interval over {n} replications "
            "per variant (common random numbers).</p>"
        )
    parts.append(_frame_table(table))
    return parts, [("Variants compared", _uri(plots.comparison_figure(data)))]


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
