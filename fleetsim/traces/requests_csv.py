"""Per-request CSV/TSV files (one row per request) as streamed request traces.

Some traces are exported as tables rather than logs: one row per request with a time
column, e.g. the NASA-HTTP ``nasa_19950801.tsv`` (``host logname time method url ...``,
``time`` in Unix epoch seconds). Only the time column is read; the other columns are
ignored. Times may be epoch seconds or ISO 8601 (see :mod:`fleetsim.traces._time`);
naive ISO times are interpreted in ``tz``.

The time column is chosen by ``time_column`` (a header name or 0-based index). By
default a header cell named ``timestamp``, ``time``, ``request_creation_time``,
``arrival_time``, ``arrival``, ``datetime``, ``date`` or ``ts`` (any case) is used;
a file whose first row already parses as a timestamp has no header, and its first
column is used. Rows are streamed, never loaded all at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path

from fleetsim.traces._table import TIME_NAMES, Column, find_column, open_rows, sniff_delimiter
from fleetsim.traces._time import ALLOWED_TIME, epoch_seconds, parse_time, resolve_tz
from fleetsim.traces.errors import OnError, TraceError, check_on_error
from fleetsim.traces.model import RequestTrace, ScanTally


def _is_time(text: str, tz: tzinfo) -> bool:
    try:
        parse_time(text, tz)
    except ValueError:
        return False
    return True


def _layout(
    path: Path, delimiter: str, time_column: Column, tz: tzinfo
) -> tuple[int, str, int | None]:
    """Return (time column index, its name, header line or None) from the first row."""
    with open_rows(path, delimiter) as rows:
        first = next(rows, None)
    if first is None:
        raise TraceError(path, "is empty", allowed="a per-request table needs at least one row")
    number, cells = first
    if isinstance(time_column, int) and time_column < len(cells):
        if _is_time(cells[time_column], tz):
            return time_column, f"column {time_column}", None
    elif time_column is None and _is_time(cells[0], tz):
        return 0, "column 0", None
    index = find_column(path, number, cells, time_column, TIME_NAMES, "time", "time_column")
    if index is None:
        raise TraceError(
            path,
            "has no recognisable time column",
            line=number,
            value=delimiter.join(cells),
            allowed=f"name it one of {', '.join(TIME_NAMES)}, or pass time_column=",
        )
    return index, cells[index], number


def _row_time(
    path: Path, number: int, cells: list[str], index: int, name: str, tz: tzinfo
) -> float:
    """Parse the time cell of one row to epoch seconds, or raise TraceError."""
    if index >= len(cells):
        raise TraceError(
            path,
            f"is missing (the row has {len(cells)} fields; truncated line?)",
            line=number,
            field=name,
            allowed=f"every row needs at least {index + 1} fields",
        )
    text = cells[index]
    try:
        return epoch_seconds(text, tz)
    except ValueError as exc:
        raise TraceError(
            path, str(exc), line=number, field=name, value=text, allowed=ALLOWED_TIME
        ) from None


def _scan(
    path: Path,
    delimiter: str,
    index: int,
    name: str,
    header_line: int | None,
    tz: tzinfo,
    on_error: OnError,
    tally: ScanTally,
) -> Iterator[tuple[int, float]]:
    with open_rows(path, delimiter) as rows:
        for number, cells in rows:
            if number == header_line:
                continue
            try:
                epoch = _row_time(path, number, cells, index, name, tz)
            except TraceError:
                if on_error == "skip":
                    tally.skipped += 1
                    continue
                raise
            yield number, epoch


def _first_time(
    path: Path,
    delimiter: str,
    index: int,
    name: str,
    header_line: int | None,
    tz: tzinfo,
    on_error: OnError,
) -> datetime:
    """Return the first valid row's time as an aware datetime (keeping its own offset)."""
    skipped = 0
    with open_rows(path, delimiter) as rows:
        for number, cells in rows:
            if number == header_line:
                continue
            try:
                _row_time(path, number, cells, index, name, tz)
            except TraceError:
                if on_error == "raise":
                    raise
                skipped += 1
                continue
            return parse_time(cells[index], tz)
    if skipped:
        raise TraceError(path, f"has no valid row ({skipped} malformed rows skipped)")
    raise TraceError(path, "has a header but no data rows")


def read_requests_csv(
    path: str | os.PathLike[str],
    *,
    time_column: Column = None,
    tz: str | tzinfo | None = None,
    delimiter: str | None = None,
    on_error: OnError = "raise",
) -> RequestTrace:
    """Open a one-row-per-request CSV/TSV as a streamed request trace.

    Args:
        path: Table file, plain or gzip-compressed.
        time_column: Header name or 0-based index of the time column (None: detect).
        tz: Zone for naive ISO timestamps and for ``start`` when times are epoch
            seconds (default UTC); an IANA name or a ``tzinfo``.
        delimiter: Field delimiter (default: tab for ``.tsv`` or tab-only first line,
            else comma).
        on_error: ``'raise'`` on a malformed row, or ``'skip'`` it and count it.

    Returns:
        A :class:`RequestTrace` starting at the first valid row's time.

    Raises:
        TraceError: If the file is empty, has no time column, or (with ``'raise'``) a
            row before the first valid one is malformed.
    """
    mode = check_on_error(on_error)
    source = Path(path)
    zone = resolve_tz(tz)
    sep = sniff_delimiter(source, delimiter)
    index, name, header_line = _layout(source, sep, time_column, zone)
    start = _first_time(source, sep, index, name, header_line, zone, mode)
    return RequestTrace(
        source=source,
        start=start,
        format="requests_csv",
        time_field=name,
        on_error=mode,
        scan=lambda tally: _scan(source, sep, index, name, header_line, zone, mode, tally),
    )
