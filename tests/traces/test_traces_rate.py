from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import CLF, EDT, PER_MINUTE_AUG01, TSV, write
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetsim.traces.clf import read_clf
from fleetsim.traces.errors import TraceError
from fleetsim.traces.rate import bin_offsets, to_rate
from fleetsim.traces.rate_csv import read_rate_csv
from fleetsim.traces.requests_csv import read_requests_csv


def test_binned_request_slices_match_the_per_minute_series() -> None:
    minutes = read_rate_csv(PER_MINUTE_AUG01)  # 00:00 -> 05:59 EDT
    for trace in (read_clf(CLF), read_requests_csv(TSV, tz="America/New_York")):
        binned = to_rate(trace, 60)
        assert binned.start == datetime(1995, 8, 1, 2, 0, tzinfo=EDT)
        assert binned.start.utcoffset() == timedelta(hours=-4)
        assert binned.total == 2000
        first = int((binned.start - minutes.start).total_seconds() // 60)
        full = len(binned) - 1  # the last minute (03:45) is only partly in the slice
        np.testing.assert_array_equal(binned.counts[:full], minutes.counts[first : first + full])
        assert binned.counts[-1] <= minutes.counts[first + full]


def test_bins_are_epoch_aligned_and_accept_any_order(tmp_path: Path) -> None:
    lines = [
        'a - - [01/Jul/1995:00:00:59 -0400] "GET /" 200 1',
        'a - - [01/Jul/1995:00:02:30 -0400] "GET /" 200 1',
        'a - - [01/Jul/1995:00:00:10 -0400] "GET /" 200 1',  # out of order: before start
        'a - - [01/Jul/1995:00:02:31 -0400] "GET /" 200 1',
    ]
    trace = read_clf(write(tmp_path / "o.log", "\n".join(lines) + "\n"))
    assert list(trace)[2] == -49.0
    binned = to_rate(trace, 60)
    assert binned.start == datetime(1995, 7, 1, 0, 0, tzinfo=EDT)
    assert binned.counts.tolist() == [2, 0, 2]
    assert binned.bin_seconds == 60.0


def test_skipped_lines_are_carried_over(tmp_path: Path) -> None:
    text = 'a - - [01/Jul/1995:00:00:59 -0400] "GET /" 200 1\nbroken\n'
    assert to_rate(read_clf(write(tmp_path / "s.log", text), on_error="skip")).skipped == 1


def test_bad_bin_width() -> None:
    with pytest.raises(ValueError, match="bin_seconds"):
        to_rate(read_clf(CLF), 0)


def test_absurd_span_is_a_trace_error(tmp_path: Path) -> None:
    text = (
        'a - - [01/Jul/1995:00:00:00 -0400] "GET /" 200 1\n'
        'a - - [01/Jul/2995:00:00:00 -0400] "GET /" 200 1\n'
    )
    with pytest.raises(TraceError, match=r"span more than .* bins"):
        to_rate(read_clf(write(tmp_path / "far.log", text)), 0.001)


@settings(max_examples=50, deadline=None)
@given(
    offsets=st.lists(
        st.floats(min_value=-5000, max_value=5000, allow_nan=False), min_size=1, max_size=300
    ),
    bin_seconds=st.sampled_from([0.5, 1.0, 7.0, 60.0]),
)
def test_binning_matches_a_histogram(offsets: list[float], bin_seconds: float) -> None:
    origin = 1_700_000_000.0
    first, counts = bin_offsets(iter(offsets), bin_seconds, origin)
    assert counts.sum() == len(offsets)
    index = np.floor((origin + np.asarray(offsets)) / bin_seconds).astype(np.int64)
    assert first == index.min()
    np.testing.assert_array_equal(counts, np.bincount(index - first))


def test_chunks_are_joined_correctly() -> None:
    offsets = [*np.linspace(0, 1000, 200_001).tolist(), -10.0]
    first, counts = bin_offsets(offsets, 1.0, 0.0)
    assert first == -10
    assert counts.sum() == len(offsets)
    assert counts[0] == 1 and counts[10] == 200 and counts[-1] == 1


def test_single_request(tmp_path: Path) -> None:
    path = write(tmp_path / "one.log", 'a - - [01/Jul/1995:00:00:00 +0000] "GET /" 200 1\n')
    binned = to_rate(read_clf(path), 1)
    assert binned.start == datetime(1995, 7, 1, tzinfo=UTC)
    assert binned.counts.tolist() == [1]
