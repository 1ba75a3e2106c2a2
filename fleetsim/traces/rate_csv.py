"""Rate CSVs (a timestamp and a request count per row) as :class:`RateTrace` objects.

A rate CSV has one row per time bin: when the bin starts and how many requests arrived
in it, e.g. the NASA per-minute file::

    timestamp_edt,requests
    1995-07-01T00:00:00-04:00,42

Columns. The time column defaults to the first column and the count column to the
first column named ``requests``, ``count``, ``RequestCount``, ``request_count``,
``Sum`` or ``Value`` (any case); both can be set by name or 0-based index. A file whose
first row already parses as (timestamp, count) has no header: columns 0 and 1 are used.

Timestamps are ISO 8601 or epoch seconds; naive ISO times are in ``tz`` (default UTC).
The trace's ``start`` keeps the first row's own UTC offset.

Bins. Without ``bin_seconds`` the bin width is the most common gap between consecutive
timestamps (1 s, 60 s, 300 s, ...; the smallest one on a tie), and every timestamp must
lie on that grid counted from the first row -- a row off the grid is an error rather
than a reason to guess a finer bin. Missing rows are gaps: they become zero-count bins.
(A very sparse file whose most common gap is several bins wide therefore needs
``bin_seconds``; the error message says so.) With
``bin_seconds`` given, rows are summed into bins of that width starting at the first
timestamp (so per-second rows can be read as per-minute bins); it must not be finer
than the file's own resolution, or the file's counts will be concentrated in isolated
bins.

Order. Rows must be in strictly increasing time order unless ``sort=True``; CloudWatch
exports are not sorted, so :func:`read_cloudwatch_csv` sorts. Duplicate timestamps are
errors either way.

Counts must be whole numbers >= 0 (``12`` or ``12.0``). With ``on_error='skip'`` a bad
row is dropped and counted in ``skipped``; its bin then reads as zero unless another
row fills it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

import numpy as np

from fleetsim.traces._table import (
    COUNT_NAMES,
    TIME_NAMES,
    Column,
    find_column,
    open_rows,
    sniff_delimiter,
)
from fleetsim.traces._time import ALLOWED_TIME, epoch_seconds, parse_time, resolve_tz
from fleetsim.traces.errors import OnError, TraceError, check_on_error
from fleetsim.traces.model import MAX_BINS, RateTrace

_ALLOWED_COUNT = "counts must be integers >= 0"
_CLOUDWATCH_COUNT_NAMES = ("sum", "requestcount", "value", "samplecount")


@dataclass
class _Layout:
    time_index: int
    time_name: str
    count_index: int
    count_name: str
    header_line: int | None


@dataclass
class _Rows:
    lines: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    first_time: datetime | None = None
    skipped: int = 0


def _parse_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(number) or number != math.floor(number):
            raise ValueError("is not a whole number") from None
        value = int(number)
    if value < 0:
        raise ValueError("is negative")
    return value


def _looks_like_data(cells: list[str], time_index: int, count_index: int, tz: tzinfo) -> bool:
    if max(time_index, count_index) >= len(cells):
        return False
    try:
        parse_time(cells[time_index], tz)
        _parse_count(cells[count_index])
    except ValueError:
        return False
    return True


def _layout(
    path: Path,
    delimiter: str,
    time_column: Column,
    count_column: Column,
    tz: tzinfo,
    time_candidates: tuple[str, ...],
    count_candidates: tuple[str, ...],
) -> _Layout:
    with open_rows(path, delimiter) as rows:
        first = next(rows, None)
    if first is None:
        raise TraceError(path, "is empty", allowed="a rate CSV needs at least one data row")
    number, cells = first
    if not isinstance(time_column, str) and not isinstance(count_column, str):
        t_index = 0 if time_column is None else time_column
        c_index = 1 if count_column is None else count_column
        if _looks_like_data(cells, t_index, c_index, tz):
            return _Layout(t_index, f"column {t_index}", c_index, f"column {c_index}", None)
    t_found = find_column(path, number, cells, time_column, time_candidates, "time", "time_column")
    c_found = find_column(
        path, number, cells, count_column, count_candidates, "count", "count_column"
    )
    if c_found is None:
        raise TraceError(
            path,
            "has no count column",
            line=number,
            value=delimiter.join(cells),
            allowed=f"name it one of {', '.join(count_candidates)} (any case), or pass "
            "count_column=",
        )
    t_index = 0 if t_found is None else t_found
    if t_index == c_found:
        raise TraceError(
            path,
            "is used as both the time and the count column",
            line=number,
            field=cells[c_found],
            allowed="pass time_column= and count_column= naming two different columns",
        )
    return _Layout(t_index, cells[t_index], c_found, cells[c_found], number)


def _read_rows(
    path: Path, delimiter: str, layout: _Layout, tz: tzinfo, sort: bool, on_error: OnError
) -> _Rows:
    out = _Rows()
    previous = -math.inf
    previous_line = 0
    need = max(layout.time_index, layout.count_index) + 1
    with open_rows(path, delimiter) as rows:
        for number, cells in rows:
            if number == layout.header_line:
                continue
            try:
                text, epoch, count = _parse_row(path, number, cells, layout, tz, need)
                if not sort and epoch <= previous:
                    raise TraceError(
                        path,
                        f"is not later than the timestamp on line {previous_line}",
                        line=number,
                        field=layout.time_name,
                        value=text,
                        allowed="rows must be in strictly increasing time order (pass "
                        "sort=True or format='cloudwatch' for unsorted exports)",
                    )
            except TraceError:
                if on_error == "raise":
                    raise
                out.skipped += 1
                continue
            if out.first_time is None:
                out.first_time = parse_time(text, tz)
            previous, previous_line = epoch, number
            out.lines.append(number)
            out.epochs.append(epoch)
            out.counts.append(count)
    return out


def _parse_row(
    path: Path, number: int, cells: list[str], layout: _Layout, tz: tzinfo, need: int
) -> tuple[str, float, int]:
    # One row's time text, its epoch seconds and its count, or a TraceError naming the field.
    if len(cells) < need:
        missing = layout.count_name
        if layout.time_index >= len(cells):
            missing = layout.time_name
        raise TraceError(
            path,
            f"is missing (the row has {len(cells)} fields; truncated line?)",
            line=number,
            field=missing,
            allowed=f"every row needs at least {need} fields",
        )
    text = cells[layout.time_index]
    try:
        epoch = epoch_seconds(text, tz)
    except ValueError as exc:
        raise TraceError(
            path,
            str(exc),
            line=number,
            field=layout.time_name,
            value=text,
            allowed=ALLOWED_TIME,
        ) from None
    try:
        count = _parse_count(cells[layout.count_index])
    except ValueError as exc:
        raise TraceError(
            path,
            str(exc),
            line=number,
            field=layout.count_name,
            value=cells[layout.count_index],
            allowed=_ALLOWED_COUNT,
        ) from None
    return text, epoch, count


def _drop(rows: _Rows, keep: np.ndarray) -> _Rows:
    kept = np.flatnonzero(keep)
    return _Rows(
        lines=[rows.lines[i] for i in kept],
        epochs=[rows.epochs[i] for i in kept],
        counts=[rows.counts[i] for i in kept],
        first_time=rows.first_time,
        skipped=rows.skipped + int(keep.size - kept.size),
    )


def _sorted(path: Path, rows: _Rows, name: str, on_error: OnError) -> _Rows:
    order = np.argsort(np.asarray(rows.epochs), kind="stable")
    rows = _Rows(
        lines=[rows.lines[i] for i in order],
        epochs=[rows.epochs[i] for i in order],
        counts=[rows.counts[i] for i in order],
        first_time=rows.first_time,
        skipped=rows.skipped,
    )
    duplicate = np.concatenate(([False], np.diff(np.asarray(rows.epochs)) == 0))
    if duplicate.any():
        i = int(np.argmax(duplicate))
        if on_error == "raise":
            zone = rows.first_time.tzinfo if rows.first_time is not None else None
            moment = datetime.fromtimestamp(rows.epochs[i], zone)
            raise TraceError(
                path,
                f"repeats the timestamp of line {rows.lines[i - 1]}",
                line=rows.lines[i],
                field=name,
                value=moment.isoformat(),
                allowed="each bin may appear only once",
            )
        rows = _drop(rows, ~duplicate)
    return rows


def _grid(
    path: Path, rows: _Rows, name: str, bin_seconds: float | None, on_error: OnError
) -> tuple[_Rows, float, np.ndarray]:
    """Return (rows on the grid, bin width, bin index of each row)."""
    epochs = np.asarray(rows.epochs)
    if bin_seconds is not None:
        if not bin_seconds > 0:
            raise ValueError(f"bin_seconds must be > 0, not {bin_seconds!r}")
        index = np.floor((epochs - epochs[0]) / bin_seconds + 1e-9).astype(np.int64)
        return rows, float(bin_seconds), index
    if epochs.size < 2:
        raise TraceError(
            path,
            "has a single data row, so the bin size cannot be inferred",
            line=rows.lines[0],
            allowed="pass bin_seconds= (e.g. 60 for per-minute counts)",
        )
    gaps, seen = np.unique(np.round(np.diff(epochs), 6), return_counts=True)
    width = float(gaps[int(np.argmax(seen))])  # most common gap; the smallest on ties
    steps = (epochs - epochs[0]) / width
    off = np.abs(steps - np.round(steps)) > 1e-6
    if off.any():
        i = int(np.argmax(off))
        if on_error == "raise":
            raise TraceError(
                path,
                f"is not on the {width:g} s grid of the rows before it",
                line=rows.lines[i],
                field=name,
                value=f"{epochs[i] - epochs[0]:g} s after the first row",
                allowed=f"the bin size ({width:g} s) is inferred as the most common gap "
                "between timestamps; pass bin_seconds= to sum rows into bins of a given width",
            )
        rows = _drop(rows, ~off)
        steps = steps[~off]
    return rows, width, np.round(steps).astype(np.int64)


def read_rate_csv(
    path: str | os.PathLike[str],
    *,
    time_column: Column = None,
    count_column: Column = None,
    bin_seconds: float | None = None,
    tz: str | tzinfo | None = None,
    delimiter: str | None = None,
    sort: bool = False,
    on_error: OnError = "raise",
) -> RateTrace:
    """Read a rate CSV (timestamp, count per bin) into a :class:`RateTrace`.

    Args:
        path: CSV/TSV file, plain or gzip-compressed.
        time_column: Header name or 0-based index of the timestamp column (default:
            the first column).
        count_column: Header name or 0-based index of the count column (default: the
            first column named requests/count/RequestCount/request_count/Sum/Value).
        bin_seconds: Bin width; None infers it from the most common timestamp gap.
        tz: Zone for naive ISO timestamps and for ``start`` when times are epoch
            seconds (default UTC); an IANA name or a ``tzinfo``.
        delimiter: Field delimiter (default: tab for ``.tsv`` or a tab-only first
            line, else comma).
        sort: Sort rows by time instead of requiring increasing order.
        on_error: ``'raise'`` on a malformed row, or ``'skip'`` it and count it.

    Returns:
        The trace; gaps between timestamps are zero-count bins.

    Raises:
        TraceError: On an empty file, a missing column, or (with ``'raise'``) a bad
            timestamp, bad count, short row, out-of-order, duplicate or off-grid row.
        ValueError: If ``bin_seconds`` is not positive or ``tz`` is unknown.
    """
    return _read(
        path,
        time_column=time_column,
        count_column=count_column,
        bin_seconds=bin_seconds,
        tz=tz,
        delimiter=delimiter,
        sort=sort,
        on_error=on_error,
        time_candidates=(),
        count_candidates=COUNT_NAMES,
    )


def read_cloudwatch_csv(
    path: str | os.PathLike[str],
    *,
    time_column: Column = None,
    count_column: Column = None,
    bin_seconds: float | None = None,
    tz: str | tzinfo | None = None,
    delimiter: str | None = None,
    on_error: OnError = "raise",
) -> RateTrace:
    """Read a CloudWatch metric export (e.g. ALB ``RequestCount``) into a :class:`RateTrace`.

    The export is a CSV with a ``Timestamp`` column and a statistic column (``Sum`` for
    ``RequestCount``; ``Value`` in some tools), possibly unsorted and with other
    columns (``Unit``, ``Label``...), which are ignored. Rows are sorted by time and
    the period is inferred from the data. CloudWatch publishes no datapoint for a
    period without requests, so gaps become zero-count bins.

    Args:
        path: CSV file, plain or gzip-compressed.
        time_column: Timestamp column (default: ``Timestamp``, else the first column).
        count_column: Statistic column (default: ``Sum``, ``RequestCount``, ``Value``
            or ``SampleCount``, in that order of preference).
        bin_seconds: Period in seconds; None infers it.
        tz: Zone for naive timestamps (default UTC).
        delimiter: Field delimiter (default comma).
        on_error: ``'raise'`` on a malformed row, or ``'skip'`` it and count it.

    Returns:
        The trace, sorted, with gaps filled with zeros.

    Raises:
        TraceError: As :func:`read_rate_csv` (except for row order).
    """
    return _read(
        path,
        time_column=time_column,
        count_column=count_column,
        bin_seconds=bin_seconds,
        tz=tz,
        delimiter=delimiter,
        sort=True,
        on_error=on_error,
        time_candidates=TIME_NAMES,
        count_candidates=_CLOUDWATCH_COUNT_NAMES,
    )


def _read(
    path: str | os.PathLike[str],
    *,
    time_column: Column,
    count_column: Column,
    bin_seconds: float | None,
    tz: str | tzinfo | None,
    delimiter: str | None,
    sort: bool,
    on_error: OnError,
    time_candidates: tuple[str, ...],
    count_candidates: tuple[str, ...],
) -> RateTrace:
    mode = check_on_error(on_error)
    source = Path(path)
    zone = resolve_tz(tz)
    sep = sniff_delimiter(source, delimiter)
    layout = _layout(
        source, sep, time_column, count_column, zone, time_candidates, count_candidates
    )
    rows = _read_rows(source, sep, layout, zone, sort, mode)
    if not rows.epochs:
        if rows.skipped:
            raise TraceError(source, f"has no valid row ({rows.skipped} malformed rows skipped)")
        raise TraceError(source, "has a header but no data rows")
    if sort:
        rows = _sorted(source, rows, layout.time_name, mode)
    rows, width, index = _grid(source, rows, layout.time_name, bin_seconds, mode)
    n_bins = int(index[-1]) + 1
    if n_bins > MAX_BINS:
        raise TraceError(
            source,
            f"spans {n_bins:,} bins of {width:g} s, more than the limit of {MAX_BINS:,}",
            line=rows.lines[-1],
            field=layout.time_name,
            allowed="check the timestamps for a typo, or pass a larger bin_seconds=",
        )
    counts = np.zeros(n_bins, dtype=np.int64)
    np.add.at(counts, index, np.asarray(rows.counts, dtype=np.int64))
    zone_of_file = rows.first_time.tzinfo if rows.first_time is not None else zone
    start = datetime.fromtimestamp(rows.epochs[0], zone_of_file)
    return RateTrace(
        counts=counts, bin_seconds=width, start=start, source=source, skipped=rows.skipped
    )
