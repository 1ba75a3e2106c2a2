"""Binning request arrivals into request rates.

:func:`to_rate` turns a :class:`~fleetsim.traces.model.RequestTrace` (one arrival per
request, streamed from a log) into a :class:`~fleetsim.traces.model.RateTrace` (a count
per fixed-width bin). It reads the file once, in chunks, so memory is proportional to
the number of bins, not to the number of requests.

Bins are aligned to whole multiples of ``bin_seconds`` since the Unix epoch, so 60-s
bins start on the minute and 1-s bins on the second, whatever the time of the first
request; the first bin is the one containing the earliest arrival. Arrivals may come
in any order (ALB logs are written in response order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from fleetsim.traces.errors import TraceError
from fleetsim.traces.model import MAX_BINS, IntArray, RateTrace, RequestTrace

_CHUNK = 65_536


class _TooManyBinsError(ValueError):
    """The arrivals span more than MAX_BINS bins."""


class _Binner:
    """Accumulates arrival counts per absolute bin index, growing in both directions."""

    def __init__(self, bin_seconds: float, origin: float) -> None:
        self.bin_seconds = bin_seconds
        self.origin = origin
        self.base = 0
        self.counts: IntArray = np.zeros(0, dtype=np.int64)

    def add(self, offsets: list[float]) -> None:
        index = np.floor((self.origin + np.asarray(offsets)) / self.bin_seconds).astype(np.int64)
        lo, hi = int(index.min()), int(index.max())
        if self.counts.size == 0:
            new_lo, new_hi = lo, hi
        else:
            new_lo = min(lo, self.base)
            new_hi = max(hi, self.base + self.counts.size - 1)
        if new_hi - new_lo + 1 > MAX_BINS:
            raise _TooManyBinsError(f"the arrivals span more than {MAX_BINS:,} bins")
        if self.counts.size == 0 or new_lo != self.base or new_hi - new_lo + 1 != self.counts.size:
            grown = np.zeros(new_hi - new_lo + 1, dtype=np.int64)
            if self.counts.size:
                at = self.base - new_lo
                grown[at : at + self.counts.size] = self.counts
            self.counts, self.base = grown, new_lo
        part = np.bincount(index - lo)
        self.counts[lo - self.base : lo - self.base + part.size] += part


def bin_offsets(
    offsets: Iterable[float], bin_seconds: float, origin: float
) -> tuple[int, IntArray]:
    """Count arrivals per epoch-aligned bin, streaming the offsets in chunks.

    Args:
        offsets: Arrival times in seconds from ``origin``, in any order.
        bin_seconds: Bin width in seconds (> 0).
        origin: Epoch seconds that the offsets are relative to.

    Returns:
        ``(first_bin, counts)`` where bin ``first_bin + i`` covers epoch seconds
        ``[(first_bin + i) * bin_seconds, (first_bin + i + 1) * bin_seconds)``; counts
        is empty if there were no offsets.

    Raises:
        ValueError: If ``bin_seconds`` is not positive or the span is too large.
    """
    if not bin_seconds > 0:
        raise ValueError(f"bin_seconds must be > 0, not {bin_seconds!r}")
    binner = _Binner(float(bin_seconds), origin)
    feed_chunks(offsets, binner.add)
    return binner.base, binner.counts


def feed_chunks(values: Iterable[float], add: Callable[[list[float]], None]) -> None:
    """Hand a stream of values to ``add`` in lists of at most 65,536.

    Binning chunk by chunk keeps memory bounded whatever the stream's length, while numpy
    does the per-value work.
    """
    chunk: list[float] = []
    for t in values:
        chunk.append(t)
        if len(chunk) >= _CHUNK:
            add(chunk)
            chunk = []
    if chunk:
        add(chunk)


def to_rate(trace: RequestTrace, bin_seconds: float = 1.0) -> RateTrace:
    """Bin a request trace into a rate trace with one streaming pass over its file.

    Args:
        trace: The request-level trace.
        bin_seconds: Bin width in seconds (e.g. 1, 60, 300).

    Returns:
        A :class:`RateTrace` whose first bin is the epoch-aligned bin containing the
        earliest arrival, in the same time zone as ``trace.start``; ``skipped`` is the
        number of lines the reader skipped during this pass.

    Raises:
        TraceError: If the trace has no arrivals, or they span more than
            :data:`~fleetsim.traces.model.MAX_BINS` bins, or a line is malformed and the
            trace was opened with ``on_error='raise'``.
        ValueError: If ``bin_seconds`` is not positive.
    """
    if not bin_seconds > 0:
        raise ValueError(f"bin_seconds must be > 0, not {bin_seconds!r}")
    try:
        first, counts = bin_offsets(trace, bin_seconds, trace.start_epoch)
    except _TooManyBinsError as exc:
        raise TraceError(
            trace.source,
            str(exc),
            field=trace.time_field,
            allowed="check the log for wildly wrong timestamps, or use larger bins",
        ) from None
    if counts.size == 0:
        raise TraceError(trace.source, "has no arrivals")
    start = datetime.fromtimestamp(first * float(bin_seconds), trace.start.tzinfo)
    return RateTrace(
        counts=counts,
        bin_seconds=float(bin_seconds),
        start=start,
        source=trace.source,
        skipped=trace.skipped,
    )
