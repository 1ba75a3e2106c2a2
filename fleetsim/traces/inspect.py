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
  and the factor, and the window and baseline it compared (``window_end``,
  ``baseline_start``). Positions are tried every minute (bins finer than 60 s are first
  summed into 60-s bins; coarser bins are used as they are, with window and baseline
  rounded to whole bins, at least one each). Positions without a full baseline are not
  considered, and neither are those whose baseline is near-empty: fewer than
  :data:`MIN_BASELINE_REQUESTS` requests, or a rate under :data:`MIN_BASELINE_FRACTION`
  of the trace's mean (a rise from almost nothing is a huge factor that says nothing:
  the first minutes of a log, the return after an outage). A factor of at most 1 is no
  spike. Without a spike, ``spike`` is ``None`` and ``spike_note`` says why. On the
  packaged NASA launch-day trace the biggest spike is x2.22 at 17:37 EDT; the return of
  traffic at 20:11 after a near-silent half hour (x50 over 0.024 req/s) is not counted.
  Only positions whose window holds requests are tried, so the work and memory follow
  the non-empty bins, not the span.

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
from fleetsim.traces.errors import TraceError
from fleetsim.traces.loader import load_trace
from fleetsim.traces.model import RateTrace, RequestTrace
from fleetsim.traces.sparse import SparseRate, sparse_rate
from fleetsim.traces.window import window_rate, window_seconds

SPIKE_WINDOW_S = 300.0
"""Length of the window whose mean rate is compared, in seconds (5 minutes)."""

SPIKE_BASELINE_S = 1800.0
"""Length of the preceding baseline, in seconds (30 minutes)."""

SPIKE_STEP_S = 60.0
"""Spike positions are tried every minute: finer bins are first summed to 60 s."""

REQUEST_PEAK_BIN_S = 1.0
"""Bin width used to find the peak rate (and spikes) of a request-level trace."""


MIN_BASELINE_FRACTION = 0.25
"""A baseline below this fraction of the trace's mean rate is near-empty: not compared."""

MIN_BASELINE_REQUESTS = 30
"""A baseline with fewer requests than this is near-empty: not compared."""


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _spike(sparse: SparseRate, end_bin: int) -> tuple[dict[str, Any] | None, str]:
    """Find the biggest spike in sparse counts; return it (or None) and a note saying why.

    Args:
        sparse: The counts, in bins of at most a minute (finer ones are summed to 60 s).
        end_bin: The bin number just after the trace's last bin.
    """
    step = SPIKE_STEP_S / sparse.bin_seconds
    if step > 1 and step == round(step):
        end_bin = -(-end_bin // round(step))
        sparse = sparse.coarsen(round(step))
    bin_s = sparse.bin_seconds
    window = max(1, round(SPIKE_WINDOW_S / bin_s))
    baseline = max(1, round(SPIKE_BASELINE_S / bin_s))
    n = end_bin - sparse.first
    if n < baseline + window or sparse.total == 0:
        return None, "n/a (trace shorter than baseline + window, or idle)"
    rel = sparse.bins - sparse.first
    cumulative = np.concatenate(([0], np.cumsum(sparse.counts, dtype=np.int64)))

    def before(x: np.ndarray) -> np.ndarray:  # requests in bins < x
        return cumulative[np.searchsorted(rel, x, side="left")]

    # Only positions whose window holds a request can rise: at most `window` per non-empty
    # bin, so the work and memory follow the requests, not the span.
    spread = (rel[:, None] - np.arange(window)[None, :]).ravel()
    at = np.unique(spread[(spread >= baseline) & (spread <= n - window)])
    window_sum = before(at + window) - before(at)
    baseline_sum = before(at) - before(at - baseline)
    floor = max(MIN_BASELINE_REQUESTS, MIN_BASELINE_FRACTION * sparse.total / n * baseline)
    usable = baseline_sum >= floor
    if not usable.any():
        return None, (
            f"n/a (every {baseline * bin_s:g} s baseline is near-empty: fewer than "
            f"{MIN_BASELINE_REQUESTS} requests or under {MIN_BASELINE_FRACTION:.0%} of the "
            "mean rate)"
        )
    factor = np.where(usable, window_sum * float(baseline), 0.0) / (
        np.maximum(baseline_sum, 1) * float(window)
    )
    k = int(np.argmax(factor))
    if factor[k] <= 1.0:
        return None, "none (no window's rate is above its baseline's)"
    p = int(at[k])
    origin = sparse.start
    found = {
        "time": _iso(origin + timedelta(seconds=p * bin_s)),
        "factor": float(factor[k]),
        "window_rate": float(window_sum[k]) / (window * bin_s),
        "baseline_rate": float(baseline_sum[k]) / (baseline * bin_s),
        "window_s": window * bin_s,
        "baseline_s": baseline * bin_s,
        "window_end": _iso(origin + timedelta(seconds=(p + window) * bin_s)),
        "baseline_start": _iso(origin + timedelta(seconds=(p - baseline) * bin_s)),
    }
    return found, ""


def _as_sparse(rate: RateTrace) -> SparseRate:
    first = 0
    nonzero = np.flatnonzero(rate.counts).astype(np.int64)
    return SparseRate(nonzero, rate.counts[nonzero], rate.bin_seconds, first, rate.start)


def _summarize_rate(trace: RateTrace, fmt: str | None) -> dict[str, Any]:
    k = int(np.argmax(trace.counts))
    spike, note = _spike(_as_sparse(trace), trace.counts.size)
    return {
        "source": str(trace.source) if trace.source else None,
        "format": fmt,
        "resolution": trace.bin_seconds,
        "start": _iso(trace.start),
        "end": _iso(trace.end),
        "duration_s": trace.duration,
        "total": trace.total,
        "mean_rate": trace.total / trace.duration,
        "peak_rate": float(trace.counts[k]) / trace.bin_seconds,
        "peak_time": _iso(trace.start + timedelta(seconds=k * trace.bin_seconds)),
        "peak_bin_s": trace.bin_seconds,
        "spike": spike,
        "spike_note": note,
        "skipped": trace.skipped,
    }


def _summarize_requests(
    trace: RequestTrace, window: tuple[float, float] = (-math.inf, math.inf)
) -> dict[str, Any]:
    low, high = math.inf, -math.inf

    def watched() -> Iterator[float]:
        nonlocal low, high
        for t in trace:
            if window[0] <= t < window[1]:
                low = min(low, t)
                high = max(high, t)
            yield t

    # Sparse 1-s bins: memory follows the requests, not the span (7 lines over 151 days).
    sparse = sparse_rate(trace, REQUEST_PEAK_BIN_S, window, watched())
    if sparse.total == 0:
        raise TraceError(trace.source, "has no arrivals in the chosen start/end window")
    peak_rate, peak_at = sparse.peak()
    end_bin = int(sparse.bins[-1]) + 1
    spike, note = _spike(sparse, end_bin)
    duration = high - low
    total = sparse.total
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
        "peak_time": _iso(peak_at),
        "peak_bin_s": REQUEST_PEAK_BIN_S,
        "spike": spike,
        "spike_note": note,
        "skipped": trace.skipped,
    }


def summarize_trace(
    trace: RateTrace | RequestTrace,
    fmt: str | None = None,
    window: tuple[float, float] = (-math.inf, math.inf),
) -> dict[str, Any]:
    """Summarize an already loaded trace (see the module docstring for the fields).

    Args:
        trace: A rate trace, or a request trace (read once, streaming).
        fmt: Format name to report for a rate trace (request traces know theirs).
        window: Only the part ``[lo, hi)`` seconds from the trace's start.

    Returns:
        The same dictionary as :func:`inspect_trace`.
    """
    if isinstance(trace, RateTrace):
        if window != (-math.inf, math.inf):
            trace = window_rate(trace, *window)
        return _summarize_rate(trace, fmt)
    return _summarize_requests(trace, window)


def inspect_trace(
    path: str | os.PathLike[str],
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Load a trace file and summarize it.

    Args:
        path: Trace file of any supported format, plain or gzip-compressed.
        start: Only from this time on (ISO 8601; naive times in the ``tz`` option, else UTC).
        end: Only before this time.
        **options: Passed to :func:`~fleetsim.traces.load_trace` (``format``,
            ``on_error`` and reader options such as ``count_column``, ``time_column``,
            ``bin_seconds`` or ``tz``).

    Returns:
        A dictionary with keys ``source``, ``format``, ``resolution`` (bin seconds, or
        ``'request-level'``), ``start`` and ``end`` (ISO 8601 strings), ``duration_s``,
        ``total``, ``mean_rate`` (req/s, None for a zero-length request trace),
        ``peak_rate`` (req/s), ``peak_time`` (ISO start of the peak bin),
        ``peak_bin_s``, ``spike`` (None, or a dict with ``time``, ``factor``,
        ``window_rate``, ``baseline_rate``, ``window_s``, ``baseline_s``, ``window_end``,
        ``baseline_start``), ``spike_note`` (why there is no spike) and ``skipped``.

    Raises:
        TraceError: If the file cannot be read (see :func:`load_trace`).
    """
    fmt = options.pop("format", "auto")
    if fmt == "auto":
        fmt = detect_format(path, options.get("count_column"))
    trace = load_trace(path, format=fmt, **options)
    window = window_seconds(trace.start, start, end, options.get("tz"), path)
    return summarize_trace(trace, fmt, window)


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
        rows.append(("Biggest spike", info.get("spike_note") or "n/a"))
    else:
        rows.append(
            (
                "Biggest spike",
                f"x{spike['factor']:,.2f}: {_rate(spike['window_rate'])} from {spike['time']} "
                f"to {spike['window_end']} vs {_rate(spike['baseline_rate'])} from "
                f"{spike['baseline_start']} to {spike['time']}",
            )
        )
    rows.append(("Skipped lines", f"{info['skipped']:,}"))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
