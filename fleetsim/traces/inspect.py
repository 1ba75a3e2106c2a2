"""Summary statistics of a trace file, for ``fleetsim traces inspect FILE``.

:func:`inspect_trace` loads a trace (any format) and reports:

* **span** -- first and last time and the duration. For a rate trace this is the
  start of the first bin to the end of the last; for a request trace, the first to
  the last arrival.
* **resolution** -- the bin width in seconds, or ``'request-level'``.
* **total** requests and the **mean rate** (total / duration, req/s).
* **peak rate** -- the highest bin rate (count / bin width) and when its bin starts.
  Request traces are binned into 1-s bins for this, so their peak is the busiest
  second.
* **biggest spike** -- the largest relative rise of the rate. For every position in
  the trace, the mean rate over the next 5 minutes (the *window*) is divided by the
  mean rate over the 30 minutes before it (the *baseline*); the spike is the position
  with the largest such factor, reported with the window's start time, the two rates
  and the factor. Positions are tried every minute (bins finer than 60 s are first
  summed into 60-s bins; coarser bins are used as they are, with window and baseline
  rounded to whole bins, at least one each). Positions without a full baseline are not
  considered, and neither are those whose baseline is zero (a rise from nothing has no
  finite factor). If no position qualifies, the spike is ``None``. A rise after an
  outage counts: on the packaged NASA launch-day trace the biggest spike is the
  return of traffic at 20:11 EDT after the log is almost silent from 19:42 to 20:10.

:func:`format_inspection` renders the result as an aligned two-column text table.
The dictionary holds only JSON-friendly values (str, int, float, None, dict), so it
can also be printed with :func:`json.dumps`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from fleetsim.traces.detect import detect_format
from fleetsim.traces.loader import load_trace
from fleetsim.traces.model import RateTrace, RequestTrace
from fleetsim.traces.rate import bin_offsets

SPIKE_WINDOW_S = 300.0
"""Length of the window whose mean rate is compared, in seconds (5 minutes)."""

SPIKE_BASELINE_S = 1800.0
"""Length of the preceding baseline, in seconds (30 minutes)."""

SPIKE_STEP_S = 60.0
"""Spike positions are tried every minute: finer bins are first summed to 60 s."""

REQUEST_PEAK_BIN_S = 1.0
"""Bin width used to find the peak rate (and spikes) of a request-level trace."""


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _spike(rate: RateTrace) -> dict[str, Any] | None:
    step = SPIKE_STEP_S / rate.bin_seconds
    if step > 1 and step == round(step):
        rate = rate.rebin(SPIKE_STEP_S)
    bin_s = rate.bin_seconds
    window = max(1, round(SPIKE_WINDOW_S / bin_s))
    baseline = max(1, round(SPIKE_BASELINE_S / bin_s))
    n = rate.counts.size
    if n < baseline + window:
        return None
    # Window sums and baseline sums at every position p in [baseline, n - window], by
    # differences of the cumulative sum (slices, so memory stays a few arrays of n).
    cumulative = np.concatenate(([0], np.cumsum(rate.counts, dtype=np.int64)))
    window_sum = cumulative[baseline + window :] - cumulative[baseline : n - window + 1]
    baseline_sum = cumulative[baseline : n - window + 1] - cumulative[: n - window - baseline + 1]
    factor = np.full(window_sum.size, -np.inf)
    np.divide(
        window_sum * float(baseline),
        baseline_sum * float(window),
        out=factor,
        where=baseline_sum > 0,
    )
    k = int(np.argmax(factor))
    if not np.isfinite(factor[k]):
        return None
    at = baseline + k
    return {
        "time": _iso(rate.start + timedelta(seconds=at * bin_s)),
        "factor": float(factor[k]),
        "window_rate": float(window_sum[k]) / (window * bin_s),
        "baseline_rate": float(baseline_sum[k]) / (baseline * bin_s),
        "window_s": window * bin_s,
        "baseline_s": baseline * bin_s,
    }


def _peak(rate: RateTrace) -> tuple[float, str]:
    k = int(np.argmax(rate.counts))
    moment = rate.start + timedelta(seconds=k * rate.bin_seconds)
    return float(rate.counts[k]) / rate.bin_seconds, _iso(moment)


def _summarize_rate(trace: RateTrace, fmt: str | None) -> dict[str, Any]:
    peak_rate, peak_time = _peak(trace)
    return {
        "source": str(trace.source) if trace.source else None,
        "format": fmt,
        "resolution": trace.bin_seconds,
        "start": _iso(trace.start),
        "end": _iso(trace.end),
        "duration_s": trace.duration,
        "total": trace.total,
        "mean_rate": trace.total / trace.duration,
        "peak_rate": peak_rate,
        "peak_time": peak_time,
        "peak_bin_s": trace.bin_seconds,
        "spike": _spike(trace),
        "skipped": trace.skipped,
    }


def _summarize_requests(trace: RequestTrace) -> dict[str, Any]:
    low, high = math.inf, -math.inf

    def watched() -> Iterator[float]:
        nonlocal low, high
        for t in trace:
            low = min(low, t)
            high = max(high, t)
            yield t

    first, counts = bin_offsets(watched(), REQUEST_PEAK_BIN_S, trace.start_epoch)
    if counts.size == 0:  # pragma: no cover - readers guarantee one valid record
        raise ValueError(f"{trace.source} has no arrivals")
    zone = trace.start.tzinfo
    binned = RateTrace(
        counts=counts,
        bin_seconds=REQUEST_PEAK_BIN_S,
        start=datetime.fromtimestamp(first * REQUEST_PEAK_BIN_S, zone),
    )
    peak_rate, peak_time = _peak(binned)
    duration = high - low
    total = binned.total
    return {
        "source": str(trace.source),
        "format": trace.format,
        "resolution": "request-level",
        "start": _iso(trace.start + timedelta(seconds=low)),
        "end": _iso(trace.start + timedelta(seconds=high)),
        "duration_s": duration,
        "total": total,
        "mean_rate": total / duration if duration > 0 else None,
        "peak_rate": peak_rate,
        "peak_time": peak_time,
        "peak_bin_s": REQUEST_PEAK_BIN_S,
        "spike": _spike(binned),
        "skipped": trace.skipped,
    }


def summarize_trace(trace: RateTrace | RequestTrace, fmt: str | None = None) -> dict[str, Any]:
    """Summarize an already loaded trace (see the module docstring for the fields).

    Args:
        trace: A rate trace, or a request trace (read once, streaming).
        fmt: Format name to report for a rate trace (request traces know theirs).

    Returns:
        The same dictionary as :func:`inspect_trace`.
    """
    if isinstance(trace, RateTrace):
        return _summarize_rate(trace, fmt)
    return _summarize_requests(trace)


def inspect_trace(path: str | os.PathLike[str], **options: Any) -> dict[str, Any]:
    """Load a trace file and summarize it.

    Args:
        path: Trace file of any supported format, plain or gzip-compressed.
        **options: Passed to :func:`~fleetsim.traces.load_trace` (``format``,
            ``on_error`` and reader options such as ``bin_seconds`` or ``tz``).

    Returns:
        A dictionary with keys ``source``, ``format``, ``resolution`` (bin seconds, or
        ``'request-level'``), ``start`` and ``end`` (ISO 8601 strings), ``duration_s``,
        ``total``, ``mean_rate`` (req/s, None for a zero-length request trace),
        ``peak_rate`` (req/s), ``peak_time`` (ISO start of the peak bin),
        ``peak_bin_s``, ``spike`` (None, or a dict with ``time``, ``factor``,
        ``window_rate``, ``baseline_rate``, ``window_s``, ``baseline_s``) and
        ``skipped``.

    Raises:
        TraceError: If the file cannot be read (see :func:`load_trace`).
    """
    fmt = options.pop("format", "auto")
    if fmt == "auto":
        fmt = detect_format(path)
    trace = load_trace(path, format=fmt, **options)
    return summarize_trace(trace, fmt)


def _duration(seconds: float) -> str:
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{seconds:,.3f} s ({days} d {clock})" if days else f"{seconds:,.3f} s ({clock})"


def _rate(value: float) -> str:
    return f"{value:,.3f} req/s" if value >= 0.01 or value == 0 else f"{value:.3g} req/s"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def format_inspection(info: dict[str, Any]) -> str:
    """Render an :func:`inspect_trace` result as a two-column text table.

    Args:
        info: The dictionary returned by :func:`inspect_trace`.

    Returns:
        Multi-line text (no trailing newline), one ``label  value`` row per line.
    """
    resolution = info["resolution"]
    if isinstance(resolution, str):
        resolution_text = f"{resolution} (peak from {_seconds(info['peak_bin_s'])} bins)"
    else:
        resolution_text = f"{_seconds(resolution)} bins"
    mean = info["mean_rate"]
    rows = [
        ("File", str(info["source"])),
        ("Format", str(info["format"])),
        ("Start", info["start"]),
        ("End", info["end"]),
        ("Duration", _duration(info["duration_s"])),
        ("Resolution", resolution_text),
        ("Total", f"{info['total']:,} requests"),
        ("Mean rate", "n/a (zero duration)" if mean is None else _rate(mean)),
        (
            "Peak rate",
            f"{_rate(info['peak_rate'])} in the {_seconds(info['peak_bin_s'])} bin at "
            f"{info['peak_time']}",
        ),
    ]
    spike = info["spike"]
    if spike is None:
        rows.append(("Biggest spike", "n/a (trace shorter than baseline + window, or idle)"))
    else:
        rows.append(
            (
                "Biggest spike",
                f"x{spike['factor']:,.2f} at {spike['time']}: {_rate(spike['window_rate'])} "
                f"over {_seconds(spike['window_s'])} vs {_rate(spike['baseline_rate'])} "
                f"over the preceding {_seconds(spike['baseline_s'])}",
            )
        )
    rows.append(("Skipped lines", f"{info['skipped']:,}"))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
