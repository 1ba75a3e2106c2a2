"""Health replacement: the group replaces what EC2 or the load balancer reports unhealthy (§2.2).

* EC2 state not ``running`` (a crash): replaced at once.
* Impaired (unreachable, e.g. its AZ failed): replaced after ``impaired_replacement_delay`` ("a
  few minutes") if still impaired.
* ``health_check_type: ELB``: a target the load balancer marks unhealthy once the grace period
  has passed.

The last two are replaced in batches of at most 10 % of desired (one at a time below ten
instances), each batch waiting for its replacements to be InService and warm. A replacement
launches at once, never delayed by a cooldown; the old instance drains, then terminates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetsim.sim.asg.membership import ACTIVE, PENDING
from fleetsim.sim.asg.membership import LifecycleState as S
from fleetsim.sim.asg.ports import POLL_S, GroupPart
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.config.models import AsgConfig
    from fleetsim.sim.asg.membership import Roster
    from fleetsim.sim.asg.ports import Group
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.instance import Instance


def replacement_warmup(cfg: AsgConfig) -> float:
    """Warmup a replacement batch or refresh waits for (§2.9: instance warmup default)."""
    if cfg.default_instance_warmup is not None:
        return cfg.default_instance_warmup
    return cfg.health_check_grace_period


def wait_ready(env: Engine, roster: Roster, insts: list[Instance], warmup: float) -> Process:
    """Wait until none of ``insts`` is pending or InService for less than ``warmup``."""
    while True:
        now = env.now
        waiting = False
        for inst in insts:
            record = roster.get(inst)
            if record is None:
                continue  # gone: nothing to wait for
            since = record.in_service_since
            if record.state.phase == PENDING or (
                record.state is S.IN_SERVICE and since is not None and now < since + warmup
            ):
                waiting = True
                break
        if not waiting:
            return
        yield env.timeout(POLL_S)


class HealthReplacement(GroupPart):
    """The group's health checks and replacement batches.

    Args:
        group: the group.
    """

    def __init__(self, group: Group) -> None:
        super().__init__(group)
        self._queue: dict[Instance, str] = {}  # instance → reason, in order of the verdicts
        self._running = False

    def _active(self, inst: Instance) -> bool:
        record = self.group.roster.get(inst)
        return record is not None and record.state.phase in ACTIVE

    def instance_impaired(self, inst: Instance) -> None:
        """An instance stopped answering (its AZ failed); schedule the EC2 health replacement."""
        if self._active(inst):
            self.env.process(self._replace_if_still_impaired(inst))

    def _replace_if_still_impaired(self, inst: Instance) -> Process:
        yield self.env.timeout(self.group.cfg.impaired_replacement_delay)
        if not inst.reachable and self._active(inst):
            self._enqueue(inst, "EC2 status check: impaired")

    def instance_stopped_running(self, inst: Instance) -> None:
        """EC2 state left ``running`` (crash): unhealthy at once, replaced at once (§2.2)."""
        if self._active(inst):
            self.group.replace(inst, "EC2 state not running")

    def target_changed(self, inst: Instance, state: str) -> None:
        """The load balancer's verdict on a target: with ELB health checks, unhealthy replaces."""
        cfg = self.group.cfg
        if cfg.health_check_type != "ELB" or state != "unhealthy":
            return
        record = self.group.roster.get(inst)
        since = None if record is None else record.in_service_since
        if since is None or self.env.now - since < cfg.health_check_grace_period:
            return
        if self.group.roster.state(inst) is S.IN_SERVICE:
            self._enqueue(inst, "ELB health check failed")

    def _enqueue(self, inst: Instance, reason: str) -> None:
        if inst in self._queue:
            return
        self._queue[inst] = reason
        if not self._running:
            self._running = True
            self.env.process(self._replacer())

    def _replacer(self) -> Process:
        # Let the other health verdicts of this instant join the first batch.
        yield self.env.timeout(0)
        group = self.group
        while self._queue:
            # At most 10 % of desired per batch, one at a time if that is below 1 (§2.2).
            size = max(1, int(0.1 * group.desired))
            batch = list(self._queue.items())[:size]
            launched: list[Instance] = []
            for inst, reason in batch:
                del self._queue[inst]
                if self._active(inst):
                    launched += group.replace(inst, reason)
            # Each batch waits for its replacements' health checks and warmup (§2.2).
            yield from wait_ready(self.env, group.roster, launched, replacement_warmup(group.cfg))
        self._running = False
