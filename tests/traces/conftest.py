"""Shared fixtures for the fleetsim.traces tests (only local files, no network)."""

from __future__ import annotations

import gzip
import shutil
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from fleetsim.traces.model import RateTrace
from fleetsim.traces.packaged import packaged_trace_path
from fleetsim.traces.rate_csv import read_rate_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "traces"
EDT = timezone(timedelta(hours=-4))

PER_MINUTE_JUL13 = DATA / "nasa_per_minute_1995-07-13.csv"
PER_MINUTE_AUG01 = DATA / "nasa_per_minute_1995-08-01_0000-0559.csv"
TSV = DATA / "nasa_19950801_head2000.tsv"
CLF = DATA / "nasa_19950801_derived_head2000.clf.log"
QUIRKS = DATA / "nasa_clf_quirks.log"
ALB = DATA / "alb_access_log_doc_examples.log"


def gzip_copy(source: Path, target: Path) -> Path:
    """Write a gzip-compressed copy of ``source`` to ``target`` and return ``target``."""
    with open(source, "rb") as raw, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    return target


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8, no newline translation) and return ``path``."""
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.fixture(scope="session")
def launch_day() -> RateTrace:
    """The packaged NASA 13 July 1995 per-second trace, read once per session."""
    return read_rate_csv(packaged_trace_path())
