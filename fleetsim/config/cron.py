"""Cron-like recurrences for scheduled scaling actions (fact sheet §2.7).

A recurrence is the five Unix cron fields ``minute hour day-of-month month day-of-week``, read in
UTC (AWS's default time zone for scheduled actions). Each field takes ``*``, a number, a range
``a-b``, a step ``*/n`` or ``a-b/n``, or a comma list of those; day-of-week runs 0–6 from Sunday
(7 is Sunday too). As in Vixie cron, when both day fields are restricted a day matches if
either does. Simulated time 0 is mapped to a calendar instant (the scenario's
``asg.schedule_start``) so recurrences can be evaluated; this module is pure and imports no
simulator code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12))
_DOW = ("day of week", 0, 7)
#: A recurrence that matches no minute in four years (one leap cycle) never matches at all.
HORIZON_DAYS = 4 * 366


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{name} step {step_text!r} must be a positive integer")
            step = int(step_text)
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            if not (a.isdigit() and b.isdigit()):
                raise ValueError(f"{name} range {base!r} is not 'a-b' with integers")
            start, stop = int(a), int(b)
        elif base.isdigit():
            start = stop = int(base)
            if step_text:
                stop = high
        else:
            raise ValueError(f"{name} {base!r} is not '*', a number or a range")
        if not (low <= start <= high and low <= stop <= high) or start > stop:
            raise ValueError(f"{name} {part!r} is outside {low}-{high}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed five-field cron recurrence.

    Attributes:
        minutes: matching minutes.
        hours: matching hours.
        days: matching days of the month.
        months: matching months.
        weekdays: matching days of the week (0 = Sunday).
        dom_any: True if the day-of-month field was ``*``.
        dow_any: True if the day-of-week field was ``*``.
    """

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    dom_any: bool
    dow_any: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        """Parse ``"minute hour day month weekday"``.

        Raises:
            ValueError: if the text is not five valid fields.
        """
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(
                f"a recurrence has 5 fields 'minute hour day-of-month month day-of-week', "
                f"got {len(parts)} in {text!r}"
            )
        minutes, hours, days, months = (
            _parse_field(p, *spec) for p, spec in zip(parts[:4], _FIELDS, strict=True)
        )
        dow = frozenset(d % 7 for d in _parse_field(parts[4], *_DOW))
        return cls(minutes, hours, days, months, dow, parts[2] == "*", parts[4] == "*")

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.dom_any or self.dow_any:
            return dom and dow
        return dom or dow  # both restricted: either matches (Vixie cron)

    def next_after(self, when: dt.datetime) -> dt.datetime | None:
        """Return the first matching minute strictly after ``when``, or None within 4 years."""
        start = (when + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        for _ in range(HORIZON_DAYS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=when.tzinfo)
                        if at >= start:
                            return at
            day += dt.timedelta(days=1)
        return None
