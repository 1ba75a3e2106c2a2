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
   * ``requests_csv`` if it has a time column (``timestamp``, ``time``, ...).
4. A headerless table: one timestamp column is ``requests_csv``; a timestamp and a
   whole number is ``rate_csv``.

Anything else raises :class:`~fleetsim.traces.errors.TraceError` asking for an
explicit ``format=``.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import UTC
from typing import Literal

from fleetsim.traces._io import numbered_lines
from fleetsim.traces._table import COUNT_NAMES, TIME_NAMES, sniff_delimiter
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


def detect_format(path: str | os.PathLike[str]) -> TraceFormat:
    """Detect the format of a trace file from its first non-blank line.

    Args:
        path: Trace file, plain or gzip-compressed.

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
    if "timestamp" in names and ("sum" in names or "value" in names):
        return "cloudwatch"
    if any(name in COUNT_NAMES for name in names):
        return "rate_csv"
    if any(name in TIME_NAMES for name in names):
        return "requests_csv"
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
        allowed="pass format='rate_csv', 'requests_csv', 'clf', 'alb' or 'cloudwatch'",
    )
