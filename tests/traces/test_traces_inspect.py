from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import ALB, CLF, PER_MINUTE_JUL13, write

from fleetsim.traces import (
    RateTrace,
    format_inspection,
    inspect_trace,
    packaged_trace_path,
    summarize_trace,
)


@pytest.fixture(scope="module")
def launch_info() -> dict[str, object]:
    return inspect_trace(packaged_trace_path())


def test_inspect_packaged_launch_day(launch_info: dict[str, object]) -> None:
    info = launch_info
    assert info["format"] == "rate_csv"
    assert info["resolution"] == 1.0
    assert info["start"] == "1995-07-13T00:00:00-04:00"
    assert info["end"] == "1995-07-14T00:00:00-04:00"
    assert info["duration_s"] == 86_400.0
    assert info["total"] == 134_203
    assert info["mean_rate"] == pytest.approx(134_203 / 86_400)
    assert info["peak_rate"] == 20.0
    assert info["peak_time"] == "1995-07-13T13:32:58-04:00"
    assert info["skipped"] == 0
    spike = info["spike"]
    assert isinstance(spike, dict)
    # not 20:11 EDT, when traffic returns after a near-silent half hour (x50 over 0.024 req/s)
    assert spike["time"] == "1995-07-13T17:37:00-04:00"
    assert spike["factor"] == pytest.approx(1.430 / 0.644, abs=0.01)
    assert spike["window_s"] == 300.0 and spike["baseline_s"] == 1800.0
    assert spike["window_end"] == "1995-07-13T17:42:00-04:00"
    assert spike["baseline_start"] == "1995-07-13T17:07:00-04:00"
    json.dumps(info)  # JSON-friendly for the CLI


def test_per_minute_and_per_second_agree_on_the_spike(launch_info: dict[str, object]) -> None:
    minutes = inspect_trace(PER_MINUTE_JUL13)
    assert minutes["resolution"] == 60.0
    assert minutes["peak_rate"] == pytest.approx(405 / 60)
    assert minutes["peak_time"] == "1995-07-13T09:49:00-04:00"
    assert minutes["spike"] == launch_info["spike"]


def test_inspect_request_level_log() -> None:
    info = inspect_trace(CLF)
    assert info["format"] == "clf"
    assert info["resolution"] == "request-level"
    assert info["start"] == "1995-08-01T02:00:00-04:00"
    assert info["end"] == "1995-08-01T03:45:26-04:00"
    assert info["duration_s"] == 6326.0
    assert info["total"] == 2000
    assert info["mean_rate"] == pytest.approx(2000 / 6326)
    assert info["peak_bin_s"] == 1.0
    json.dumps(info)


def test_inspect_alb_samples_and_options(tmp_path: Path) -> None:
    info = inspect_trace(ALB)
    assert (info["format"], info["total"], info["peak_rate"]) == ("alb", 7, 5.0)
    single = write(tmp_path / "one.log", ALB.read_text().splitlines()[0] + "\nbroken\n")
    one = inspect_trace(single, on_error="skip", format="alb")
    assert (one["total"], one["duration_s"], one["mean_rate"], one["skipped"]) == (1, 0.0, None, 1)
    assert one["spike"] is None
    assert "n/a" in format_inspection(one)


def test_spike_definition_on_a_synthetic_step() -> None:
    counts = np.array([60] * 30 + [600] * 5 + [60] * 10)  # per minute: 1 req/s, then 10 req/s
    start = datetime(2024, 1, 1, tzinfo=UTC)
    info = summarize_trace(RateTrace(counts=counts, bin_seconds=60, start=start))
    spike = info["spike"]
    assert spike["time"] == (start + timedelta(minutes=30)).isoformat()
    assert spike["factor"] == pytest.approx(10.0)
    assert spike["window_rate"] == pytest.approx(10.0)
    assert spike["baseline_rate"] == pytest.approx(1.0)
    short = RateTrace(counts=np.array([1] * 34), bin_seconds=60, start=start)
    assert summarize_trace(short)["spike"] is None  # no full 30 + 5 minutes


def test_format_inspection_table(launch_info: dict[str, object]) -> None:
    text = format_inspection(launch_info)
    lines = text.splitlines()
    labels = [line.split("  ")[0] for line in lines]
    assert labels == [
        "File",
        "Format",
        "Start",
        "End",
        "Duration",
        "Resolution",
        "Total",
        "Mean rate",
        "Peak rate",
        "Biggest spike",
        "Skipped lines",
    ]
    assert "134,203 requests" in text
    assert "20.000 req/s in the 1 s bin at 1995-07-13T13:32:58-04:00" in text
    assert "86,400.000 s (1 d 00:00:00)" in text
    value_columns = {
        len(line) - len(line[len(labels[i]) :].lstrip()) for i, line in enumerate(lines)
    }
    assert len(value_columns) == 1  # values are aligned in one column
