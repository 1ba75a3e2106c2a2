"""The validation report: rows measured by the tests, rendered into ``docs/validation.md``.

A test adds evidence with one call on the ``validation_report`` fixture, e.g.::

    validation_report.aws(
        "Connect timeout to an unreachable target",
        documented="10 s, then 504",
        source="§1.3",
        simulated=f"{n} requests, all {latency:g} s, 504",
        passed=ok,
    )

which records the row and fails the test if ``passed`` is false. Rows are plain data so that
pytest-xdist workers can ship them to the controller (see ``tests/validation/plugin.py``), which
either writes the page (``make validate``) or checks that every row measured in this session is
already in the committed page, so the page cannot silently drift from what the tests measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPORT_PATH = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


@dataclass(frozen=True)
class Section:
    """One table of the report: a title, an explanatory paragraph and its columns."""

    key: str
    title: str
    intro: str
    columns: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "aws",
        "Documented AWS behaviour",
        "Each row states a behaviour documented by AWS (or derived from AWS figures), the figure "
        "and its section in the project's fact sheet ([aws-behaviour.md](aws-behaviour.md)), and "
        "what the simulator does, measured on seeded runs by `tests/validation/"
        "test_aws_behaviour.py` (and by other test modules that add rows).",
        ("Behaviour", "Documented", "Source", "Simulated", "Result"),
    ),
    Section(
        "queueing",
        "Queueing theory (CI set, `make test`)",
        "The model reduced to textbook queues (Poisson arrivals, exponential service, one request "
        "per session, no think time, an ideal session store, a huge accept queue): M/M/1 and "
        "M/M/c are one instance with `workers = c`; round robin is the ALB dispatching to c "
        "instances with one worker each, so each queue is E_c/M/1. μ is chosen so that "
        "c·μ = 100/s and λ = 100·ρ. Per replication: the first 50 s are deleted (warm-up), W is "
        "the mean latency of requests finishing afterwards, Wq = Lq/λ from the queue length "
        "sampled once a second (Little's law on the queue), L the time-average of requests in "
        "the system. *Simulated* is the mean over replications with its 95 % t-interval; a row "
        "passes when the exact value lies in the Bonferroni-widened interval (family-wise 95 % "
        "over all rows of the table), and for W when the 95 % half-width is also under the "
        "stated precision.",
        ("Model", "ρ", "Metric", "Exact", "Simulated mean [95 % CI]", "Runs", "Result"),
    ),
    Section(
        "queueing-slow",
        "Queueing theory (extended set, `make validate`)",
        "Same method as above, over the whole utilisation range 0.3–0.95, with more and longer "
        "replications (marked `slow`, not run by CI), plus the fact-sheet check value "
        "c = 20, μ = 10/s, λ = 160/s.",
        ("Model", "ρ", "Metric", "Exact", "Simulated mean [95 % CI]", "Runs", "Result"),
    ),
    Section(
        "little",
        "Little's law on every queueing run",
        "On each replication above, the time-average number in the system after the warm-up "
        "(from the recorder's time integral) must equal λ·W measured from the same window's "
        "arrivals and latencies. The two differ only by the requests straddling the window's "
        "ends (tens of requests against tens of thousands), so the tolerance is 1 %.",
        ("Model", "ρ", "Runs", "Largest relative gap |L − λW| / L", "Result"),
    ),
)


@dataclass(frozen=True)
class Row:
    """One measured row of a section (cells exclude the Result column)."""

    section: str
    cells: tuple[str, ...]
    passed: bool

    def line(self) -> str:
        """Return the Markdown table line of this row."""
        verdict = "pass" if self.passed else "**FAIL**"
        return "| " + " | ".join((*self.cells, verdict)) + " |"

    def as_dict(self) -> dict[str, object]:
        """Return plain data (pytest-xdist ships it from worker to controller)."""
        return {"section": self.section, "cells": list(self.cells), "passed": self.passed}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Row:
        """Inverse of :meth:`as_dict`."""
        cells = data["cells"]
        assert isinstance(cells, list)
        return cls(str(data["section"]), tuple(str(c) for c in cells), bool(data["passed"]))


class Report:
    """What a test sees through the ``validation_report`` fixture: adds rows to the session."""

    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    def add(self, section: str, cells: Iterable[str], passed: bool) -> Row:
        """Record a row of ``section``; the caller asserts (several rows may precede a failure)."""
        if section not in {s.key for s in SECTIONS}:
            raise KeyError(f"unknown report section {section!r}")
        row = Row(section, tuple(cells), bool(passed))
        self._rows.append(row)
        return row

    def aws(
        self, behaviour: str, documented: str, source: str, simulated: str, passed: bool
    ) -> None:
        """Record one documented-AWS-behaviour row and fail the calling test if it did not pass."""
        row = self.add("aws", (behaviour, documented, source, simulated), passed)
        assert row.passed, f"validation row failed: {row.line()}"


def render(rows: Iterable[Row]) -> str:
    """Render the whole page; rows are sorted so the page does not depend on test order."""
    by_section: dict[str, set[Row]] = {}
    for row in rows:
        by_section.setdefault(row.section, set()).add(row)
    out = [
        "# Validation report",
        "",
        "<!-- Generated by the test suite (`make validate`); do not edit by hand. -->",
        "",
        "This page is written by the tests themselves: every row is a measurement on a seeded "
        "run, so the same code gives the same page. `make test` (CI) checks that each row it "
        "measures is present here verbatim; `make validate` runs everything, including the "
        "slow set, and rewrites the page. The property-based invariant tests "
        "(`tests/properties/`) and the cross-process reproducibility tests "
        "(`tests/validation/test_reproducibility.py`) pass or fail without table rows; they are "
        "described at the end.",
        "",
    ]
    for section in SECTIONS:
        section_rows = sorted(by_section.get(section.key, ()), key=lambda r: r.cells)
        out += [f"## {section.title}", "", section.intro, ""]
        if not section_rows:
            out += ["*(not measured in the run that wrote this page)*", ""]
            continue
        out.append("| " + " | ".join(section.columns) + " |")
        out.append("|" + "|".join("---" for _ in section.columns) + "|")
        out += [row.line() for row in section_rows]
        out.append("")
    out += [
        "## Invariants and reproducibility",
        "",
        "- `tests/properties/test_invariants.py` (Hypothesis, derandomised): random valid "
        "scenarios — fleet sizes, 1–3 AZs, AZ outages, loads, workers and queues, "
        "instance-memory or ideal sessions, stickiness, EC2 or ELB health checks — always "
        "balance the ledger (request and session conservation, `Result.checks`), complete "
        "without an illegal EC2 transition, keep in-service + pending within [min, max] "
        "(above max only by the rebalancing allowance of 10 % or 1, below min only while no AZ "
        "can launch or replacements are booting), never show a negative queue or more busy "
        "workers than exist, and bill a non-negative cost that does not decrease when the same "
        "run is simulated longer.",
        "- `tests/validation/test_reproducibility.py`: the same seed gives identical summaries, "
        "timelines and events in this process and in fresh worker processes "
        "(`ProcessPoolExecutor`, spawn).",
        "",
    ]
    return "\n".join(out)


def missing_lines(rows: Iterable[Row], text: str) -> list[str]:
    """Return the lines of ``rows`` that the page ``text`` does not contain verbatim."""
    present = set(text.splitlines())
    return sorted({row.line() for row in rows} - present)
