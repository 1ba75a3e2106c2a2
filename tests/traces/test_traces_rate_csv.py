from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import EDT, PER_MINUTE_AUG01, PER_MINUTE_JUL13, gzip_copy, write
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetsim.traces.errors import TraceError
from fleetsim.traces.model import RateTrace
from fleetsim.traces.rate_csv import read_cloudwatch_csv, read_rate_csv


def csv_rows(path: Path) -> list[tuple[str, int]]:
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    return [(time, int(count)) for time, count in rows[1:]]


# --- the packaged NASA launch-day trace: facts from the data README -----------------


def test_packaged_launch_day_facts(launch_day: RateTrace) -> None:
    assert launch_day.bin_seconds == 1.0
    assert len(launch_day) == 86_400
    assert launch_day.duration == 86_400.0
    assert launch_day.total == 134_203
    assert launch_day.start == datetime(1995, 7, 13, tzinfo=EDT)
    assert launch_day.start.utcoffset() == timedelta(hours=-4)
    peak = int(np.argmax(launch_day.counts))
    assert launch_day.counts[peak] == 20
    assert launch_day.start + timedelta(seconds=peak) == datetime(
        1995, 7, 13, 13, 32, 58, tzinfo=EDT
    )
    assert launch_day.rate_at(float(peak)) == 20.0
    # second highest: 18 req/s at 09:42:19, 24 s after the STS-70 liftoff at 09:41:55
    liftoff_plus_24 = 9 * 3600 + 42 * 60 + 19
    assert launch_day.counts[liftoff_plus_24] == 18
    assert sorted(launch_day.counts)[-2] == 18
    assert launch_day.skipped == 0


def test_packaged_per_second_rebinned_equals_per_minute_slice(launch_day: RateTrace) -> None:
    minutes = read_rate_csv(PER_MINUTE_JUL13)
    np.testing.assert_array_equal(launch_day.rebin(60).counts, minutes.counts)
    assert minutes.start == launch_day.start


# --- real per-minute slices -----------------------------------------------------------


@pytest.mark.parametrize("path", [PER_MINUTE_JUL13, PER_MINUTE_AUG01])
def test_per_minute_slice_totals_equal_sum_of_rows(path: Path) -> None:
    rows = csv_rows(path)
    trace = read_rate_csv(path)
    assert trace.bin_seconds == 60.0
    assert len(trace) == len(rows)
    assert trace.total == sum(count for _, count in rows)
    np.testing.assert_array_equal(trace.counts, [count for _, count in rows])
    assert trace.start == datetime.fromisoformat(rows[0][0])


def test_per_minute_peak_is_405_at_0949_edt() -> None:
    trace = read_rate_csv(PER_MINUTE_JUL13)
    peak = int(np.argmax(trace.counts))
    assert trace.counts[peak] == 405
    assert trace.start + timedelta(seconds=trace.times[peak]) == datetime(
        1995, 7, 13, 9, 49, tzinfo=EDT
    )


def test_gzip_is_transparent(tmp_path: Path) -> None:
    packed = gzip_copy(PER_MINUTE_AUG01, tmp_path / "minutes.csv.gz")
    plain, gz = read_rate_csv(PER_MINUTE_AUG01), read_rate_csv(packed)
    np.testing.assert_array_equal(plain.counts, gz.counts)
    assert plain.start == gz.start
    no_suffix = gzip_copy(PER_MINUTE_AUG01, tmp_path / "minutes.bin")
    assert read_rate_csv(no_suffix).total == plain.total


# --- layout options -------------------------------------------------------------------


def test_gaps_become_zero_bins_and_bin_is_inferred(tmp_path: Path) -> None:
    path = write(
        tmp_path / "gaps.csv",
        "time,count\n2024-01-01T00:00:00Z,5\n2024-01-01T00:01:00Z,7\n2024-01-01T00:04:00Z,1\n",
    )
    trace = read_rate_csv(path)
    assert trace.bin_seconds == 60.0
    np.testing.assert_array_equal(trace.counts, [5, 7, 0, 0, 1])


@pytest.mark.parametrize("bin_seconds", [1, 60, 300])
def test_bin_inferred_from_epoch_seconds(tmp_path: Path, bin_seconds: int) -> None:
    t0 = 1_700_000_000
    text = "epoch,requests\n" + "".join(f"{t0 + i * bin_seconds},{i}\n" for i in range(4))
    trace = read_rate_csv(write(tmp_path / "e.csv", text))
    assert trace.bin_seconds == bin_seconds
    assert trace.start == datetime.fromtimestamp(t0, UTC)


def test_naive_timestamps_use_tz_option(tmp_path: Path) -> None:
    path = write(
        tmp_path / "naive.csv", "ts,requests\n1995-07-13 09:41:00,1\n1995-07-13 09:42:00,2\n"
    )
    assert read_rate_csv(path).start == datetime(1995, 7, 13, 9, 41, tzinfo=UTC)
    local = read_rate_csv(path, tz="America/New_York")
    assert local.start.utcoffset() == timedelta(hours=-4)
    assert local.start == datetime(1995, 7, 13, 13, 41, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        read_rate_csv(path, tz="Mars/Olympus_Mons")


def test_headerless_and_explicit_columns(tmp_path: Path) -> None:
    headerless = write(tmp_path / "h.csv", "2024-01-01T00:00:00Z,3\n2024-01-01T00:00:01Z,4\n")
    np.testing.assert_array_equal(read_rate_csv(headerless).counts, [3, 4])
    wide = write(
        tmp_path / "w.csv",
        "host;hits;when\nA;3;2024-01-01T00:00:00Z\nA;4;2024-01-01T00:00:10Z\n",
    )
    by_name = read_rate_csv(wide, time_column="WHEN", count_column="hits", delimiter=";")
    by_index = read_rate_csv(wide, time_column=2, count_column=1, delimiter=";")
    np.testing.assert_array_equal(by_name.counts, [3, 4])
    np.testing.assert_array_equal(by_index.counts, by_name.counts)
    assert by_name.bin_seconds == 10.0


def test_given_bin_seconds_aggregates(tmp_path: Path, launch_day: RateTrace) -> None:
    lines = ["timestamp_edt,requests"]
    start = datetime(1995, 7, 13, tzinfo=EDT)
    for i in range(600):
        lines.append(f"{(start + timedelta(seconds=i)).isoformat()},{launch_day.counts[i]}")
    path = write(tmp_path / "s.csv", "\n".join(lines) + "\n")
    trace = read_rate_csv(path, bin_seconds=60)
    np.testing.assert_array_equal(trace.counts, launch_day.counts[:600].reshape(10, 60).sum(1))
    with pytest.raises(ValueError, match="bin_seconds"):
        read_rate_csv(path, bin_seconds=0)


def test_single_row_needs_bin_seconds(tmp_path: Path) -> None:
    path = write(tmp_path / "one.csv", "time,requests\n2024-01-01T00:00:00Z,9\n")
    with pytest.raises(TraceError, match=r"one\.csv line 2: .*single data row.*bin_seconds"):
        read_rate_csv(path)
    assert read_rate_csv(path, bin_seconds=60).total == 9


def test_typo_year_is_caught_before_allocating(tmp_path: Path) -> None:
    path = write(
        tmp_path / "typo.csv",
        "time,requests\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,1\n2204-01-01T00:00:02Z,1\n",
    )
    with pytest.raises(TraceError, match=r"typo\.csv line 4, field 'time'.*bins"):
        read_rate_csv(path)


# --- CloudWatch exports ------------------------------------------------------------------

CLOUDWATCH = """Timestamp,Sum,Unit
2024-05-01T12:10:00Z,30.0,Count
2024-05-01T12:00:00Z,10.0,Count
2024-05-01T12:05:00Z,20.0,Count
2024-05-01T12:25:00Z,5.0,Count
"""


def test_cloudwatch_export_is_sorted_and_gaps_filled(tmp_path: Path) -> None:
    trace = read_cloudwatch_csv(write(tmp_path / "cw.csv", CLOUDWATCH))
    assert trace.bin_seconds == 300.0
    assert trace.start == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    np.testing.assert_array_equal(trace.counts, [10, 20, 30, 0, 0, 5])


def test_cloudwatch_value_column_and_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cw.csv",
        "Label,Timestamp,Value\nRequestCount,2024-05-01 12:01:00,4\n"
        "RequestCount,2024-05-01 12:00:00,3\nRequestCount,2024-05-01 12:01:00,4\n",
    )
    with pytest.raises(TraceError, match=r"cw\.csv line 4, field 'Timestamp'.*repeats.*line 2"):
        read_cloudwatch_csv(path)
    trace = read_cloudwatch_csv(path, on_error="skip")
    np.testing.assert_array_equal(trace.counts, [3, 4])
    assert trace.skipped == 1


def test_unsorted_rows_need_sort(tmp_path: Path) -> None:
    path = write(tmp_path / "cw.csv", CLOUDWATCH)
    with pytest.raises(TraceError, match=r"cw\.csv line 3, field 'Timestamp'.*line 2.*sort=True"):
        read_rate_csv(path, time_column="Timestamp")
    assert read_rate_csv(path, time_column="Timestamp", sort=True).total == 65


# --- malformed input: TraceError naming file, line and field; skip counts ------------------

GOOD_HEAD = "timestamp,requests\n2024-01-01T00:00:00Z,1\n"
GOOD_TAIL = "".join(f"2024-01-01T00:00:0{i}Z,{i + 1}\n" for i in range(2, 6))


@pytest.mark.parametrize(
    ("bad_row", "field", "problem"),
    [
        ("2024-13-01T00:00:01Z,2", "timestamp", "is not a timestamp"),
        ("yesterday,2", "timestamp", "is not a timestamp"),
        ("1704067201000,2", "timestamp", "milliseconds"),
        ("2024-01-01T00:00:01Z,-3", "requests", "'-3' is negative; counts must be integers >= 0"),
        ("2024-01-01T00:00:01Z,2.5", "requests", "is not a whole number"),
        ("2024-01-01T00:00:01Z,lots", "requests", "is not a number"),
        ("2024-01-01T00:00:01Z", "requests", "is missing"),
        ("2024-01-01T00:00:01Z,", "requests", "is not a number"),
        ("2023-12-31T23:59:59Z,2", "timestamp", "not later than the timestamp on line 2"),
        ("2024-01-01T00:00:01.5Z,2", "timestamp", "grid"),
    ],
)
def test_malformed_row_raises_or_is_skipped(
    tmp_path: Path, bad_row: str, field: str, problem: str
) -> None:
    path = write(tmp_path / "bad.csv", GOOD_HEAD + bad_row + "\n" + GOOD_TAIL)
    with pytest.raises(TraceError) as info:
        read_rate_csv(path)
    message = str(info.value)
    assert message.startswith(f"{path} line 3, field '{field}': ")
    assert problem in message
    assert "\n" not in message
    assert (info.value.line, info.value.field) == (3, field)
    trace = read_rate_csv(path, on_error="skip")
    assert trace.skipped == 1
    np.testing.assert_array_equal(trace.counts, [1, 0, 3, 4, 5, 6])


def test_wrong_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", GOOD_HEAD)
    with pytest.raises(TraceError, match=r"c\.csv line 1, field 'count': 'hits' is not a column"):
        read_rate_csv(path, count_column="hits")
    other = write(tmp_path / "d.csv", "timestamp,bytes\n2024-01-01T00:00:00Z,1\n")
    with pytest.raises(TraceError, match=r"d\.csv line 1: .*has no count column"):
        read_rate_csv(other)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "is empty"), ("\n  \n", "is empty"), ("timestamp,requests\n", "no data rows")],
)
def test_empty_files(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "e.csv", text)
    with pytest.raises(TraceError, match=problem):
        read_rate_csv(path)


def test_all_rows_bad_is_an_error_even_when_skipping(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "timestamp,requests\nx,1\ny,2\n")
    with pytest.raises(TraceError, match=r"no valid row \(2 malformed rows skipped"):
        read_rate_csv(path, on_error="skip")


# --- property: writing counts and reading them back is lossless ---------------------------


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=200),
    bin_seconds=st.sampled_from([1, 60, 300]),
    start=st.integers(min_value=0, max_value=4_000_000_000),
    offset_hours=st.integers(min_value=-12, max_value=14),
    style=st.sampled_from(["iso", "epoch"]),
)
def test_round_trip_is_lossless(
    counts: list[int], bin_seconds: int, start: int, offset_hours: int, style: str
) -> None:
    zone = (
        UTC if style == "epoch" else __import__("datetime").timezone(timedelta(hours=offset_hours))
    )
    first = datetime.fromtimestamp(start, zone)
    lines = ["timestamp,requests"]
    for i, count in enumerate(counts):
        stamp = start + i * bin_seconds
        text = str(stamp) if style == "epoch" else datetime.fromtimestamp(stamp, zone).isoformat()
        lines.append(f"{text},{count}")
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / "rt.csv", "\n".join(lines) + "\n")
        trace = read_rate_csv(path)
    assert trace.counts.tolist() == counts
    assert trace.bin_seconds == bin_seconds
    assert trace.start == first
    assert trace.start.utcoffset() == first.utcoffset()
    assert trace.total == sum(counts)


def test_off_grid_row_is_named_not_silently_rebinned(tmp_path: Path) -> None:
    stamps = [0, 60, 120, 180, 210, 240, 300]
    text = "time,requests\n" + "".join(f"{1_700_000_000 + s},1\n" for s in stamps)
    path = write(tmp_path / "grid.csv", text)
    with pytest.raises(TraceError, match=r"grid\.csv line 6, field 'time'.*60 s grid.*bin_seconds"):
        read_rate_csv(path)
    assert read_rate_csv(path, bin_seconds=30).counts.tolist() == [1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1]
