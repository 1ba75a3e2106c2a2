"""Errors raised by the trace readers.

Every problem with a trace file (bad timestamp, negative count, truncated line, missing
column, empty file, ...) is reported as a :class:`TraceError`. Its message is a single
paragraph that says where the problem is (file, line, field), what was found, and what
is allowed, so that a user can fix the file without reading the reader's source::

    nasa.csv line 17, field 'requests': '-3' is negative; counts must be integers >= 0.

Readers called with ``on_error='skip'`` do not raise for per-line problems; they skip
the line and count it in the trace's ``skipped`` attribute instead. Problems that make
the whole file unusable (empty file, missing column, unknown format) always raise.
"""

from __future__ import annotations

import os
from typing import Literal

OnError = Literal["raise", "skip"]
"""How readers treat a malformed line: raise :class:`TraceError`, or skip and count it."""

_MAX_VALUE_CHARS = 80


class TraceError(ValueError):
    """A trace file could not be read; the message names file, line, field and value.

    Attributes:
        path: The file, as given to the reader (``None`` if unknown).
        problem: What is wrong, e.g. ``"is negative"``.
        line: 1-based physical line number in the (decompressed) file, if known.
        field: Name of the column or log field, if the problem is in one field.
        value: The offending text, if any.
        allowed: What would have been accepted, e.g. ``"counts must be integers >= 0"``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
        value: str | None = None,
        allowed: str | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        self.line = line
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.path if self.path is not None else "<trace>"
        if self.line is not None:
            where += f" line {self.line}"
        if self.field is not None:
            where += f", field {self.field!r}"
        what = self.problem
        if self.value is not None:
            shown = self.value
            if len(shown) > _MAX_VALUE_CHARS:
                shown = shown[: _MAX_VALUE_CHARS - 3] + "..."
            what = f"{shown!r} {what}"
        text = f"{where}: {what}"
        if self.allowed:
            text += f"; {self.allowed}"
        text = text.replace("\r", " ").replace("\n", " ")  # always one paragraph
        return text if text.endswith(".") else text + "."

    def __reduce__(self) -> tuple[object, ...]:
        """Support pickling (e.g. across multiprocessing workers)."""
        return (
            _rebuild,
            (self.path, self.problem, self.line, self.field, self.value, self.allowed),
        )


def _rebuild(
    path: str | None,
    problem: str,
    line: int | None,
    field: str | None,
    value: str | None,
    allowed: str | None,
) -> TraceError:
    return TraceError(path, problem, line=line, field=field, value=value, allowed=allowed)


def check_on_error(on_error: str) -> OnError:
    """Validate an ``on_error`` argument.

    Args:
        on_error: The value passed by the caller.

    Returns:
        The same value, typed as :data:`OnError`.

    Raises:
        ValueError: If it is neither ``'raise'`` nor ``'skip'``.
    """
    if on_error == "raise":
        return "raise"
    if on_error == "skip":
        return "skip"
    raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
