"""Units accepted in scenario files.

Every time in fleetsim is a float number of seconds. Scenario authors may also write a duration as
a string with a unit suffix — ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"250ms"`` — which is
converted once, at validation time, so the simulator never sees a unit.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

MAX_DURATION_S = 400 * 86400.0
"""The longest duration accepted anywhere in a scenario: 400 days, in seconds."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ms|s|min|m|h|d)?\s*$")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _checked(seconds: float, value: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"{_shown(value)} is not a finite duration")
    if abs(seconds) > MAX_DURATION_S:
        raise ValueError(
            f"{_shown(value)} is longer than the longest duration fleetsim accepts, 400 days "
            f"({MAX_DURATION_S:.0f} s)"
        )
    return seconds


def parse_duration(value: object) -> float:
    """Convert a duration written as a number of seconds or a string like ``"15m"`` to seconds.

    Args:
        value: an int or float (seconds) or a string: a number followed by ``ms``, ``s``, ``m``,
            ``min``, ``h`` or ``d``.

    Returns:
        The duration in seconds: finite, at most :data:`MAX_DURATION_S` in magnitude.

    Raises:
        ValueError: if the value is not a number or a number with a known unit, is not finite
            or is longer than 400 days.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write seconds (90) or '90s', '15m', '2h'")
    if isinstance(value, int) and abs(value) > MAX_DURATION_S:
        return _checked(2 * MAX_DURATION_S, value)  # too long; float() could overflow
    if isinstance(value, int | float):
        return _checked(float(value), value)
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if match:
            return _checked(float(match.group(1)) * _UNITS[match.group(2) or "s"], value)
        if value.strip().startswith("-"):
            raise ValueError(f"{_shown(value)} is negative; durations must be >= 0")
    raise ValueError(
        f"{_shown(value)} is not a duration; write seconds (90) or a number with a unit: "
        "'250ms', '90s', '15m', '2h', '1d'"
    )


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A time in seconds; accepts ``90``, ``"90s"``, ``"15m"``, ``"2h"``."""
