from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import CLF, EDT, QUIRKS, TSV, gzip_copy, write

from fleetsim.traces.clf import parse_clf_line, read_clf
from fleetsim.traces.errors import TraceError
from fleetsim.traces.requests_csv import read_requests_csv


def test_line_count_equals_arrival_count() -> None:
    lines = CLF.read_text().splitlines()
    trace = read_clf(CLF)
    assert trace.count() == len(lines) == 2000
    assert trace.start == datetime(1995, 8, 1, 2, 0, tzinfo=EDT)
    assert trace.start.utcoffset() == timedelta(hours=-4)
    arrivals = list(trace)
    assert arrivals[:4] == [0.0, 4.0, 6.0, 70.0]
    assert arrivals[-1] == 6326.0  # 03:45:26 EDT


def test_tsv_and_clf_agree_on_the_same_august_records() -> None:
    clf, tsv = read_clf(CLF), read_requests_csv(TSV)
    assert clf.start == tsv.start  # same instant (EDT vs UTC)
    assert list(clf) == list(tsv)


def test_gzip_is_transparent(tmp_path: Path) -> None:
    packed = gzip_copy(CLF, tmp_path / "access.log.gz")
    assert list(read_clf(packed)) == list(read_clf(CLF))


def test_nasa_quirks_parse_and_the_truncated_line_is_reported() -> None:
    trace = read_clf(QUIRKS)
    with pytest.raises(TraceError) as info:
        trace.count()
    assert str(info.value).startswith(f"{QUIRKS} line 8, field 'line': 'alyssa.p' is not a")
    skipping = read_clf(QUIRKS, on_error="skip")
    assert skipping.count() == 7
    assert skipping.skipped == 1


def test_quirky_records() -> None:
    lines = QUIRKS.read_text().splitlines()
    no_bytes = parse_clf_line(lines[2])
    assert (no_bytes.status, no_bytes.bytes) == (404, None)
    binary = parse_clf_line(lines[3])
    assert binary.request == "\x05\x01"
    assert binary.host == "klothos.crl.research.digital.com"
    assert binary.time == datetime(1995, 7, 10, 16, 45, 50, tzinfo=EDT)
    assert parse_clf_line(lines[4]).request == "GET  HTTP/1.0"
    assert parse_clf_line(lines[5]).request == "1/history/apollo/images/"


def test_combined_log_format_and_quotes_inside_the_request() -> None:
    line = (
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
        '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
    )
    record = parse_clf_line(line)
    assert record.user == "frank"
    assert record.request == "GET /apache_pb.gif HTTP/1.0"
    assert record.time == datetime(2000, 10, 10, 13, 55, 36, tzinfo=timezone(timedelta(hours=-7)))
    assert record.time.utcoffset() == timedelta(hours=-7)
    odd = parse_clf_line('h - - [01/Jul/1995:00:00:01 -0400] "GET /a"b" HTTP/1.0" 200 -')
    assert odd.request == 'GET /a"b" HTTP/1.0'


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        (
            'h - - [32/Jul/1995:00:00:01 -0400] "GET /" 200 1',
            "timestamp",
            "not a valid calendar date",
        ),
        ('h - - [01/Jly/1995:00:00:01 -0400] "GET /" 200 1', "timestamp", "unknown month"),
        ('h - - [01/Jul/1995:25:00:01 -0400] "GET /" 200 1', "timestamp", "out of range"),
        ('h - - [01/Jul/1995 00:00:01] "GET /" 200 1', "timestamp", "is not a timestamp"),
        ('h - - [01/Jul/1995:00:00:01 -0400] "GET /', "request", "no closing quote"),
        ('h - - [01/Jul/1995:00:00:01 -0400] "GET /" 200', "status", "truncated line"),
        ("h - - [01/Jul/1995:00:", "line", "not a Common Log Format line"),
    ],
)
def test_malformed_lines(tmp_path: Path, line: str, field: str, problem: str) -> None:
    good = 'g - - [01/Jul/1995:00:00:00 -0400] "GET /" 200 1\n'
    path = write(tmp_path / "bad.log", good + line + "\n" + good.replace(":00 -", ":09 -"))
    with pytest.raises(TraceError) as info:
        list(read_clf(path))
    message = str(info.value)
    assert message.startswith(f"{path} line 2, field '{field}': ")
    assert problem in message
    trace = read_clf(path, on_error="skip")
    assert list(trace) == [0.0, 9.0]
    assert trace.skipped == 1


def test_empty_and_all_bad(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="is empty"):
        read_clf(write(tmp_path / "empty.log", "\n"))
    with pytest.raises(TraceError, match=r"line 1, field 'line'"):
        read_clf(write(tmp_path / "junk.log", "junk\n"))
    with pytest.raises(TraceError, match=r"no valid log line \(1 malformed"):
        read_clf(tmp_path / "junk.log", on_error="skip")
