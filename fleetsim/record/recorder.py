"""The recorder: a passive ledger that components append plain values and rows to.

Two kinds of metric are kept apart (as salabim does): *observations* counted per one-second bin
(arrivals, outcomes, latencies) and *levels* (instances in service, queue lengths) sampled once a
simulated second. Latency quantiles come from a log-binned histogram (100 bins per decade, so a
quantile is exact to within ±1.2 %), which keeps memory flat however long the run; the same bins,
kept sparse per simulated minute, give latency quantiles over time. Per-request rows are kept only
when ``record.requests`` is on. Nothing here schedules events.
"""

from __future__ import annotations

import itertools
import math
import zlib
from array import array
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    # The model's own classes: the compiled build then reads their fields directly.
    from fleetsim.sim.entities import Request, Session


# Final: the compiled build folds these into the code instead of looking them up per request.
HIST_BINS_PER_DECADE: Final = 100
HIST_MIN_EXP: Final = -5  # 10 µs
HIST_MAX_EXP: Final = 4  # 10,000 s
_HIST_N: Final = (HIST_MAX_EXP - HIST_MIN_EXP) * HIST_BINS_PER_DECADE
_HIST_LOW: Final = 1e-5  # 10.0**HIST_MIN_EXP
LATENCY_WINDOW_S: Final = 60  # width of the windows of Result.latency (per-minute quantiles)


def hist_quantile(counts: dict[int, int] | Sequence[int], q: float) -> float:
    """Return the ``q`` quantile of a latency histogram (bin midpoint), or NaN if it is empty.

    Args:
        counts: counts by bin index, dense (a list or array) or sparse (a dict).
        q: the quantile, in [0, 1].
    """
    items = sorted(counts.items()) if isinstance(counts, dict) else list(enumerate(counts))
    total = sum(c for _, c in items)
    if total == 0:
        return math.nan
    target = q * total
    acc = 0
    for i, count in items:
        acc += count
        if acc >= target and count:
            return float(10 ** (HIST_MIN_EXP + (i + 0.5) / HIST_BINS_PER_DECADE))
    return math.nan


SessionRow = tuple[int, int, float, float, str, str | None, int, str | None]
"""(session, user, start, end, outcome, cause, requests, home_az)."""

CHUNK_ROWS = 1 << 14
"""Rows a log keeps as plain typed arrays before it packs them (see :class:`SessionLog`)."""


def _pack(column: array[Any]) -> bytes:
    """Compress one full chunk of a typed array, losslessly."""
    # Byte k of every value side by side first: the high bytes of ids, times and counts barely
    # change from row to row, so zlib finds long runs there (a session row: 34 bytes -> ~15).
    grid = np.frombuffer(column, dtype=np.uint8).reshape(-1, column.itemsize)
    return zlib.compress(grid.T.tobytes(), 1)


def _unpack(blob: bytes, typecode: str) -> Any:
    """The values :func:`_pack` packed, as a 1-D numpy array of the array's C type."""
    dtype = np.dtype(typecode)  # numpy reads the array module's codes ('i', 'd', 'H') alike
    grid = np.frombuffer(zlib.decompress(blob), dtype=np.uint8).reshape(dtype.itemsize, -1)
    return grid.T.copy().view(dtype).reshape(-1)


def _concat(blobs: Sequence[bytes], tail: array[Any], dtype: Any) -> Any:
    """Packed chunks, then the unpacked ``tail``, as one new numpy array of ``dtype``."""
    parts = [_unpack(blob, tail.typecode) for blob in blobs]
    parts.append(np.frombuffer(tail, dtype=np.dtype(tail.typecode)))
    # Filled in place so that no second full-length copy of the column is ever held.
    out = np.empty(sum(len(part) for part in parts), dtype=dtype)
    pos = 0
    for part in parts:
        out[pos : pos + len(part)] = part
        pos += len(part)
    return out


class SessionLog:
    """One row per ended session, stored by column and packed as it grows.

    A 24 h run ends millions of sessions; as tuples of Python objects they cost ~240 bytes each
    and dominated peak memory. Here the newest rows (fewer than ``chunk_rows``) are typed arrays,
    34 bytes a row: ids and request counts as 32-bit integers, times as doubles, the few distinct
    strings (outcome, cause, AZ) as 2-byte codes. Each full chunk is then zlib-packed per column
    (~15 bytes a row), which is lossless: :meth:`column` and iteration give back the same values.

    Args:
        chunk_rows: rows per packed chunk.
    """

    __slots__ = ("_causes", "_chunk_rows", "_codes", "_ends", "_homes", "_ids", "_labels",
                 "_outcomes", "_packed", "_packed_rows", "_requests", "_starts",
                 "_users")  # fmt: skip

    COLUMNS = ("ids", "users", "starts", "ends", "requests", "outcomes", "causes", "homes")
    """Names for :meth:`column`: the row's numbers, then its three string codes."""

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        self._chunk_rows = chunk_rows
        self._packed: list[tuple[bytes, ...]] = []  # one blob per column, per full chunk
        self._packed_rows = 0
        self._open()
        self._codes: dict[str | None, int] = {None: 0}
        self._labels: list[str | None] = [None]

    def _open(self) -> None:
        # A new open chunk: plain typed arrays, appended to row by row.
        self._ids: array[int] = array("i")
        self._users: array[int] = array("i")
        self._starts: array[float] = array("d")
        self._ends: array[float] = array("d")
        self._requests: array[int] = array("i")
        self._outcomes: array[int] = array("H")
        self._causes: array[int] = array("H")
        self._homes: array[int] = array("H")

    def _tail(self) -> tuple[array[Any], ...]:
        return (self._ids, self._users, self._starts, self._ends, self._requests,
                self._outcomes, self._causes, self._homes)  # fmt: skip

    def _code(self, label: str | None) -> int:
        code = self._codes.get(label)
        if code is None:
            code = self._codes[label] = len(self._labels)
            self._labels.append(label)
        return code

    def append(self, row: SessionRow) -> None:
        """Add one row."""
        sid, user, start, end, outcome, cause, requests, home = row
        self._ids.append(sid)
        self._users.append(user)
        self._starts.append(start)
        self._ends.append(end)
        self._requests.append(requests)
        self._outcomes.append(self._code(outcome))
        self._causes.append(self._code(cause))
        self._homes.append(self._code(home))
        if len(self._ids) >= self._chunk_rows:
            self._packed.append(tuple(_pack(col) for col in self._tail()))
            self._packed_rows += len(self._ids)
            self._open()

    def labels(self) -> list[str | None]:
        """The strings the code columns index (code 0 is None)."""
        return list(self._labels)

    def column(self, name: str, dtype: Any = None) -> Any:
        """Return one column over every row as a new numpy array.

        Args:
            name: one of :attr:`COLUMNS`.
            dtype: the array's dtype; default the column's own (int32, float64 or uint16 codes).
        """
        k = self.COLUMNS.index(name)
        tail = self._tail()[k]
        return _concat([chunk[k] for chunk in self._packed], tail, dtype or tail.typecode)

    def __len__(self) -> int:
        return self._packed_rows + len(self._ids)

    def __iter__(self) -> Iterator[SessionRow]:
        tail = self._tail()
        for chunk in self._packed:  # one chunk unpacked at a time
            yield from self._tuples(
                [_unpack(b, col.typecode).tolist() for b, col in zip(chunk, tail, strict=True)]
            )
        yield from self._tuples(tail)

    def _tuples(self, cols: Sequence[Sequence[Any]]) -> Iterator[SessionRow]:
        labels = self._labels
        for sid, user, start, end, requests, outcome, cause, home in zip(*cols, strict=True):
            label = labels[outcome]
            assert label is not None
            yield (sid, user, start, end, label, labels[cause], requests, labels[home])


class LevelLog:
    """The per-second level rows, kept as 32-bit integers (packed by chunk) while they are.

    86,400 rows of ~20 small integers cost ~200 bytes each as tuples, 80 as a flat array and
    ~6 once packed (levels change slowly). A row holding anything but integers switches the log
    to plain tuples (nothing is lost, only compactness). Iterating yields the rows as tuples.

    Args:
        chunk_rows: rows per packed chunk.
    """

    __slots__ = ("_chunk_rows", "_flat", "_packed", "_packed_rows", "_rows", "width")

    def __init__(self, chunk_rows: int = CHUNK_ROWS // 4) -> None:
        self.width = 0
        self._chunk_rows = chunk_rows
        self._flat: array[int] = array("i")
        self._packed: list[bytes] = []
        self._packed_rows = 0
        self._rows: list[tuple[Any, ...]] | None = None

    def append(self, row: tuple[Any, ...]) -> None:
        """Add one row (every row has the same length)."""
        if self._rows is None:
            if not self.width:
                self.width = len(row)
            if len(row) == self.width and all(
                type(v) is int and -(2**31) <= v < 2**31 for v in row
            ):
                self._flat.extend(row)
                if self.width and len(self._flat) >= self._chunk_rows * self.width:
                    self._packed.append(_pack(self._flat))
                    self._packed_rows += self._chunk_rows
                    self._flat = array("i")
                return
            self._rows = list(self)
            self._flat, self._packed, self._packed_rows = array("i"), [], 0
        self._rows.append(row)

    def as_array(self) -> Any:
        """The rows as a 2-D int64 numpy array, or None if the log holds other values."""
        if self._rows is not None:
            return None
        flat = _concat(self._packed, self._flat, np.int64)
        return flat.reshape(-1, self.width) if self.width else flat.reshape(0, 0)

    def __len__(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        return self._packed_rows + (len(self._flat) // self.width if self.width else 0)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._rows is not None:
            yield from self._rows
            return
        w = self.width
        unpacked = (_unpack(blob, "i").tolist() for blob in self._packed)  # one chunk at a time
        for flat in itertools.chain(unpacked, [self._flat]):
            for i in range(0, len(flat), w):
                yield tuple(flat[i : i + w])


class Recorder:
    """Counts every request and session outcome and keeps the rows a Result is built from.

    Args:
        duration: simulated seconds (sets the number of one-second bins).
        keep_requests: keep one row per request (for small runs and exact tests).
    """

    def __init__(self, duration: float, keep_requests: bool = False) -> None:
        n = math.ceil(duration) + 1
        self.bins = n
        self.arrival_bins = [0] * n
        self.ok_bins = [0] * n
        self.latency_sum = [0.0] * n
        self.failed: dict[str, list[int]] = {}
        self.failed_total: dict[str, int] = {}
        self.requests_total = 0
        self.requests_ok = 0
        self.requests_failed = 0
        self.double_outcomes = 0
        # Dense 32-bit counts per window: 3.6 kB a minute, a quarter of a sparse dict's size
        # once a minute of traffic has spread over a few hundred bins. The window being filled
        # is a plain list (a native increment in the compiled build, where an array's is a
        # generic call); it is copied in when the next window starts or when read. Windows
        # nobody has filled share one empty array, never written to.
        empty = array("I", [0]) * (_HIST_N + 1)
        self._empty = empty
        self._windows: list[array[int]] = [empty] * math.ceil(n / LATENCY_WINDOW_S)
        self._window = [0] * (_HIST_N + 1)
        self._window_k = 0
        self.latency_total = 0.0
        # Little's law: time-integral of the number of requests in the system.
        self.in_system = 0
        self._area = 0.0
        self._last_t = 0.0
        self.keep_requests = keep_requests
        self.request_rows: list[tuple[int, int, float, float, str, str | None, str]] = []
        self.sessions_created = 0
        self.session_outcomes: dict[str, int] = {}
        self.lost_by_cause: dict[str, int] = {}
        self.session_rows = SessionLog()
        self.double_session_ends = 0
        self.uploads_total = 0
        self.uploads_lost = 0
        self.uploads_lost_by_cause: dict[str, int] = {}
        self.events: list[tuple[float, str, str, str | None, str | None, str]] = []
        self.levels = LevelLog()
        self.level_columns: list[str] = []

    # --- requests ------------------------------------------------------------------------

    def arrival(self, req: Request, now: float) -> None:
        """Count a request reaching the load balancer."""
        self.requests_total += 1
        # Bins cover [0, ceil(duration)]; the run never processes an event past its end.
        self.arrival_bins[int(now)] += 1
        self._area += self.in_system * (now - self._last_t)
        self._last_t = now
        self.in_system += 1

    def ok(self, req: Request, now: float) -> None:
        """Record a successful response at ``now``."""
        if req.done:
            self.double_outcomes += 1
            return
        req.done = True
        latency = now - req.arrived
        i = int(now)
        self.ok_bins[i] += 1
        self.latency_sum[i] += latency
        self.requests_ok += 1
        self.latency_total += latency
        if latency > _HIST_LOW:
            b = int((math.log10(latency) - HIST_MIN_EXP) * HIST_BINS_PER_DECADE)
            if b > _HIST_N:
                b = _HIST_N
        else:
            b = 0
        k = i // LATENCY_WINDOW_S
        if k != self._window_k:
            self._store_window()
            self._window = [0] * (_HIST_N + 1)
            self._window_k = k
        self._window[b] += 1
        self._area += self.in_system * (now - self._last_t)
        self._last_t = now
        self.in_system -= 1
        if self.keep_requests:
            inst = req.instance
            self.request_rows.append(
                (req.id, req.user.id, req.arrived, now, "ok", inst.name if inst else None, req.kind)
            )

    def fail(self, req: Request, now: float, cause: str) -> None:
        """Record a failed request; ``cause`` is ``"<status> <reason>"``, e.g. 502 target_reset."""
        if req.done:
            self.double_outcomes += 1
            return
        req.done = True
        series = self.failed.get(cause)
        if series is None:
            series = self.failed[cause] = [0] * self.bins
            self.failed_total[cause] = 0
        series[int(now)] += 1
        self.failed_total[cause] += 1
        self.requests_failed += 1
        self._area += self.in_system * (now - self._last_t)
        self._last_t = now
        self.in_system -= 1
        if self.keep_requests:
            inst = req.instance
            self.request_rows.append(
                (
                    req.id,
                    req.user.id,
                    req.arrived,
                    now,
                    cause,
                    inst.name if inst else None,
                    req.kind,
                )
            )

    def time_average_in_system(self, now: float) -> float:
        """Return the time-averaged number of requests in the system over [0, now]."""
        area = self._area + self.in_system * (now - self._last_t)
        return area / now if now > 0 else 0.0

    def _store_window(self) -> None:
        # Copy the window being filled into its slot; repeatable, as it copies totals.
        if any(self._window):
            self._windows[self._window_k] = array("I", self._window)

    @property
    def latency_windows(self) -> list[array[int]]:
        """Latency histograms of successful requests, one per ``LATENCY_WINDOW_S`` window."""
        self._store_window()
        return self._windows

    @property
    def latency_hist(self) -> list[int]:
        """Latency histogram of every successful request: the windows' counts summed."""
        total = [0] * (_HIST_N + 1)
        for window in self.latency_windows:
            if window is not self._empty:
                for b, count in enumerate(window):
                    total[b] += count
        return total

    def latency_quantile(self, q: float) -> float:
        """Return the ``q`` quantile of successful-request latency (histogram midpoint), or NaN."""
        total = self.requests_ok
        if total == 0:
            return math.nan
        target = q * total
        acc = 0
        for i, count in enumerate(self.latency_hist):  # summed once per call
            acc += count
            if acc >= target and count:
                return float(10 ** (HIST_MIN_EXP + (i + 0.5) / HIST_BINS_PER_DECADE))
        return math.nan

    # --- sessions ------------------------------------------------------------------------

    def session_created(self, session: Session) -> None:
        """Count a new session (a login)."""
        self.sessions_created += 1

    def session_ended(
        self, session: Session, now: float, outcome: str, cause: str | None = None
    ) -> None:
        """Record a session's one outcome: completed, lost (cause), abandoned, expired, active."""
        if session.ended:
            self.double_session_ends += 1
            return
        session.ended = True
        self.session_outcomes[outcome] = self.session_outcomes.get(outcome, 0) + 1
        if outcome == "lost":
            key = cause or "unknown"
            self.lost_by_cause[key] = self.lost_by_cause.get(key, 0) + 1
        home = session.home
        self.session_rows.append(
            (
                session.id,
                session.user.id,
                session.created,
                now,
                outcome,
                cause,
                session.requests,
                home.az if home is not None else None,
            )
        )

    # --- uploads -------------------------------------------------------------------------

    def upload_stored(self) -> None:
        """Count a file stored by a successful upload."""
        self.uploads_total += 1

    def uploads_lost_add(self, count: int, cause: str) -> None:
        """Count ``count`` stored files lost with ``cause`` (e.g. instance_terminated)."""
        self.uploads_lost += count
        self.uploads_lost_by_cause[cause] = self.uploads_lost_by_cause.get(cause, 0) + count

    # --- events and levels ---------------------------------------------------------------

    def event(
        self,
        now: float,
        kind: str,
        scope: str,
        az: str | None = None,
        instance: str | None = None,
        detail: str = "",
    ) -> None:
        """Append an event row (fault, launch, state change, scaling decision…)."""
        self.events.append((now, kind, scope, az, instance, detail))

    def level(self, row: tuple[Any, ...]) -> None:
        """Append one per-second sample of the level metrics (columns in ``level_columns``)."""
        self.levels.append(row)
