"""Sparse rates: request counts kept only for the bins that have requests.

A request-level log can have seven lines spread over five months. Binning it densely into 1-s
bins would allocate one counter per second of the span (13 million for 151 days) to hold seven
ones. :func:`sparse_rate` bins a :class:`~fleetsim.traces.model.RequestTrace` in one streaming
pass and keeps only the non-empty bins, so memory grows with the bins needed (at most one per
request), never with the span. :func:`binned_rate` returns the usual dense
:class:`~fleetsim.traces.model.RateTrace` when that is small (a span of at most
:data:`DENSE_BINS` bins, or not much more than the non-empty ones), and a :class:`SparseRate`
otherwise; both answer ``rate_at(t)`` the same way.

Bins are aligned to whole multiples of ``bin_seconds`` since the Unix epoch, as in
:func:`~fleetsim.traces.rate.to_rate`, and time 0 is the start of the bin holding the earliest
arrival of the whole file, also when a window keeps only part of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from fleetsim.traces.errors import TraceError
from fleetsim.traces.model import IntArray, RateTrace, RequestTrace
from fleetsim.traces.rate import feed_chunks

DENSE_BINS = 1_000_000
"""Spans of at most this many bins are kept dense (8 MB of counts)."""

_MERGE_EVERY = 16


@dataclass(frozen=True, eq=False)
class SparseRate:
    """Request counts of the non-empty bins only.

    Attributes:
        bins: Epoch-aligned bin numbers (bin ``k`` covers epoch seconds
            ``[k * bin_seconds, (k + 1) * bin_seconds)``), increasing.
        counts: Requests in each of ``bins`` (all > 0).
        bin_seconds: Bin width in seconds.
        first: Bin number of time 0 (the bin of the file's earliest arrival).
        start: Start of bin ``first``, time-zone aware.
        source: The file.
        skipped: Malformed lines skipped while binning.
    """

    bins: IntArray
    counts: IntArray
    bin_seconds: float
    first: int
    start: datetime
    source: Path | None = None
    skipped: int = 0

    @property
    def total(self) -> int:
        """Total number of requests kept."""
        return int(self.counts.sum())

    def rate_at(self, t: float) -> float:
        """Return the request rate in the bin containing ``t`` seconds from ``start``."""
        k = self.first + math.floor(t / self.bin_seconds)
        i = int(np.searchsorted(self.bins, k))
        if i < self.bins.size and self.bins[i] == k:
            return float(self.counts[i]) / self.bin_seconds
        return 0.0

    def peak(self) -> tuple[float, datetime]:
        """Return the highest bin rate and the start of its bin (the first one on ties)."""
        if self.counts.size == 0:
            return 0.0, self.start
        i = int(np.argmax(self.counts))
        at = self.start + timedelta(seconds=(int(self.bins[i]) - self.first) * self.bin_seconds)
        return float(self.counts[i]) / self.bin_seconds, at

    def coarsen(self, factor: int) -> SparseRate:
        """Sum into bins ``factor`` times wider (still epoch-aligned, still sparse)."""
        wide, inverse = np.unique(self.bins // factor, return_inverse=True)
        counts = np.bincount(inverse, weights=self.counts).astype(np.int64)
        width = self.bin_seconds * factor
        first = self.first // factor
        # The wide bin holding bin `first` starts up to factor - 1 narrow bins earlier.
        start = self.start - timedelta(seconds=(self.first - first * factor) * self.bin_seconds)
        return SparseRate(wide, counts, width, first, start, self.source, self.skipped)

    def dense(self) -> RateTrace:
        """Return the same counts as a dense :class:`RateTrace` from bin ``first``."""
        last = int(self.bins[-1]) if self.bins.size else self.first
        counts = np.zeros(last - self.first + 1, dtype=np.int64)
        counts[self.bins - self.first] = self.counts
        return RateTrace(counts, self.bin_seconds, self.start, self.source, self.skipped)


def _merge(parts: list[tuple[IntArray, IntArray]]) -> tuple[IntArray, IntArray]:
    bins = np.concatenate([b for b, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    merged, inverse = np.unique(bins, return_inverse=True)
    return merged, np.bincount(inverse, weights=counts).astype(np.int64)


class _SparseBinner:
    """Counts arrivals per bin in chunks, keeping only non-empty bins."""

    def __init__(self, bin_seconds: float, window: tuple[float, float]) -> None:
        self.bin_seconds = bin_seconds
        self.lo, self.hi = window
        self.low = math.inf  # earliest arrival of the whole file, epoch seconds
        self.parts: list[tuple[IntArray, IntArray]] = []

    def add(self, epochs: list[float]) -> None:
        values = np.asarray(epochs)
        self.low = min(self.low, float(values.min()))
        values = values[(values >= self.lo) & (values < self.hi)]
        if values.size:
            bins, counts = np.unique(
                np.floor(values / self.bin_seconds).astype(np.int64), return_counts=True
            )
            self.parts.append((bins, counts.astype(np.int64)))
        if len(self.parts) >= _MERGE_EVERY:
            self.parts = [_merge(self.parts)]

    def result(self) -> tuple[IntArray, IntArray]:
        if not self.parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return _merge(self.parts)


def sparse_rate(
    trace: RequestTrace,
    bin_seconds: float = 1.0,
    window: tuple[float, float] = (-math.inf, math.inf),
    offsets: Iterable[float] | None = None,
) -> SparseRate:
    """Bin a request trace into its non-empty bins with one streaming pass.

    Args:
        trace: The request-level trace.
        bin_seconds: Bin width in seconds (> 0).
        window: Keep only arrivals in ``[lo, hi)`` seconds from ``trace.start``; time 0 of the
            result is still set by the earliest arrival of the whole file.
        offsets: The arrivals to bin, in seconds from ``trace.start`` (default: the trace
            itself; a caller may pass a wrapper that watches them go by).

    Returns:
        The sparse rate; its ``counts`` are empty if the window holds no arrival.

    Raises:
        TraceError: If the file has no arrivals or a line is malformed (``on_error='raise'``).
    """
    origin = trace.start_epoch
    binner = _SparseBinner(float(bin_seconds), (origin + window[0], origin + window[1]))
    feed_chunks(_epochs(trace if offsets is None else offsets, origin), binner.add)
    if not math.isfinite(binner.low):
        raise TraceError(trace.source, "has no arrivals")
    bins, counts = binner.result()
    first = math.floor(binner.low / bin_seconds)
    start = datetime.fromtimestamp(first * float(bin_seconds), trace.start.tzinfo)
    return SparseRate(bins, counts, float(bin_seconds), first, start, trace.source, trace.skipped)


def _epochs(offsets: Iterable[float], origin: float) -> Iterable[float]:
    for t in offsets:
        yield origin + t


def binned_rate(
    trace: RequestTrace,
    bin_seconds: float = 1.0,
    window: tuple[float, float] = (-math.inf, math.inf),
) -> RateTrace | SparseRate:
    """Bin a request trace, densely when the span is small, sparsely otherwise.

    Args:
        trace: The request-level trace.
        bin_seconds: Bin width in seconds (> 0).
        window: As for :func:`sparse_rate`.

    Returns:
        A dense :class:`RateTrace` (the same as :func:`~fleetsim.traces.rate.to_rate` when
        nothing is windowed out) if the span from the first bin to the last kept one is at
        most :data:`DENSE_BINS` bins or at most 4 times the non-empty bins; else a
        :class:`SparseRate`.
    """
    sparse = sparse_rate(trace, bin_seconds, window)
    span = int(sparse.bins[-1]) - sparse.first + 1 if sparse.bins.size else 1
    if span <= max(DENSE_BINS, 4 * sparse.bins.size):
        return sparse.dense()
    return sparse
