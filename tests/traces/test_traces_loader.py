from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ALB, CLF, PER_MINUTE_JUL13, QUIRKS, TSV, gzip_copy, write

import fleetsim.traces as traces
from fleetsim.traces import (
    RateTrace,
    RequestTrace,
    TraceError,
    detect_format,
    load_trace,
    packaged_trace_path,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (PER_MINUTE_JUL13, "rate_csv"),
        (TSV, "requests_csv"),
        (CLF, "clf"),
        (QUIRKS, "clf"),
        (ALB, "alb"),
    ],
)
def test_detect_format_of_fixtures_plain_and_gzip(
    tmp_path: Path, path: Path, expected: str
) -> None:
    assert detect_format(path) == expected
    assert detect_format(gzip_copy(path, tmp_path / (path.name + ".gz"))) == expected


def test_detect_packaged_and_synthetic_tables(tmp_path: Path) -> None:
    assert detect_format(packaged_trace_path()) == "rate_csv"
    cases = {
        "Timestamp,Sum,Unit\n2024-01-01T00:00:00Z,3,Count\n": "cloudwatch",
        "Label,Timestamp,Value\nx,2024-01-01T00:00:00Z,3\n": "cloudwatch",
        "time,RequestCount\n2024-01-01T00:00:00Z,3\n": "rate_csv",
        "1700000000,3\n1700000060,4\n": "rate_csv",
        "1700000000.25\n": "requests_csv",
        "host,request_creation_time\nh1,2024-01-01T00:00:00Z\n": "requests_csv",
    }
    for i, (text, expected) in enumerate(cases.items()):
        assert detect_format(write(tmp_path / f"t{i}.csv", text)) == expected, text


def test_undetectable_and_empty(tmp_path: Path) -> None:
    with pytest.raises(
        TraceError, match=r"w\.txt line 2: 'hello world' does not look like.*set the format"
    ):
        detect_format(write(tmp_path / "w.txt", "\nhello world\n"))
    with pytest.raises(TraceError, match="is empty"):
        load_trace(write(tmp_path / "e.log", ""))


def test_load_trace_returns_the_right_type() -> None:
    assert isinstance(load_trace(PER_MINUTE_JUL13), RateTrace)
    for path in (TSV, CLF, ALB):
        assert isinstance(load_trace(path), RequestTrace)
    launch = load_trace(packaged_trace_path())
    assert isinstance(launch, RateTrace) and launch.total == 134_203


def test_load_trace_forwards_options_and_on_error() -> None:
    coarse = load_trace(packaged_trace_path(), bin_seconds=300)
    assert isinstance(coarse, RateTrace)
    assert (coarse.bin_seconds, len(coarse), coarse.total) == (300.0, 288, 134_203)
    quirks = load_trace(QUIRKS, format="clf", on_error="skip")
    assert isinstance(quirks, RequestTrace) and quirks.count() == 7 and quirks.skipped == 1
    as_cloudwatch = load_trace(PER_MINUTE_JUL13, format="cloudwatch", count_column="requests")
    assert isinstance(as_cloudwatch, RateTrace) and as_cloudwatch.total == 134_203


def test_load_trace_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="format must be"):
        load_trace(CLF, format="parquet")
    with pytest.raises(ValueError, match="on_error"):
        load_trace(CLF, on_error="ignore")
    with pytest.raises(
        TraceError,
        match="which has no option 'bin_seconds'; bin_seconds applies to rate_csv, cloudwatch",
    ):
        load_trace(CLF, bin_seconds=60)
    with pytest.raises(FileNotFoundError):
        load_trace("/nonexistent/trace.csv")


def test_packaged_trace_path() -> None:
    path = packaged_trace_path()
    assert path.name == "nasa_1995-07-13_per_second.csv.gz"
    assert path.is_file() and path.stat().st_size < 400_000
    assert (path.parent / "ATTRIBUTION.md").is_file()
    with pytest.raises(FileNotFoundError):
        packaged_trace_path("nope.csv")


def test_public_api_is_exported() -> None:
    for name in traces.__all__:
        assert getattr(traces, name) is not None
    assert {"load_trace", "to_rate", "inspect_trace", "format_inspection", "TraceError"} <= set(
        traces.__all__
    )
