"""Compact logs for the rows a long run keeps by the million: ended sessions and level samples.

As tuples of Python objects these rows dominated a 24 h run's peak memory. Here they are kept by
column in typed arrays and each full chunk is zlib-packed, losslessly: iterating gives back the
same rows, and a column comes back as one numpy array.
"""

from __future__ import annotations

import itertools
import zlib
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from fleetsim.record.rows import SessionRow

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
            # A StrEnum member is kept as its plain string, as the frames hold it.
            label = None if label is None else str(label)
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
            yield SessionRow(sid, user, start, end, label, labels[cause], requests, labels[home])


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
