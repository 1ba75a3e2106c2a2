"""What the group's helpers may ask of the group, and the timing assumptions they share.

The warm pool, the instance lifecycle, rebalancing, health replacement and instance refresh each
act on the group through :class:`Group`, a Protocol that :class:`~fleetsim.sim.asg.group.
AutoScalingGroup` satisfies: the helpers never import the group, so the package has no import
cycle, and each helper's reach into the group is written down here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fleetsim.config.models import AsgConfig
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.asg.membership import LifecycleState, Membership, Roster
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.target_group import TargetGroup
    from fleetsim.sim.zones import Zone

LAUNCH_RETRY_S = 30.0  # how soon a launch that found no usable AZ is tried again (assumption)
POLL_S = 1.0  # how often a waiting activity (batch, refresh, cooldown) looks again


class Group(Protocol):
    """The Auto Scaling group as its helpers see it."""

    env: Engine
    rec: Recorder
    cfg: AsgConfig
    zones: dict[str, Zone]
    alb: TargetGroup
    roster: Roster
    desired: int
    max_size: int
    template: int
    activity_listeners: list[Callable[[], None]]

    def log(
        self, kind: str, az: str | None = None, instance: str | None = None, detail: str = ""
    ) -> None:
        """Append an event row under the group's scope."""

    def set_state(
        self, inst: Instance, state: LifecycleState, reason: str = "", *, initial: bool = False
    ) -> None:
        """Move a member to ``state`` and log it."""

    def new_instance(
        self, az: str, reason: str, state: LifecycleState, *, initial: bool = False
    ) -> Instance:
        """Create an instance in ``az`` and make it a member in ``state``."""

    def launch(self, reason: str, az: str | None = None) -> Instance | None:
        """Launch one instance (from the warm pool if it can)."""

    def reconcile(self, reason: str) -> list[Instance]:
        """Launch until the active instances reach desired capacity."""

    def retire(self, inst: Instance, reason: str, to_pool: bool = False) -> None:
        """Take a member out of service: drain, terminate hooks, terminate (or back to pool)."""

    def replace(self, inst: Instance, reason: str) -> list[Instance]:
        """Retire a member and launch its replacement."""

    def terminate(self, inst: Instance) -> None:
        """Terminate a member now (no draining, no hooks)."""

    def az_counts(self) -> dict[str, int]:
        """Active instances per AZ."""

    def pick_victim(self, candidates: Sequence[Membership]) -> Instance | None:
        """The default termination policy's choice among ``candidates``."""


class GroupPart:
    """A part of the group's behaviour (warm pool, refresh…), acting on it through :class:`Group`.

    Args:
        group: the group.
    """

    def __init__(self, group: Group) -> None:
        self.group = group
        self.env = group.env


def boot_failed(group: Group, inst: Instance, failure: str) -> None:
    """Log a launch whose app never came up (an ``ec2`` event: EC2's view, not the group's)."""
    group.rec.event(group.env.now, "ec2.boot_failed", "ec2", inst.az, inst.name, failure)
    group.rec.boot_failed()
