"""Pytest plugin collecting validation-report rows and writing or checking docs/validation.md.

Registered from ``tests/conftest.py``. Under pytest-xdist each worker keeps its own rows and
ships them in ``workeroutput`` when it finishes; the controller merges them. With
``--write-validation-report`` (``make validate``) the controller rewrites the page from this
session's rows; otherwise it fails the session if a row measured now is not in the committed page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.validation.report import REPORT_PATH, Report, Row, missing_lines, render

_ROWS = pytest.StashKey[list[Row]]()
_STALE = pytest.StashKey[list[str]]()
_WORKER_KEY = "fleetsim_validation_rows"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--write-validation-report",
        action="store_true",
        default=False,
        help="rewrite docs/validation.md from the rows measured in this (complete) session",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ROWS] = []
    config.stash[_STALE] = []


@pytest.fixture
def validation_report(request: pytest.FixtureRequest) -> Report:
    """Add rows to the validation report (see tests/validation/report.py)."""
    return Report(request.config.stash[_ROWS])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    rows = getattr(node, "workeroutput", {}).get(_WORKER_KEY, [])
    node.config.stash[_ROWS].extend(Row.from_dict(r) for r in rows)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    rows = config.stash[_ROWS]
    if hasattr(config, "workeroutput"):
        config.workeroutput[_WORKER_KEY] = [r.as_dict() for r in rows]
        return
    if config.getoption("--write-validation-report"):
        REPORT_PATH.write_text(render(rows))
        return
    if not rows:
        return
    text = REPORT_PATH.read_text() if REPORT_PATH.exists() else ""
    stale = missing_lines(rows, text)
    if stale:
        config.stash[_STALE] = stale
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stale = config.stash.get(_STALE, [])
    if config.getoption("--write-validation-report"):
        terminalreporter.write_line(f"validation report written: {REPORT_PATH}")
    if stale:
        terminalreporter.section("docs/validation.md is stale", red=True)
        terminalreporter.write_line("rows measured now but missing from the committed page:")
        for line in stale:
            terminalreporter.write_line("  " + line)
        terminalreporter.write_line("regenerate it with `make validate` and commit it")
