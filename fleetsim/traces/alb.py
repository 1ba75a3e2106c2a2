r"""AWS Application Load Balancer access logs as request traces.

An ALB writes one space-separated entry per request (or per WebSocket connection) with
29 documented fields, some of them double-quoted because they may contain spaces::

    type time elb client:port target:port request_processing_time
    target_processing_time response_processing_time elb_status_code
    target_status_code received_bytes sent_bytes "request" "user_agent" ssl_cipher
    ssl_protocol target_group_arn "trace_id" "domain_name" "chosen_cert_arn"
    matched_rule_priority request_creation_time "actions_executed" "redirect_url"
    "error_reason" "target:port_list" "target_status_code_list" "classification"
    "classification_reason"

AWS adds new fields at the end over time (e.g. ``conn_trace_id``), so extra trailing
fields are ignored (kept in :attr:`AlbRecord.extra`). ``time`` is when the response was
sent; ``request_creation_time`` is when the request arrived, so it is the arrival time
used for replay. Entries are written in response order, so arrivals are not sorted:
see :meth:`~fleetsim.traces.model.RequestTrace.iter_sorted`.

Lines are split by a single compiled regular expression (a quoted field, or a run of
non-space characters) rather than :func:`shlex.split`, which is far too slow for
gigabyte logs; inside quotes ``\"`` and ``\\`` are unescaped exactly as ``shlex``
(POSIX mode) does. ALB delivers logs gzip-compressed; ``.gz`` files are read directly.

The arrival stream checks only what it needs (at least 29 fields and a valid
``request_creation_time``); :func:`iter_alb_records` validates and types every field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fleetsim.traces._io import numbered_lines
from fleetsim.traces.errors import OnError, TraceError, check_on_error
from fleetsim.traces.model import RequestTrace, ScanTally

FIELDS: tuple[str, ...] = (
    "type",
    "time",
    "elb",
    "client:port",
    "target:port",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target:port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
)
"""The 29 documented fields of an ALB access-log entry, in order."""

_N = len(FIELDS)
_CREATION = FIELDS.index("request_creation_time")
# A quoted field (unrolled-loop form: fast on long user agents), a bare field, or a
# stray quote that opens a field never closed.
_TOKEN = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s"]\S*)|(")')
_UNESCAPE = re.compile(r'\\(["\\])')
_ALLOWED_TIME = "ALB times are ISO 8601 UTC, e.g. 2018-07-02T22:22:48.364000Z"


def split_alb_line(text: str) -> list[str]:
    r"""Split an ALB log line into fields, honouring double quotes.

    Quotes are removed from quoted fields, and ``\"`` / ``\\`` inside them are
    unescaped, which matches :func:`shlex.split` on ALB log lines.

    Args:
        text: One log line.

    Returns:
        The fields, in order.

    Raises:
        ValueError: If a double quote is never closed (a truncated line).
    """
    fields: list[str] = []
    for quoted, bare, stray in _TOKEN.findall(text):
        if stray:
            raise ValueError("has an unclosed double quote")
        if bare:
            fields.append(bare)
        elif "\\" in quoted:
            fields.append(_UNESCAPE.sub(r"\1", quoted))
        else:
            fields.append(quoted)
    return fields


def _dash(value: str) -> str | None:
    return None if value == "-" else value


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True, slots=True)
class AlbRecord:
    """One parsed ALB access-log entry (all 29 documented fields, typed).

    ``-`` (not applicable) becomes ``None`` for optional fields. Field names follow the
    AWS documentation, with ``client:port``/``target:port`` shortened to ``client`` and
    ``target`` and ``target:port_list`` written ``target_port_list``.

    Attributes:
        type: ``http``, ``https``, ``h2``, ``grpcs``, ``ws`` or ``wss`` (others kept).
        time: When the response was sent (UTC).
        elb: Load balancer resource id.
        client: ``ip:port`` of the client.
        target: ``ip:port`` of the target, or None (Lambda target, no dispatch).
        request_processing_time: Seconds; -1 if not dispatched.
        target_processing_time: Seconds; -1 if not dispatched.
        response_processing_time: Seconds; -1 if not dispatched.
        elb_status_code: Status returned by the load balancer, or None.
        target_status_code: Status returned by the target, or None.
        received_bytes: Request size in bytes.
        sent_bytes: Response size in bytes.
        request: Request line ``METHOD protocol://host:port/uri VERSION``.
        user_agent: User-Agent header, or None.
        ssl_cipher: TLS cipher, or None.
        ssl_protocol: TLS protocol, or None.
        target_group_arn: Target group ARN, or None.
        trace_id: X-Amzn-Trace-Id header, or None.
        domain_name: SNI domain, or None.
        chosen_cert_arn: Certificate ARN, or None.
        matched_rule_priority: Listener rule priority (0 default), or None.
        request_creation_time: When the request arrived (UTC): the arrival time.
        actions_executed: Actions taken, e.g. ``("authenticate", "forward")``.
        redirect_url: Redirect location, or None.
        error_reason: Error reason code, or None.
        target_port_list: Targets that processed the request, or None.
        target_status_code_list: Their status codes, or None.
        classification: Desync classification, or None.
        classification_reason: Desync classification reason, or None.
        extra: Fields after the 29th (newer ALB versions), unparsed.
    """

    type: str
    time: datetime
    elb: str
    client: str
    target: str | None
    request_processing_time: float
    target_processing_time: float
    response_processing_time: float
    elb_status_code: int | None
    target_status_code: int | None
    received_bytes: int
    sent_bytes: int
    request: str
    user_agent: str | None
    ssl_cipher: str | None
    ssl_protocol: str | None
    target_group_arn: str | None
    trace_id: str | None
    domain_name: str | None
    chosen_cert_arn: str | None
    matched_rule_priority: int | None
    request_creation_time: datetime
    actions_executed: tuple[str, ...]
    redirect_url: str | None
    error_reason: str | None
    target_port_list: str | None
    target_status_code_list: str | None
    classification: str | None
    classification_reason: str | None
    extra: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        """HTTP method from the request line (``-`` if the request was malformed)."""
        return self.request.split(" ", 1)[0]

    @property
    def url(self) -> str:
        """URL from the request line (between the method and the HTTP version)."""
        parts = self.request.split(" ")
        return " ".join(parts[1:-1]) if len(parts) > 2 else (parts[1] if len(parts) > 1 else "")

    @property
    def http_version(self) -> str:
        """HTTP version from the request line, e.g. ``HTTP/1.1``."""
        parts = self.request.rsplit(" ", 1)
        return parts[1] if len(parts) > 1 else ""


def _fail(path: Path, line: int, name: str, value: str, problem: str, allowed: str) -> TraceError:
    return TraceError(path, problem, line=line, field=name, value=value, allowed=allowed)


def _tokens(path: Path, number: int, text: str) -> list[str]:
    try:
        fields = split_alb_line(text)
    except ValueError as exc:
        raise _fail(
            path, number, "line", text, f"{exc} (truncated line?)", "quoted fields must be closed"
        ) from None
    if len(fields) < _N:
        raise TraceError(
            path,
            f"is missing (the line has {len(fields)} of the {_N} documented fields)",
            line=number,
            field=FIELDS[len(fields)],
            allowed="an ALB access-log entry has at least 29 space-separated fields; "
            "the line looks truncated",
        )
    return fields


class _Converter:
    """Typed access to the fields of one split line, raising TraceError on bad values."""

    def __init__(self, path: Path, line: int, fields: list[str]) -> None:
        self.path = path
        self.line = line
        self.fields = fields

    def _bad(self, index: int, problem: str, allowed: str) -> TraceError:
        name = FIELDS[index]
        return _fail(self.path, self.line, name, self.fields[index], problem, allowed)

    def number(self, index: int) -> float:
        try:
            return float(self.fields[index])
        except ValueError:
            name = FIELDS[index]
            raise self._bad(index, "is not a number", f"{name} must be seconds") from None

    def integer(self, index: int) -> int:
        try:
            return int(self.fields[index])
        except ValueError:
            name = FIELDS[index]
            raise self._bad(index, "is not an integer", f"{name} must be an integer") from None

    def optional_integer(self, index: int) -> int | None:
        if self.fields[index] == "-":
            return None
        try:
            return int(self.fields[index])
        except ValueError:
            name = FIELDS[index]
            raise self._bad(index, "is not an integer", f"{name} must be an integer or -") from None

    def time(self, index: int) -> datetime:
        try:
            return _time(self.fields[index])
        except ValueError:
            raise self._bad(index, "is not a timestamp", _ALLOWED_TIME) from None


def parse_alb_line(
    text: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None
) -> AlbRecord:
    """Parse one ALB access-log line into an :class:`AlbRecord`.

    Args:
        text: The line, without its newline.
        path: File name used in error messages.
        line: Line number used in error messages.

    Returns:
        The parsed record.

    Raises:
        TraceError: If the line is truncated or a field has the wrong type.
    """
    where = Path(path) if path is not None else Path("<alb>")
    number = line if line is not None else 1
    f = _tokens(where, number, text)
    conv = _Converter(where, number, f)
    actions = _dash(f[22])
    return AlbRecord(
        type=f[0],
        time=conv.time(1),
        elb=f[2],
        client=f[3],
        target=_dash(f[4]),
        request_processing_time=conv.number(5),
        target_processing_time=conv.number(6),
        response_processing_time=conv.number(7),
        elb_status_code=conv.optional_integer(8),
        target_status_code=conv.optional_integer(9),
        received_bytes=conv.integer(10),
        sent_bytes=conv.integer(11),
        request=f[12],
        user_agent=_dash(f[13]),
        ssl_cipher=_dash(f[14]),
        ssl_protocol=_dash(f[15]),
        target_group_arn=_dash(f[16]),
        trace_id=_dash(f[17]),
        domain_name=_dash(f[18]),
        chosen_cert_arn=_dash(f[19]),
        matched_rule_priority=conv.optional_integer(20),
        request_creation_time=conv.time(_CREATION),
        actions_executed=tuple(actions.split(",")) if actions else (),
        redirect_url=_dash(f[23]),
        error_reason=_dash(f[24]),
        target_port_list=_dash(f[25]),
        target_status_code_list=_dash(f[26]),
        classification=_dash(f[27]),
        classification_reason=_dash(f[28]),
        extra=tuple(f[_N:]),
    )


def iter_alb_records(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    tally: ScanTally | None = None,
) -> Iterator[AlbRecord]:
    """Stream fully parsed records from an ALB access log.

    Args:
        path: Log file, plain or gzip-compressed.
        on_error: ``'raise'`` on a malformed line, or ``'skip'`` it.
        tally: If given, its ``skipped`` is incremented for every skipped line.

    Yields:
        One :class:`AlbRecord` per valid line, in file order.

    Raises:
        TraceError: On a malformed line when ``on_error='raise'``.
    """
    mode = check_on_error(on_error)
    source = Path(path)
    for number, text in numbered_lines(source):
        try:
            record = parse_alb_line(text, path=source, line=number)
        except TraceError:
            if mode == "raise":
                raise
            if tally is not None:
                tally.skipped += 1
            continue
        yield record


def _scan(path: Path, on_error: OnError, tally: ScanTally) -> Iterator[tuple[int, float]]:
    for number, text in numbered_lines(path):
        try:
            value = _tokens(path, number, text)[_CREATION]
        except TraceError:
            if on_error == "skip":
                tally.skipped += 1
                continue
            raise
        try:
            epoch = _time(value).timestamp()
        except ValueError:
            if on_error == "skip":
                tally.skipped += 1
                continue
            raise _fail(
                path, number, FIELDS[_CREATION], value, "is not a timestamp", _ALLOWED_TIME
            ) from None
        yield number, epoch


def _first_arrival(path: Path, on_error: OnError) -> datetime:
    """Return the first valid entry's request_creation_time, checked as the scan does."""
    tally = ScanTally()
    for _, epoch in _scan(path, on_error, tally):
        return datetime.fromtimestamp(epoch, UTC)
    if tally.skipped:
        raise TraceError(
            path, f"has no valid ALB log entry ({tally.skipped} malformed lines skipped)"
        )
    raise TraceError(path, "is empty", allowed="an ALB access log needs at least one entry")


def read_alb(path: str | os.PathLike[str], *, on_error: OnError = "raise") -> RequestTrace:
    """Open an ALB access log as a streamed request trace of request arrivals.

    Arrival times come from ``request_creation_time``. The first valid entry is read
    immediately (to fix ``start`` and fail early on a foreign file); like every later
    line, it is only checked for its field count and ``request_creation_time``.

    Args:
        path: Log file, plain or gzip-compressed (as delivered by ALB to S3).
        on_error: ``'raise'`` on a malformed line, or ``'skip'`` it and count it in
            ``skipped``.

    Returns:
        A :class:`RequestTrace`; ``start`` is the first entry's
        ``request_creation_time`` (UTC).

    Raises:
        TraceError: If the file is empty, has no valid entry, or (with ``'raise'``) its
            first entry is malformed.
    """
    mode = check_on_error(on_error)
    source = Path(path)
    return RequestTrace(
        source=source,
        start=_first_arrival(source, mode),
        format="alb",
        time_field="request_creation_time",
        on_error=mode,
        scan=lambda tally: _scan(source, mode, tally),
    )
