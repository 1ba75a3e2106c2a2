"""Timestamp parsing shared by the CSV readers.

Two spellings are accepted in a time column:

* ISO 8601, as understood by :meth:`datetime.datetime.fromisoformat` (Python 3.11):
  ``1995-07-13T09:41:55-04:00``, ``2018-07-02T22:22:48.364000Z``, ``2024-05-01 12:00:00``.
  A timestamp without an offset ("naive") is taken to be in the reader's ``tz``.
* A plain number: seconds since the Unix epoch (UTC), fractions allowed. Values whose
  magnitude is at least 1e11 (after the year 5000) are rejected: they are almost
  certainly milliseconds, and guessing the unit silently would be worse than asking.

Parsing problems are raised as :class:`ValueError` whose message is the *problem* part
of a :class:`~fleetsim.traces.errors.TraceError`; the readers add file, line and field.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALLOWED_TIME = (
    "timestamps must be ISO 8601 (e.g. 1995-07-13T09:41:55-04:00) or epoch seconds (e.g. 805642915)"
)
_EPOCH_LIMIT = 1e11


def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """Turn a ``tz`` reader option into a :class:`datetime.tzinfo`.

    Args:
        tz: ``None`` or ``"UTC"`` for UTC, an IANA zone name such as
            ``"America/New_York"``, or a ready ``tzinfo``.

    Returns:
        The time zone used for timestamps that carry no offset.

    Raises:
        ValueError: If the name is not a known zone.
    """
    if tz is None:
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    if tz.strip().upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {tz!r}; use an IANA name such as 'America/New_York' or 'UTC'"
        ) from exc


def _epoch_from_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    if abs(value) >= _EPOCH_LIMIT:
        raise ValueError(
            "is too large for epoch seconds (it looks like milliseconds; divide by 1000)"
        )
    return value


def _parse_iso(text: str, tz: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("is not a timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def parse_time(text: str, tz: tzinfo) -> datetime:
    """Parse one timestamp into a time-zone-aware datetime.

    Epoch seconds are expressed in ``tz``; ISO timestamps keep their own offset, and
    naive ISO timestamps are put in ``tz``.

    Args:
        text: The field's text.
        tz: Zone for naive timestamps and for displaying epoch seconds.

    Returns:
        An aware :class:`datetime.datetime`.

    Raises:
        ValueError: With the problem description if the text is not a timestamp.
    """
    epoch = _epoch_from_number(text)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz)
    return _parse_iso(text, tz)


def epoch_seconds(text: str, tz: tzinfo) -> float:
    """Parse one timestamp into seconds since the Unix epoch (the fast path).

    Args:
        text: The field's text.
        tz: Zone for naive ISO timestamps.

    Returns:
        Epoch seconds as a float.

    Raises:
        ValueError: With the problem description if the text is not a timestamp.
    """
    epoch = _epoch_from_number(text)
    if epoch is not None:
        return epoch
    return _parse_iso(text, tz).timestamp()
