from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from fleetsim.traces.errors import TraceError
from fleetsim.traces.model import RateTrace, RequestTrace, ScanTally

START = datetime(2024, 1, 1, tzinfo=UTC)


def make_rate(counts: list[int], bin_seconds: float = 60.0) -> RateTrace:
    return RateTrace(counts=np.array(counts), bin_seconds=bin_seconds, start=START)


def test_rate_trace_properties() -> None:
    trace = make_rate([0, 60, 120])
    np.testing.assert_array_equal(trace.times, [0.0, 60.0, 120.0])
    assert trace.times.dtype == np.float64
    assert trace.counts.dtype == np.int64
    assert trace.duration == 180.0
    assert trace.total == 180
    assert trace.end == START + timedelta(minutes=3)
    assert len(trace) == 3
    np.testing.assert_allclose(trace.rates, [0.0, 1.0, 2.0])


def test_rate_at_uses_the_bin_mean_and_is_zero_outside() -> None:
    trace = make_rate([0, 60, 120])
    assert trace.rate_at(0.0) == 0.0
    assert trace.rate_at(60.0) == 1.0
    assert trace.rate_at(179.9) == 2.0
    assert trace.rate_at(-0.1) == 0.0
    assert trace.rate_at(180.0) == 0.0


def test_rebin_sums_and_pads() -> None:
    trace = make_rate([1, 2, 3, 4, 5], bin_seconds=1.0)
    wider = trace.rebin(2)
    np.testing.assert_array_equal(wider.counts, [3, 7, 5])
    assert wider.bin_seconds == 2.0
    assert wider.total == trace.total
    assert wider.start == trace.start
    with pytest.raises(ValueError, match="multiple"):
        trace.rebin(1.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts": np.array([1, -1])}, ">= 0"),
        ({"counts": np.array([], dtype=np.int64)}, "non-empty"),
        ({"counts": np.array([1.5])}, "whole"),
        ({"bin_seconds": 0.0}, "bin_seconds"),
        ({"start": datetime(2024, 1, 1)}, "aware"),
    ],
)
def test_rate_trace_validation(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"counts": np.array([1]), "bin_seconds": 1.0, "start": START}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        RateTrace(**args)  # type: ignore[arg-type]


def list_trace(epochs: list[float], on_error: str = "raise", bad_lines: int = 0) -> RequestTrace:
    def scan(tally: ScanTally) -> Iterator[tuple[int, float]]:
        tally.skipped += bad_lines
        yield from ((i + 1, t) for i, t in enumerate(epochs))

    return RequestTrace(
        source=Path("mem.log"),
        start=datetime.fromtimestamp(epochs[0], UTC),
        format="test",
        time_field="time",
        on_error=on_error,  # type: ignore[arg-type]
        scan=scan,
    )


def test_request_trace_iterates_offsets_in_file_order_and_counts_skips() -> None:
    trace = list_trace([100.0, 101.5, 100.5], bad_lines=2)
    assert trace.skipped == 0  # nothing read yet
    assert list(trace) == [0.0, 1.5, 0.5]
    assert trace.skipped == 2
    assert trace.count() == 3
    assert trace.skipped == 2  # a new pass recounts, it does not accumulate


def test_iter_sorted_repairs_bounded_disorder() -> None:
    epochs = [100.0, 105.0, 103.0, 110.0, 108.0, 200.0, 150.0]
    trace = list_trace(epochs)
    out = list(trace.iter_sorted(max_lag=60.0))
    assert out == sorted(t - 100.0 for t in epochs)


def test_iter_sorted_rejects_or_skips_too_late_lines() -> None:
    epochs = [100.0, 200.0, 300.0, 120.0, 310.0]
    with pytest.raises(TraceError, match=r"mem\.log line 4, field 'time'.*max_lag=10"):
        list(list_trace(epochs).iter_sorted(max_lag=10.0))
    trace = list_trace(epochs, on_error="skip")
    assert list(trace.iter_sorted(max_lag=10.0)) == [0.0, 100.0, 200.0, 210.0]
    assert trace.skipped == 1
