from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TSV, gzip_copy, write

from fleetsim.traces.errors import TraceError
from fleetsim.traces.requests_csv import read_requests_csv


def tsv_epochs() -> list[int]:
    with open(TSV, newline="") as stream:
        rows = list(csv.reader(stream, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0][2] == "time"
    return [int(row[2]) for row in rows[1:]]


def test_nasa_tsv_slice() -> None:
    epochs = tsv_epochs()
    trace = read_requests_csv(TSV)
    assert trace.format == "requests_csv"
    assert trace.time_field == "time"
    assert trace.start == datetime(1995, 8, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT
    assert trace.count() == 2000 == len(epochs)
    assert list(trace) == [float(e - epochs[0]) for e in epochs]
    assert trace.skipped == 0


def test_tz_changes_display_not_instants() -> None:
    trace = read_requests_csv(TSV, tz="America/New_York")
    assert trace.start.utcoffset() == timedelta(hours=-4)
    assert trace.start == datetime(1995, 8, 1, 6, 0, tzinfo=UTC)


def test_gzip_tsv(tmp_path: Path) -> None:
    packed = gzip_copy(TSV, tmp_path / "nasa.tsv.gz")
    assert list(read_requests_csv(packed)) == list(read_requests_csv(TSV))


def test_headerless_single_column_and_iso_with_tz(tmp_path: Path) -> None:
    plain = write(tmp_path / "arrivals.txt", "100.5\n101\n\n103.25\n")
    trace = read_requests_csv(plain)
    assert list(trace) == [0.0, 0.5, 2.75]
    assert trace.start == datetime.fromtimestamp(100.5, UTC)
    iso = write(
        tmp_path / "iso.csv", "id,arrival_time\n1,2024-03-10 01:59:59\n2,2024-03-10 03:00:00\n"
    )
    local = read_requests_csv(iso, tz="America/New_York")  # across the DST change
    assert list(local) == [0.0, 1.0]
    assert read_requests_csv(iso, time_column=1).time_field == "arrival_time"


def test_no_time_column(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "host,url\na,/\n")
    with pytest.raises(TraceError, match=r"x\.csv line 1: .*no recognisable time column"):
        read_requests_csv(path)
    with pytest.raises(TraceError, match=r"field 'time': 'when' is not a column"):
        read_requests_csv(path, time_column="when")


HEADER = "host\ttime\turl\n"


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        ("b\tnot-a-time\t/x", "'not-a-time' is not a timestamp"),
        ("b", "is missing (the row has 1 fields; truncated line?)"),
        ("b\t807256800000\t/x", "milliseconds"),
        ("b\tnan\t/x", "finite"),
    ],
)
def test_malformed_rows(tmp_path: Path, bad_row: str, problem: str) -> None:
    text = HEADER + "a\t807256800\t/\n" + bad_row + "\n" + "c\t807256802\t/\n"
    path = write(tmp_path / "bad.tsv", text)
    trace = read_requests_csv(path)  # the first data row is fine: opens
    with pytest.raises(TraceError) as info:
        list(trace)  # the bad row surfaces while streaming
    assert str(info.value).startswith(f"{path} line 3, field 'time': ")
    assert problem in str(info.value)
    skipping = read_requests_csv(path, on_error="skip")
    assert list(skipping) == [0.0, 2.0]
    assert skipping.skipped == 1


def test_bad_first_row_fails_at_open_unless_skipping(tmp_path: Path) -> None:
    path = write(tmp_path / "first.tsv", HEADER + "a\tsoon\t/\nb\t807256800\t/\n")
    with pytest.raises(TraceError, match=r"first\.tsv line 2, field 'time': 'soon'"):
        read_requests_csv(path)
    trace = read_requests_csv(path, on_error="skip")
    assert trace.start == datetime.fromtimestamp(807256800, UTC)
    assert trace.count() == 1
    assert trace.skipped == 1


@pytest.mark.parametrize(("text", "problem"), [("", "is empty"), (HEADER, "no data rows")])
def test_empty(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(TraceError, match=problem):
        read_requests_csv(write(tmp_path / "e.tsv", text))
