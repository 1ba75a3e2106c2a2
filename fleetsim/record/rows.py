"""The row types of the ledger: one named field per column of the frame a Result builds.

The model hands the recorder plain values (ids, times, strings, numbers); these types name them.
A row is a ``NamedTuple``: it is built as cheaply as a tuple, compares equal to one, and its
fields are the frame's columns in order (``Result.events`` has the columns of :class:`EventRow`).
The levels sampled once a second have columns that depend on the scenario (one per AZ, the
group's own), so :class:`LevelLayout` names them and builds each row from named values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple


class EventRow(NamedTuple):
    """One event: a fault, a launch, a state change or a scaling decision."""

    time: float
    kind: str  # e.g. ``asg.Pending``, ``ec2.running``, ``target.healthy``, ``fault.az_outage``
    scope: str  # the component that logged it (``asg``, ``alb.tg``, ``ec2``…)
    az: str | None
    instance: str | None
    detail: str


class SessionRow(NamedTuple):
    """One ended session (the ``sessions`` frame)."""

    session: int
    user: int
    start: float
    end: float
    outcome: str  # a SessionOutcome
    cause: str | None  # a LostCause for a lost session, else None
    requests: int
    home_az: str | None


class RequestRow(NamedTuple):
    """One request with its outcome (the ``requests`` frame; kept only with ``record.requests``)."""

    request: int
    user: int
    arrived: float
    ended: float
    outcome: str  # ``ok`` or the failure cause, ``"<status> <reason>"``
    instance: str | None
    kind: str


@dataclass(frozen=True)
class LevelLayout:
    """The per-second level columns of the timeline, and the rows that fill them.

    Attributes:
        azs: the run's AZs (one ``in_service_<az>`` column each).
        group: the scaling group's own level names, after the common ones (in its order).
    """

    azs: tuple[str, ...] = ()
    group: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """The column names, in the order of :meth:`row`'s tuple."""
        return [
            "time",
            "in_service",
            *[f"in_service_{az}" for az in self.azs],
            "pending",
            "healthy_targets",
            "busy_workers",
            "queued",
            "sessions_active",
            *self.group,
        ]

    def row(
        self,
        *,
        time: int,
        in_service: int,
        in_service_by_az: Mapping[str, int],
        pending: int,
        healthy_targets: int,
        busy_workers: int,
        queued: int,
        sessions_active: int,
        group: Sequence[int],
    ) -> tuple[int, ...]:
        """Return one sample as a row of :attr:`columns` (AZs missing from the map count 0)."""
        return (
            time,
            in_service,
            *[in_service_by_az.get(az, 0) for az in self.azs],
            pending,
            healthy_targets,
            busy_workers,
            queued,
            sessions_active,
            *group,
        )
