"""Plain-text tables: the one renderer behind every table the command line prints.

A table is a list of rows of cells (strings), the first row its header: :func:`render_table`
left-aligns the first column (the labels), right-aligns the others (the numbers) and rules the
header off. :func:`format_number` writes an estimate (a mean, a bound) to four significant
digits, :func:`format_value` writes one summary value the same way everywhere (text tables
and the HTML report), and :func:`format_summaries` lays runs' summaries side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["format_number", "format_summaries", "format_value", "render_table"]

#: The by-cause breakdowns, each shown under the summary key it breaks down.
_BREAKDOWNS = {
    "requests_failed": ("failed", "failed_by_cause"),
    "sessions_lost": ("lost", "lost_by_cause"),
}


def format_value(value: Any) -> str:
    """One summary value as text: yes/NO, ``-`` for NaN, 4 decimals below 10, thousands commas."""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v:,}" for k, v in value.items()) or "-"
    return str(value)


def format_number(x: float | None) -> str:
    """An estimate to 4 significant digits (whole, with commas, from 1,000); ``-`` for None."""
    if x is None:
        return "-"
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def render_table(rows: Sequence[Sequence[str]]) -> str:
    """Align rows of cells: labels left, values right, a rule under the header (row 0).

    Args:
        rows: the header row, then one row per line; every row has the same number of cells.
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines: list[str] = []
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def format_summaries(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """Lay out summaries side by side: one row per key, one column per run.

    Failures and lost sessions are broken down by cause under ``requests_failed`` and
    ``sessions_lost`` (a cause missing from a run counts 0 there).
    """
    runs = list(summaries.values())
    keys: list[str] = []
    for summary in runs:
        for key in summary:
            if key not in keys and key not in ("scenario", "failed_by_cause", "lost_by_cause"):
                keys.append(key)
    rows = [["", *summaries]]
    for key in keys:
        rows.append([key, *[format_value(s.get(key, "")) for s in runs]])
        if key in _BREAKDOWNS:
            kind, field = _BREAKDOWNS[key]
            for cause in sorted({c for s in runs for c in s.get(field, {})}):
                counts = [format_value(s[field].get(cause, 0)) for s in runs]
                rows.append([f"  {kind}: {cause}", *counts])
    return render_table(rows)
