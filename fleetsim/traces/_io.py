"""File opening shared by the readers: transparent gzip, tolerant decoding.

A file is treated as gzip when it starts with the gzip magic bytes, whatever its name,
so ``access.log.gz``, ``trace.csv.gz`` and a gzip file without a ``.gz`` suffix all work.
Text is decoded as UTF-8 (a leading byte-order mark is dropped) and undecodable bytes
become U+FFFD: old web logs contain stray binary bytes inside request strings, and an
arrival time must not be lost because of them.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

_GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Tell whether a file is gzip-compressed, by its first two bytes.

    Args:
        path: File to test.

    Returns:
        True if the file starts with the gzip magic number.
    """
    with open(path, "rb") as raw:
        return raw.read(2) == _GZIP_MAGIC


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """Open a trace file for reading as text, decompressing gzip on the fly.

    Args:
        path: Plain or gzip-compressed text file.

    Returns:
        A text stream with universal newlines disabled (``newline=''``) so that the
        ``csv`` module sees the original line endings.
    """
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def numbered_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Stream the lines of a file with their 1-based line numbers, newline stripped.

    Blank lines (only whitespace) carry no record and are not yielded, but they still
    advance the line number so that reported line numbers match an editor's.

    Args:
        path: Plain or gzip-compressed text file.

    Yields:
        ``(line_number, line)`` pairs.
    """
    with open_text(path) as stream:
        for number, line in enumerate(stream, start=1):
            text = line.rstrip("\r\n")
            if text.strip():
                yield number, text


def first_lines(path: str | os.PathLike[str], limit: int = 5) -> list[str]:
    """Read up to ``limit`` non-blank lines from the start of a file.

    Args:
        path: Plain or gzip-compressed text file.
        limit: Maximum number of lines to return.

    Returns:
        The first non-blank lines, newline stripped (fewer if the file is shorter).
    """
    lines: list[str] = []
    for _, text in numbered_lines(path):
        lines.append(text)
        if len(lines) >= limit:
            break
    return lines


def strip_gz(path: str | os.PathLike[str]) -> str:
    """Return the file name without a trailing ``.gz`` suffix, lower-cased.

    Args:
        path: A file path.

    Returns:
        E.g. ``"trace.csv"`` for ``"/x/Trace.CSV.gz"``.
    """
    name = Path(path).name.lower()
    return name[:-3] if name.endswith(".gz") else name
