"""Trace format detection from a file's first line.

:func:`detect_format` decides which reader a file needs by looking at its first
non-blank line (after transparent gzip decompression), in this order:

1. ``clf`` -- the line matches ``host ident user [dd/Mon/yyyy:HH:MM:SS +zzzz] "..."``.
2. ``alb`` -- it splits into at least 29 fields whose 2nd (``time``) and 22nd
   (``request_creation_time``) are ISO 8601 UTC timestamps.
3. A table header (comma- or tab-separated):

   * ``cloudwatch`` if it has a ``Timestamp`` column and a ``Sum`` or ``Value`` column;
   * ``rate_csv`` if it has a count column (``requests``, ``count``, ``RequestCount``,
     ``request_count``, ``Sum``, ``Value``);
   * ``requests_csv`` if it has a time column (``timestamp``, ``time``, ...) and at
     least one column that is not a number in its first rows (a host, a URL, a method);
   * a time column and only numeric columns besides it is refused: it is most likely a
     rate CSV whose count column has a name fleetsim does not know, and reading it as
     one request per row would silently replay a fraction of the traffic. The message
     lists the columns and says how to name the count column (``count_column=``) or to
     confirm ``format='requests_csv'``.
4. A headerless table: one timestamp column is ``requests_csv``; a timestamp and a
   whole number is ``rate_csv``.

A guess is confident or it is refused: anything else raises
:class:`~fleetsim.traces.errors.TraceError` asking for an explicit ``format=``. Passing
``count_column`` makes a table a rate CSV (or a CloudWatch export if it looks like one).
"""

from __future__ import annotations

import csv
import os
import re
from datetime import UTC
from typing import Literal

from fleetsim.traces._io import numbered_lines
from fleetsim.traces._table import COUNT_NAMES, TIME_NAMES, open_rows, sniff_delimiter
from fleetsim.traces._time import parse_time
from fleetsim.traces.alb import split_alb_line
from fleetsim.traces.errors import TraceError

TraceFormat = Literal["rate_csv", "requests_csv", "clf", "alb", "cloudwatch"]
"""Names of the supported trace formats."""

FORMATS: tuple[TraceFormat, ...] = ("rate_csv", "requests_csv", "clf", "alb", "cloudwatch")
"""All supported trace formats, as accepted by ``load_trace(format=...)``."""

_CLF_START = re.compile(r'\S+ +\S+ +\S+ +\[\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] +"')
_ALB_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _is_alb(line: str) -> bool:
    try:
        fields = split_alb_line(line)
    except ValueError:
        return False
    return (
        len(fields) >= 29
        and _ALB_TIME.fullmatch(fields[1]) is not None
        and _ALB_TIME.fullmatch(fields[21]) is not None
    )


def _is_time(text: str) -> bool:
    try:
        parse_time(text, UTC)
    except ValueError:
        return False
    return True


def _is_whole(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return number >= 0 and number == int(number)


#: Data rows looked at to decide whether a table's other columns are all numbers.
_SAMPLE_ROWS = 20


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numeric_columns(path: str | os.PathLike[str], delimiter: str, skip: int) -> set[int]:
    """Return the columns (other than ``skip``) that are numbers in every sampled data row."""
    numeric: set[int] | None = None
    with open_rows(path, delimiter) as rows:
        next(rows, None)  # the header
        for i, (_, cells) in enumerate(rows):
            if i >= _SAMPLE_ROWS:
                break
            these = {k for k, cell in enumerate(cells) if k != skip and _is_number(cell)}
            numeric = these if numeric is None else numeric & these
    return numeric or set()


def _table_format(
    path: str | os.PathLike[str], delimiter: str, number: int, cells: list[str]
) -> TraceFormat | None:
    names = [cell.lower() for cell in cells]
    if "timestamp" in names and ("sum" in names or "value" in names):
        return "cloudwatch"
    if any(name in COUNT_NAMES for name in names):
        return "rate_csv"
    time_index = next((names.index(n) for n in TIME_NAMES if n in names), None)
    if time_index is None:
        return None
    others = [k for k in range(len(cells)) if k != time_index]
    if others and set(others) <= _numeric_columns(path, delimiter, time_index):
        listed = ", ".join(repr(cells[k]) for k in others)
        raise TraceError(
            path,
            f"has a time column {cells[time_index]!r} and only numeric columns besides it "
            f"({listed}): it may be a rate CSV whose count column has a name fleetsim does not "
            "know, and reading it as one request per row would replay the wrong traffic",
            line=number,
            allowed=f"name the count column (count_column: {cells[others[0]]} in the "
            f"scenario's trace shape, --count-column {cells[others[0]]} for traces inspect), "
            "or set format: requests_csv if each row is one request",
        )
    return "requests_csv"


def detect_format(
    path: str | os.PathLike[str], count_column: str | int | None = None
) -> TraceFormat:
    """Detect the format of a trace file from its first non-blank line.

    Args:
        path: Trace file, plain or gzip-compressed.
        count_column: The count column the caller named, if any: a table is then a rate
            CSV (or a CloudWatch export), never a per-request table.

    Returns:
        One of :data:`FORMATS`.

    Raises:
        TraceError: If the file is empty or its format cannot be recognised.
    """
    first = next(numbered_lines(path), None)
    if first is None:
        raise TraceError(path, "is empty", allowed="a trace file needs at least one record")
    number, line = first
    if _CLF_START.match(line):
        return "clf"
    if _is_alb(line):
        return "alb"
    delimiter = sniff_delimiter(path, None)
    cells = [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
    names = [cell.lower() for cell in cells]
    if count_column is not None:
        is_cloudwatch = "timestamp" in names and ("sum" in names or "value" in names)
        return "cloudwatch" if is_cloudwatch else "rate_csv"
    found = _table_format(path, delimiter, number, cells)
    if found is not None:
        return found
    if cells and _is_time(cells[0]):
        if len(cells) == 1:
            return "requests_csv"
        if len(cells) == 2 and _is_whole(cells[1]):
            return "rate_csv"
    raise TraceError(
        path,
        "does not look like any supported trace format",
        line=number,
        value=line,
        allowed="set the format (rate_csv, requests_csv, clf, alb or cloudwatch) and, for a "
        "table, the time_column and count_column",
    )
