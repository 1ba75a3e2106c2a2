r"""Common Log Format (and Combined Log Format) access logs as request traces.

The Common Log Format written by web servers since NCSA httpd is::

    host ident authuser [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326

and the Combined Log Format appends ``"referer" "user-agent"``, which is ignored here.
Each line is one request; its bracketed timestamp (1-second resolution, with the
server's UTC offset) is the arrival time.

Real logs are messier than the format, and the NASA-HTTP 1995 logs in particular
contain request strings with no method, no URL or stray binary bytes
(``"GET  HTTP/1.0"``, ``"1/history/apollo/images/"``, ``"\x05\x01"``), byte counts
of ``-``, and a truncated final line. The request string is therefore *not* validated:
any quoted text is accepted, since the server did receive something at that second.
What must be present is the host, the timestamp, a closed quoted request, a 3-digit
status (or ``-``) and a byte count (digits or ``-``); anything less is a truncated or
foreign line and raises :class:`~fleetsim.traces.errors.TraceError` (or is skipped and
counted with ``on_error='skip'``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

from fleetsim.traces._io import numbered_lines
from fleetsim.traces.errors import OnError, TraceError, check_on_error
from fleetsim.traces.model import RequestTrace, ScanTally

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

_LINE = re.compile(
    r"(?P<host>\S+) +(?P<ident>\S+) +(?P<user>\S+) +"
    r"\[(?P<day>\d\d)/(?P<month>[A-Za-z]{3})/(?P<year>\d{4}):"
    r"(?P<hh>\d\d):(?P<mm>\d\d):(?P<ss>\d\d) (?P<zone>[+-]\d{4})\] +"
    # The request runs to the first quote followed by " status bytes"; written as runs of
    # non-quote characters (fast on long URLs) rather than a lazy ".*?".
    r'"(?P<request>[^"]*(?:"(?! +(?:\d{3}|-) +(?:\d+|-)(?:\s|$))[^"]*)*)"'
    r" +(?P<status>\d{3}|-) +(?P<bytes>\d+|-)(?:\s|$)"
)
_HEAD = re.compile(r"(?P<host>\S+) +(?P<ident>\S+) +(?P<user>\S+) +\[(?P<stamp>[^\]]*)\] *")
_STATUS_BYTES = re.compile(r" +(\d{3}|-) +(\d+|-)(?:\s|$)")

_FORMAT = 'host ident user [dd/Mon/yyyy:HH:MM:SS +zzzz] "request" status bytes'
_ALLOWED_STAMP = "CLF timestamps look like 10/Oct/2000:13:55:36 -0700"


class ClfRecord(NamedTuple):
    """One parsed Common Log Format line.

    Attributes:
        host: Client host name or IP address.
        ident: RFC 1413 identity (usually ``-``).
        user: Authenticated user (usually ``-``).
        time: Request time, aware, in the log's own UTC offset.
        request: The quoted request line, unvalidated (may be empty or junk).
        status: HTTP status code, or None for ``-``.
        bytes: Response size in bytes, or None for ``-``.
    """

    host: str
    ident: str
    user: str
    time: datetime
    request: str
    status: int | None
    bytes: int | None


class _Clock:
    """Turns CLF timestamp parts into epoch seconds, caching one value per day+zone."""

    def __init__(self) -> None:
        self._midnights: dict[tuple[str, str, str, str], float] = {}

    def midnight(self, day: str, month: str, year: str, zone: str) -> float:
        key = (day, month, year, zone)
        cached = self._midnights.get(key)
        if cached is not None:
            return cached
        number = _MONTHS.get(month.capitalize())
        if number is None:
            raise ValueError(f"has an unknown month {month!r}")
        minutes = int(zone[1:3]) * 60 + int(zone[3:5])
        offset = timezone(timedelta(minutes=-minutes if zone[0] == "-" else minutes))
        try:
            value = datetime(int(year), number, int(day), tzinfo=offset).timestamp()
        except ValueError:
            raise ValueError("is not a valid calendar date") from None
        self._midnights[key] = value
        return value

    def epoch(self, m: re.Match[str]) -> float:
        hh, mm, ss = int(m["hh"]), int(m["mm"]), int(m["ss"])
        if hh > 23 or mm > 59 or ss > 60:
            raise ValueError("has an hour, minute or second out of range")
        return self.midnight(m["day"], m["month"], m["year"], m["zone"]) + (
            hh * 3600 + mm * 60 + ss
        )


def _stamp_text(m: re.Match[str]) -> str:
    return f"{m['day']}/{m['month']}/{m['year']}:{m['hh']}:{m['mm']}:{m['ss']} {m['zone']}"


def _diagnose(path: Path, number: int, text: str) -> TraceError:
    """Explain why a line did not match the CLF pattern, naming the failing field."""
    head = _HEAD.match(text)
    if head is None:
        return TraceError(
            path,
            "is not a Common Log Format line (truncated or foreign?)",
            line=number,
            field="line",
            value=text,
            allowed=f"each line must look like {_FORMAT}",
        )
    stamp = head["stamp"]
    if not re.fullmatch(r"\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}", stamp):
        return TraceError(
            path,
            "is not a timestamp",
            line=number,
            field="timestamp",
            value=stamp,
            allowed=_ALLOWED_STAMP,
        )
    rest = text[head.end() :]
    if not rest.startswith('"') or rest.find('"', 1) < 0:
        return TraceError(
            path,
            "is missing or has no closing quote (truncated line?)",
            line=number,
            field="request",
            value=rest,
            allowed='the request must be enclosed in double quotes, e.g. "GET / HTTP/1.0"',
        )
    return TraceError(
        path,
        "does not end in a status code and a byte count (truncated line?)",
        line=number,
        field="status",
        value=rest,
        allowed="after the quoted request come a 3-digit status (or -) and bytes (digits or -)",
    )


def _stamp_error(path: Path, number: int, m: re.Match[str], exc: ValueError) -> TraceError:
    return TraceError(
        path,
        str(exc),
        line=number,
        field="timestamp",
        value=_stamp_text(m),
        allowed=_ALLOWED_STAMP,
    )


def parse_clf_line(
    text: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None
) -> ClfRecord:
    """Parse one Common/Combined Log Format line into a :class:`ClfRecord`.

    Args:
        text: The line, without its newline.
        path: File name used in error messages.
        line: Line number used in error messages.

    Returns:
        The parsed record.

    Raises:
        TraceError: If the line is malformed.
    """
    where = Path(path) if path is not None else Path("<clf>")
    number = line if line is not None else 1
    m = _LINE.match(text)
    if m is None:
        raise _diagnose(where, number, text)
    try:
        epoch = _Clock().epoch(m)
    except ValueError as exc:
        raise _stamp_error(where, number, m, exc) from None
    zone = m["zone"]
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    offset = timezone(timedelta(minutes=-minutes if zone[0] == "-" else minutes))
    return ClfRecord(
        host=m["host"],
        ident=m["ident"],
        user=m["user"],
        time=datetime.fromtimestamp(epoch, offset),
        request=m["request"],
        status=None if m["status"] == "-" else int(m["status"]),
        bytes=None if m["bytes"] == "-" else int(m["bytes"]),
    )


def _scan(path: Path, on_error: OnError, tally: ScanTally) -> Iterator[tuple[int, float]]:
    clock = _Clock()
    match = _LINE.match
    for number, text in numbered_lines(path):
        m = match(text)
        if m is None:
            if on_error == "skip":
                tally.skipped += 1
                continue
            raise _diagnose(path, number, text)
        try:
            yield number, clock.epoch(m)
        except ValueError as exc:
            if on_error == "skip":
                tally.skipped += 1
                continue
            raise _stamp_error(path, number, m, exc) from None


def _first_record(path: Path, on_error: OnError) -> ClfRecord:
    skipped = 0
    for number, text in numbered_lines(path):
        try:
            return parse_clf_line(text, path=path, line=number)
        except TraceError:
            if on_error == "raise":
                raise
            skipped += 1
    if skipped:
        raise TraceError(path, f"has no valid log line ({skipped} malformed lines skipped)")
    raise TraceError(path, "is empty", allowed="a CLF log needs at least one line")


def read_clf(path: str | os.PathLike[str], *, on_error: OnError = "raise") -> RequestTrace:
    """Open a Common/Combined Log Format access log as a streamed request trace.

    The first valid line is parsed immediately (to fix ``start`` and to fail early on
    a file that is not CLF); the rest is read lazily on each iteration.

    Args:
        path: Log file, plain or gzip-compressed.
        on_error: ``'raise'`` on a malformed line, or ``'skip'`` it and count it in
            ``skipped``.

    Returns:
        A :class:`RequestTrace` whose ``start`` is the first line's timestamp in the
        log's own UTC offset.

    Raises:
        TraceError: If the file is empty, has no valid line, or (with ``'raise'``) its
            first line is malformed.
    """
    mode = check_on_error(on_error)
    source = Path(path)
    first = _first_record(source, mode)
    return RequestTrace(
        source=source,
        start=first.time,
        format="clf",
        time_field="timestamp",
        on_error=mode,
        scan=lambda tally: _scan(source, mode, tally),
    )
