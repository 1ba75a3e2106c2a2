"""The figures the documentation quotes are current and quoted faithfully.

``docs/figures/<scenario>.md`` are written by ``make figures`` from runs; each records the seeded
fingerprints it was made under. When a change moves results for a seed, the fingerprints are
rewritten (``tests/test_fingerprints.py``) and the figures files no longer match: this test then
fails until ``make figures`` is run again, so no stale number survives a change of the model.
(A fingerprint covers the first 40 minutes of a run: a change that moves only later figures is
not seen here.) The README's result tables must be rows of those files, cell for cell.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from fleetsim.config.loader import packaged_scenarios

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
_spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
assert _spec is not None and _spec.loader is not None
make_figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_figures)

Table = dict[str, list[str]]


def _parse_table(block: str) -> tuple[list[str], Table]:
    """A ``format_summaries`` table: (column names, label -> cells)."""
    lines = block.strip("\n").splitlines()
    columns = lines[0].split()
    rows: Table = {}
    for line in lines[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells[1:]
    return columns, rows


def _tables(path: Path) -> list[str]:
    """The plain (no language) fenced blocks of a Markdown file that are summary tables."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None  # the opening fence line of the block we are in
    for line in path.read_text().splitlines():
        if fence is None and line.startswith("```"):
            fence, current = line, []
        elif fence is not None and line == "```":
            if fence == "```":
                blocks.append("\n".join(current))
            fence = None
        elif fence is not None:
            current.append(line)
    return [b for b in blocks if len(b.splitlines()) > 2 and set(b.splitlines()[1]) == {"-"}]


def _figures() -> dict[str, tuple[list[str], Table]]:
    out = {}
    for name in packaged_scenarios():
        (block,) = _tables(FIGURES / f"{name}.md")
        out[name] = _parse_table(block)
    return out


@pytest.mark.parametrize("name", packaged_scenarios())
def test_figures_were_made_under_the_current_fingerprints(name: str) -> None:
    path = FIGURES / f"{name}.md"
    assert path.exists(), f"no figures for {name}: run `make figures`"
    fingerprints = json.loads((ROOT / "tests" / "data" / "fingerprints.json").read_text())
    expected = make_figures.fingerprint_line(name, fingerprints)
    assert expected in path.read_text().splitlines(), (
        f"results for {name} moved since {path.name} was written: run `make figures` "
        "and update the numbers the docs quote from it"
    )


def test_readme_tables_quote_the_figures_files() -> None:
    figures = _figures()
    tables = _tables(ROOT / "README.md")
    assert tables, "the README shows result tables"
    for block in tables:
        columns, rows = _parse_table(block)
        sources = [n for n, (cols, _) in figures.items() if cols == columns]
        assert sources, f"no figures file has the columns {columns}"
        name = sources[0]
        source_rows = figures[name][1]
        for label, cells in rows.items():
            assert source_rows.get(label) == cells, (
                f"README row {label!r} {cells} differs from docs/figures/{name}.md "
                f"{source_rows.get(label)}"
            )
