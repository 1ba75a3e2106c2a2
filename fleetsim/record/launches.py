"""The launch ledger: one typed row per launch during the run, from request to departure.

The Auto Scaling group reports each step of a launch as it happens (never as event text read
back later): the request (``asg.Pending``), ``InService``, the target's first passing health
check (``healthy``) and the moment the instance leaves service (``Terminating``, or a launch
abandoned by its lifecycle hook). Since an instance goes ``InService`` when EC2 reports it
running, before its app answers (fact sheet §8), the two waits differ: ``time_to_in_service`` is
what the console shows, ``time_to_healthy`` when the instance starts taking traffic. A launch that
leaves service before ever being healthy (the replacement loop of a slow bootstrap under ELB
health checks, a boot that never brought the app up) is counted as never healthy. The warm
initial fleet is not a launch of the run and has no row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict


class LaunchFigures(TypedDict):
    """Launch figures of a run (part of ``Result.summary()``)."""

    launches_in_service: int
    time_to_in_service_mean_s: float
    time_to_in_service_max_s: float
    time_to_healthy_mean_s: float
    time_to_healthy_max_s: float
    launches_never_healthy: int
    boot_failures: int


@dataclass(slots=True)
class LaunchRow:
    """One launch during the run (a row of ``Result.launches``).

    Attributes:
        instance: the instance launched (or taken from the warm pool).
        started: when the group asked for it (``asg.Pending``).
        in_service: when it went ``InService`` (None: never).
        healthy: when its target first passed a health check (None: never).
        ended: when it left service (``Terminating``; None: still in the group at the end).
    """

    instance: str
    started: float
    in_service: float | None = None
    healthy: float | None = None
    ended: float | None = None

    @property
    def never_healthy(self) -> bool:
        """True if the instance left service before its target was ever healthy."""
        return self.ended is not None and self.healthy is None


class LaunchLedger:
    """Every launch of the run, in request order, and the ones still under way."""

    def __init__(self) -> None:
        self.rows: list[LaunchRow] = []
        self._open: dict[str, LaunchRow] = {}
        self.boot_failures = 0

    def started(self, instance: str, now: float) -> None:
        """A launch asked for ``instance``: a new row (an instance back from the pool gets one)."""
        row = LaunchRow(instance, now)
        self.rows.append(row)
        self._open[instance] = row

    def in_service(self, instance: str, now: float) -> None:
        """``instance`` went InService (first time for its launch counts)."""
        row = self._open.get(instance)
        if row is not None and row.in_service is None:
            row.in_service = now

    def healthy(self, instance: str, now: float) -> None:
        """The target of ``instance`` passed its first health check."""
        row = self._open.get(instance)
        if row is not None and row.healthy is None:
            row.healthy = now

    def ended(self, instance: str, now: float) -> None:
        """``instance`` left service: its launch's row is closed."""
        row = self._open.pop(instance, None)
        if row is not None:
            row.ended = now

    def figures(self) -> LaunchFigures:
        """The summary's launch figures (waits from the request; NaN when there is none)."""
        to_service = sorted(r.in_service - r.started for r in self.rows if r.in_service is not None)
        to_healthy = sorted(r.healthy - r.started for r in self.rows if r.healthy is not None)
        return {
            "launches_in_service": len(to_service),
            "time_to_in_service_mean_s": _mean(to_service),
            "time_to_in_service_max_s": to_service[-1] if to_service else math.nan,
            "time_to_healthy_mean_s": _mean(to_healthy),
            "time_to_healthy_max_s": to_healthy[-1] if to_healthy else math.nan,
            "launches_never_healthy": sum(r.never_healthy for r in self.rows),
            "boot_failures": self.boot_failures,
        }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan
