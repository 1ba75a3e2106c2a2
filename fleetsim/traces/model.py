"""Trace data types: binned request rates and streamed request arrivals.

A *trace* is recorded traffic that the simulator replays. It comes in two shapes:

* :class:`RateTrace` -- a request count per fixed-width time bin (per second, per
  minute, per 5 minutes, ...), e.g. a CloudWatch ``RequestCount`` series or the NASA
  per-minute CSV. It is small, lives in memory as numpy arrays, and answers "what was
  the request rate at time *t*?" (:meth:`RateTrace.rate_at`).
* :class:`RequestTrace` -- one arrival time per request, e.g. a web-server access log
  or an ALB access log. Such logs can be gigabytes, so a ``RequestTrace`` never holds
  the arrivals: each iteration re-reads the file lazily and yields floats. Bin it
  with :func:`fleetsim.traces.rate.to_rate` to get a :class:`RateTrace`.

Times inside a trace are float seconds from the trace's ``start`` (a time-zone-aware
:class:`~datetime.datetime`). Both types carry ``skipped``: the number of malformed
lines that a reader dropped because it was called with ``on_error='skip'``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fleetsim.traces.errors import OnError, TraceError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MAX_BINS = 100_000_000
"""Largest number of bins a reader will build (800 MB of counts), against typo'd years."""


@dataclass(frozen=True, eq=False, repr=False)
class RateTrace:
    """Request counts in contiguous, equal-width time bins.

    Bin ``i`` covers ``[i * bin_seconds, (i + 1) * bin_seconds)`` seconds after
    ``start``. Gaps in the source data are already filled with zero-count bins, so the
    bins are contiguous from the first to the last.

    Attributes:
        counts: Requests per bin (int64, all >= 0, at least one bin).
        bin_seconds: Width of every bin in seconds (> 0).
        start: Start of the first bin, time-zone aware.
        source: File the trace was read from, if any.
        skipped: Malformed lines the reader skipped (``on_error='skip'``).
    """

    counts: IntArray
    bin_seconds: float
    start: datetime
    source: Path | None = None
    skipped: int = 0

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        if counts.ndim != 1 or counts.size == 0:
            raise ValueError("counts must be a non-empty 1-D array")
        if counts.dtype.kind not in "iu" and (
            not np.all(np.isfinite(counts)) or np.any(counts != np.round(counts))
        ):
            raise ValueError("counts must be whole numbers")
        if np.any(counts < 0):
            raise ValueError("counts must be >= 0")
        if not self.bin_seconds > 0:
            raise ValueError(f"bin_seconds must be > 0, not {self.bin_seconds!r}")
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("start must be a time-zone-aware datetime")
        object.__setattr__(self, "counts", counts.astype(np.int64, copy=False))
        object.__setattr__(self, "bin_seconds", float(self.bin_seconds))

    @property
    def times(self) -> FloatArray:
        """Bin start times in seconds from ``start`` (float64, one per bin)."""
        return np.arange(self.counts.size, dtype=np.float64) * self.bin_seconds

    @property
    def rates(self) -> FloatArray:
        """Mean request rate of each bin in requests per second."""
        return self.counts / self.bin_seconds

    @property
    def duration(self) -> float:
        """Length of the trace in seconds (number of bins times the bin width)."""
        return self.counts.size * self.bin_seconds

    @property
    def total(self) -> int:
        """Total number of requests in the trace."""
        return int(self.counts.sum())

    @property
    def end(self) -> datetime:
        """End of the last bin (``start + duration``)."""
        return self.start + timedelta(seconds=self.duration)

    def __len__(self) -> int:
        return int(self.counts.size)

    def rate_at(self, t: float) -> float:
        """Return the request rate at a time, as the mean rate of its bin.

        Args:
            t: Seconds from ``start``.

        Returns:
            Requests per second in the bin containing ``t``; 0.0 outside the trace
            (before ``start`` or at/after ``start + duration``).
        """
        if not 0.0 <= t < self.duration:
            return 0.0
        index = min(int(t // self.bin_seconds), self.counts.size - 1)
        return float(self.counts[index]) / self.bin_seconds

    def rebin(self, bin_seconds: float) -> RateTrace:
        """Aggregate into wider bins, e.g. per-second counts into per-minute counts.

        Args:
            bin_seconds: New bin width; must be a whole multiple of the current one.
                The last bin is padded with zeros if the trace does not fill it.

        Returns:
            A new trace with the same start and total.

        Raises:
            ValueError: If ``bin_seconds`` is not a whole multiple of ``bin_seconds``.
        """
        ratio = bin_seconds / self.bin_seconds
        factor = round(ratio)
        if factor < 1 or abs(ratio - factor) > 1e-9:
            raise ValueError(
                f"bin_seconds={bin_seconds} is not a whole multiple of {self.bin_seconds}"
            )
        padded = -(-self.counts.size // factor) * factor
        counts = np.zeros(padded, dtype=np.int64)
        counts[: self.counts.size] = self.counts
        return RateTrace(
            counts=counts.reshape(-1, factor).sum(axis=1),
            bin_seconds=self.bin_seconds * factor,
            start=self.start,
            source=self.source,
            skipped=self.skipped,
        )

    def __repr__(self) -> str:
        return (
            f"RateTrace({self.counts.size} bins x {self.bin_seconds:g} s from "
            f"{self.start.isoformat()}, total={self.total}, skipped={self.skipped}, "
            f"source={str(self.source) if self.source else None!r})"
        )


@dataclass
class ScanTally:
    """Per-pass bookkeeping that a reader's scan function fills in.

    Attributes:
        skipped: Lines skipped so far in this pass (``on_error='skip'``).
    """

    skipped: int = 0


Scan = Callable[[ScanTally], Iterator[tuple[int, float]]]
"""A reader's scan function: streams ``(line_number, epoch_seconds)`` for one pass."""


@dataclass(eq=False)
class RequestTrace:
    """A request-level trace: the arrival time of each request, streamed from a file.

    Iterating yields arrival times as float seconds from ``start`` in *file order*. The
    file is re-read lazily on every iteration, so memory use does not grow with the file
    size; nothing is cached. ``start`` is the time of the first valid record in the
    file, so if a log is slightly out of order some arrivals can be negative. Use
    :meth:`iter_sorted` for a time-ordered stream, or bin with
    :func:`~fleetsim.traces.rate.to_rate`, which accepts any order.

    Errors in lines after the first valid record surface while iterating: a
    :class:`TraceError` with ``on_error='raise'``, or a skip counted in ``skipped``.

    Attributes:
        source: The file the arrivals are read from.
        start: Time of the first valid record, time-zone aware.
        format: Reader that produced the trace (``'clf'``, ``'alb'``, ``'requests_csv'``).
        time_field: Name of the field the arrival time comes from (used in messages).
        on_error: What the scan does with malformed lines.
        skipped: Lines skipped during the last *complete* pass (0 before any pass).
    """

    source: Path
    start: datetime
    format: str
    time_field: str
    on_error: OnError
    scan: Scan = field(repr=False)
    skipped: int = 0

    @property
    def start_epoch(self) -> float:
        """``start`` as seconds since the Unix epoch."""
        return self.start.timestamp()

    def _numbered(self) -> Iterator[tuple[int, float]]:
        """Yield ``(line_number, seconds_from_start)``; set ``skipped`` when done."""
        tally = ScanTally()
        origin = self.start_epoch
        for line, epoch in self.scan(tally):
            yield line, epoch - origin
        self.skipped = tally.skipped

    def __iter__(self) -> Iterator[float]:
        """Stream arrival times (seconds from ``start``) in file order."""
        for _, t in self._numbered():
            yield t

    def count(self) -> int:
        """Count the arrivals with one streaming pass over the file.

        Returns:
            Number of valid records; ``skipped`` is updated as a side effect.
        """
        n = 0
        for _ in self._numbered():
            n += 1
        return n

    def iter_sorted(self, max_lag: float = 60.0) -> Iterator[float]:
        """Stream arrival times in increasing order, repairing bounded disorder.

        Logs are not always in arrival order: an ALB writes an entry when the response
        is sent, not when the request arrived, and the NASA logs have a few late lines.
        This keeps a buffer of the last ``max_lag`` seconds of arrivals (a heap), so
        memory depends on the rate and ``max_lag``, not on the file size.

        Args:
            max_lag: Largest amount (seconds) by which a line may be earlier than the
                latest arrival seen before it.

        Yields:
            Arrival times in seconds from ``start``, non-decreasing.

        Raises:
            TraceError: If a line is more than ``max_lag`` seconds out of order and
                ``on_error='raise'``; with ``'skip'`` it is dropped and counted.
        """
        heap: list[float] = []
        latest = -np.inf
        emitted = -np.inf
        late = 0
        for line, t in self._numbered():
            if t < emitted:
                if self.on_error == "skip":
                    late += 1
                    continue
                raise TraceError(
                    self.source,
                    f"is {latest - t:.3f} s earlier than a previous line, more than "
                    f"max_lag={max_lag:g} s out of order",
                    line=line,
                    field=self.time_field,
                    value=(self.start + timedelta(seconds=t)).isoformat(),
                    allowed="raise max_lag, or bin with to_rate(), which accepts any order",
                )
            heapq.heappush(heap, t)
            latest = max(latest, t)
            while heap and heap[0] <= latest - max_lag:
                emitted = heapq.heappop(heap)
                yield emitted
        while heap:
            yield heapq.heappop(heap)
        self.skipped += late

    def __repr__(self) -> str:
        return (
            f"RequestTrace(format={self.format!r}, start={self.start.isoformat()}, "
            f"source={str(self.source)!r})"
        )
