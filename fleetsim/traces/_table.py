"""Delimited-text (CSV/TSV) helpers shared by the rate and per-request CSV readers.

Covers the three decisions every table reader makes before the first data row: which
delimiter the file uses, whether the first row is a header, and which column holds a
given quantity (by name, by position, or by a list of conventional names).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fleetsim.traces._io import first_lines, open_text, strip_gz
from fleetsim.traces.errors import TraceError

TIME_NAMES = (
    "timestamp",
    "time",
    "request_creation_time",
    "arrival_time",
    "arrival",
    "datetime",
    "date",
    "ts",
)
"""Column names recognised as the time column, most specific first (case-insensitive)."""

COUNT_NAMES = ("requests", "count", "requestcount", "request_count", "sum", "value")
"""Column names recognised as the count column of a rate CSV (case-insensitive)."""

Column = str | int | None
"""A column chosen by header name, by 0-based position, or ``None`` to auto-detect."""


def sniff_delimiter(path: str | os.PathLike[str], delimiter: str | None) -> str:
    """Choose the field delimiter of a table file.

    Args:
        path: The file (its name and first line are looked at).
        delimiter: An explicit choice, returned unchanged if given.

    Returns:
        A tab for ``.tsv`` files or a first line with tabs but no commas, else ``","``.
    """
    if delimiter:
        return delimiter
    if strip_gz(path).endswith(".tsv"):
        return "\t"
    lines = first_lines(path, 1)
    if lines and "\t" in lines[0] and "," not in lines[0]:
        return "\t"
    return ","


@contextmanager
def open_rows(
    path: str | os.PathLike[str], delimiter: str
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """Open a table file and stream its non-empty rows with line numbers.

    Tab-separated files are read without quote processing (web-log TSVs contain bare
    double quotes in URLs); other delimiters follow the usual CSV quoting rules.

    Args:
        path: Plain or gzip-compressed table file.
        delimiter: Field delimiter.

    Yields:
        An iterator of ``(line_number, cells)`` with surrounding whitespace stripped
        from each cell; rows with no non-blank cell are left out.
    """
    with open_text(path) as stream:
        if delimiter == "\t":
            reader = csv.reader(stream, delimiter=delimiter, quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(stream, delimiter=delimiter)

        def rows() -> Iterator[tuple[int, list[str]]]:
            for row in reader:
                cells = [cell.strip() for cell in row]
                if any(cells):
                    yield reader.line_num, cells

        yield rows()


def find_column(
    path: Path,
    line: int,
    header: Sequence[str],
    wanted: Column,
    candidates: Sequence[str],
    role: str,
    option: str,
) -> int | None:
    """Locate a column in a header row.

    Args:
        path: File name for error messages.
        line: Line number of the header, for error messages.
        header: The header cells.
        wanted: Explicit choice: a name (case-insensitive) or a 0-based index.
        candidates: Conventional names tried in order when ``wanted`` is None.
        role: What the column holds, for messages (e.g. ``"count"``).
        option: The reader option that selects it, for messages.

    Returns:
        The 0-based column index, or None if ``wanted`` is None and no candidate matches.

    Raises:
        TraceError: If an explicitly requested column does not exist.
    """
    lowered = [cell.lower() for cell in header]
    if isinstance(wanted, int):
        if 0 <= wanted < len(header):
            return wanted
        raise TraceError(
            path,
            f"has no column {wanted} (the header has {len(header)} columns)",
            line=line,
            field=role,
            allowed=f"{option} is a 0-based column index or a column name",
        )
    if isinstance(wanted, str):
        if wanted.lower() in lowered:
            return lowered.index(wanted.lower())
        raise TraceError(
            path,
            "is not a column of this file",
            line=line,
            field=role,
            value=wanted,
            allowed=f"the header has {', '.join(repr(c) for c in header)}; set {option} "
            "to one of them",
        )
    for name in candidates:
        if name in lowered:
            return lowered.index(name)
    return None
