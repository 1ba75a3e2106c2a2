"""Membership of an Auto Scaling group: one record per instance, and the roster holding them.

An instance belongs to the group from its launch (or its entry into the warm pool) until it is
``Terminated``. Everything the group knows about it lives in one :class:`Membership` record: its
lifecycle state (§2.5, §2.8), when it went InService and when its warmup ends (§2.1), its launch
template version (§2.9), its scale-in protection (§2.4) and the roles it plays in an activity in
progress (launched for AZ rebalancing, launched above desired, going back to the warm pool,
replacing a Spot instance). The :class:`Roster` keeps the records in launch order and answers the
group's questions about them (who is InService, how many per AZ, who is warming up).

Lifecycle states are a :class:`LifecycleState` ``StrEnum`` whose values are the AWS names, so an
event kind ``asg.InService`` and a comparison with the string ``"InService"`` still hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fleetsim.sim.instance import Instance


class LifecycleState(StrEnum):
    """An instance's lifecycle state in the group, valued by its AWS name (§2.5, §2.8).

    ``phase`` is the part before the colon (``Pending`` for ``Pending:Wait``, ``Warmed`` for
    ``Warmed:Stopped``): a query for a phase matches its sub-states.
    """

    phase: str

    PENDING = "Pending"
    PENDING_WAIT = "Pending:Wait"
    PENDING_PROCEED = "Pending:Proceed"
    IN_SERVICE = "InService"
    TERMINATING = "Terminating"
    TERMINATING_WAIT = "Terminating:Wait"
    TERMINATING_PROCEED = "Terminating:Proceed"
    TERMINATED = "Terminated"
    WARMED_PENDING = "Warmed:Pending"
    WARMED_STOPPED = "Warmed:Stopped"
    WARMED_RUNNING = "Warmed:Running"
    WARMED_HIBERNATED = "Warmed:Hibernated"
    WARMED_TERMINATING = "Warmed:Terminating"

    def __init__(self, value: str) -> None:
        # A plain attribute, not a property: members() reads it for every record every second.
        self.phase = value.split(":", 1)[0]


S = LifecycleState
PENDING, IN_SERVICE, TERMINATING, WARMED = "Pending", "InService", "Terminating", "Warmed"
ACTIVE = (PENDING, IN_SERVICE)  # the phases counted in the group's capacity
LIVE = (PENDING, IN_SERVICE, TERMINATING)  # members() without a state


@dataclass(slots=True, eq=False)
class Membership:
    """What the group knows about one of its instances.

    Attributes:
        instance: the instance.
        state: its lifecycle state.
        template: the launch template version it runs (§2.9).
        protected: protected from scale-in (§2.4).
        in_service_since: when it last went InService (None while not InService).
        warm_at: when its warmup ends; left out of the metrics until then (§2.1).
        rebalancing: launched by AZ rebalancing; one in the largest AZ goes once it is InService.
        surge: launched above desired (instance refresh, Spot capacity rebalancing).
        to_pool: scaled in with reuse: goes back to the warm pool after draining (§2.8).
        replaces: the Spot instance it replaces (capacity rebalancing, §2.10).
        replaced_by: the instance launched to replace it (a Spot instance being rebalanced).
    """

    instance: Instance
    state: LifecycleState
    template: int
    protected: bool = False
    in_service_since: float | None = None
    warm_at: float = 0.0
    rebalancing: bool = False
    surge: bool = False
    to_pool: bool = False
    replaces: Instance | None = None
    replaced_by: Instance | None = None


class Roster:
    """The group's membership records, in launch order, and the views the group needs."""

    def __init__(self) -> None:
        self.records: dict[Instance, Membership] = {}

    def __contains__(self, inst: Instance) -> bool:
        return inst in self.records

    def __getitem__(self, inst: Instance) -> Membership:
        return self.records[inst]

    def get(self, inst: Instance) -> Membership | None:
        """The record of ``inst``, None if it is not (or no longer) a member."""
        return self.records.get(inst)

    def state(self, inst: Instance) -> LifecycleState | None:
        """The lifecycle state of ``inst``, None if it is not a member."""
        record = self.records.get(inst)
        return None if record is None else record.state

    def add(self, record: Membership) -> None:
        """Add a new member."""
        self.records[record.instance] = record

    def remove(self, inst: Instance) -> None:
        """Forget a terminated member."""
        del self.records[inst]

    def members(self, phases: tuple[str, ...] = LIVE) -> list[Instance]:
        """Instances whose state is in one of ``phases`` (sub-states included), in launch order."""
        return [i for i, r in self.records.items() if r.state.phase in phases]

    def active(self) -> list[Membership]:
        """Records of the instances counted in capacity: Pending or InService."""
        return [r for r in self.records.values() if r.state.phase in ACTIVE]

    def above_desired(self) -> int:
        """Instances launched on top of desired: for AZ rebalancing, plus those surging."""
        return sum(r.rebalancing + r.surge for r in self.records.values())

    def az_counts(self, azs: list[str]) -> dict[str, int]:
        """Active instances per AZ, for every AZ in ``azs``."""
        counts = dict.fromkeys(azs, 0)
        for record in self.active():
            counts[record.instance.az] += 1
        return counts

    def not_yet_warm(self, now: float) -> int:
        """Members counted in desired that do not feed the metrics yet: pending or warming."""
        return sum(
            1
            for r in self.records.values()
            if r.state.phase == PENDING or (r.state is S.IN_SERVICE and now < r.warm_at)
        )

    def busy(self) -> bool:
        """True while a member is launching or terminating (a scaling activity runs)."""
        return any(r.state.phase in (PENDING, TERMINATING) for r in self.records.values())

    def levels(self, azs: list[str], now: float) -> tuple[int, ...]:
        """Pending per AZ, warming up (total, per AZ), terminating and warm pool, now."""
        pending = dict.fromkeys(azs, 0)
        warming = dict.fromkeys(azs, 0)
        terminating = pool = 0
        for inst, record in self.records.items():
            phase = record.state.phase
            if phase == PENDING:
                pending[inst.az] += 1
            elif phase == IN_SERVICE:
                if now < record.warm_at:
                    warming[inst.az] += 1
            elif phase == TERMINATING:
                terminating += 1
            elif phase == WARMED:
                pool += 1
        return (*pending.values(), sum(warming.values()), *warming.values(), terminating, pool)


class StateView(Mapping["Instance", LifecycleState]):
    """A read-only mapping of each member to its lifecycle state.

    Args:
        roster: the records it reads.
    """

    def __init__(self, roster: Roster) -> None:
        self._records = roster.records

    def __getitem__(self, inst: Instance) -> LifecycleState:
        return self._records[inst].state

    def __iter__(self) -> Iterator[Instance]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, inst: object) -> bool:
        return inst in self._records
