"""Windows of a trace chosen by wall-clock time: ``start`` and ``end`` timestamps.

A user who knows that the launch was at 09:41 EDT should not have to work out that this is
34,915 s after the file's first line. :func:`window_seconds` turns ``start``/``end`` timestamps
(ISO 8601; naive ones are in the reader's ``tz``, UTC by default) into seconds from the trace's
start, and :func:`window_rate` cuts a :class:`~fleetsim.traces.model.RateTrace` to the bins
that overlap the window. Request-level traces are windowed while they are read (see
:mod:`fleetsim.traces.sparse`).
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta, tzinfo

from fleetsim.traces._time import ALLOWED_TIME, parse_time, resolve_tz
from fleetsim.traces.errors import TraceError
from fleetsim.traces.model import RateTrace


def parse_moment(
    text: str | datetime, tz: str | tzinfo | None, field: str, path: str | os.PathLike[str] | None
) -> datetime:
    """Parse a ``start``/``end`` option into an aware datetime.

    Raises:
        TraceError: naming the option if the text is not a timestamp.
    """
    if isinstance(text, datetime):
        return text if text.tzinfo is not None else text.replace(tzinfo=resolve_tz(tz))
    try:
        return parse_time(str(text), resolve_tz(tz))
    except ValueError as exc:
        raise TraceError(
            path, str(exc), field=field, value=str(text), allowed=ALLOWED_TIME
        ) from None


def window_seconds(
    origin: datetime,
    start: str | datetime | None,
    end: str | datetime | None,
    tz: str | tzinfo | None = None,
    path: str | os.PathLike[str] | None = None,
) -> tuple[float, float]:
    """Return ``(lo, hi)``, the window in seconds from ``origin`` (infinite where not given).

    Raises:
        TraceError: if a timestamp does not parse or ``end`` is not after ``start``.
    """
    lo, hi = -math.inf, math.inf
    if start is not None:
        lo = (parse_moment(start, tz, "start", path) - origin).total_seconds()
    if end is not None:
        hi = (parse_moment(end, tz, "end", path) - origin).total_seconds()
    if hi <= lo:
        raise TraceError(
            path,
            f"end ({end}) is not after start ({start})",
            field="end",
            allowed="end must be a later timestamp than start",
        )
    return lo, hi


def window_rate(trace: RateTrace, lo: float, hi: float) -> RateTrace:
    """Keep the bins of ``trace`` that overlap ``[lo, hi)`` seconds from its start.

    Raises:
        TraceError: if no bin overlaps the window.
    """
    first = max(0, math.floor(lo / trace.bin_seconds)) if math.isfinite(lo) else 0
    last = (
        len(trace) if not math.isfinite(hi) else min(len(trace), math.ceil(hi / trace.bin_seconds))
    )
    if last <= first:
        raise TraceError(
            trace.source,
            f"has no bin in the chosen start/end window (the trace runs from "
            f"{trace.start.isoformat()} to {trace.end.isoformat()})",
            field="start" if lo >= trace.duration else "end",
            allowed="choose start and end inside the trace",
        )
    return RateTrace(
        counts=trace.counts[first:last],
        bin_seconds=trace.bin_seconds,
        start=trace.start + timedelta(seconds=first * trace.bin_seconds),
        source=trace.source,
        skipped=trace.skipped,
    )
