"""Small scenarios for fault tests."""

from __future__ import annotations

from typing import Any

import fleetsim
from fleetsim.record.result import Result
from tests.conftest import BASE, merge


def run(extra: dict[str, Any], seed: int | None = None) -> Result:
    """Run BASE merged with ``extra``, keeping one row per request."""
    data = merge(merge(BASE, {"record": {"requests": True}}), extra)
    return fleetsim.simulate(fleetsim.load_scenario(data), seed=seed)


def events(result: Result, kind: str):  # type: ignore[no-untyped-def]
    """The event rows of one kind."""
    ev = result.events
    return ev[ev.kind == kind]


def instances_in(result: Result, az: str) -> set[str]:
    """Names of every instance that ever lived in ``az``."""
    ev = result.events
    return set(ev[(ev.az == az) & ev.instance.notna() & (ev.scope == "asg")].instance)
