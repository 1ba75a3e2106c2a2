"""Health replacement: the group replaces what EC2 or the load balancer reports unhealthy (§8).

* EC2 state not ``running`` (a crash): replaced at once.
* Impaired (unreachable, e.g. its AZ failed): replaced after ``impaired_replacement_delay`` ("a
  few minutes") if still impaired.
* ``health_check_type: ELB``: an InService instance whose target the load balancer reports
  unhealthy, at the group's **periodic** health evaluation once the grace period (from InService)
  has passed; one that went unhealthy during the grace period is replaced at the first evaluation
  after it (§8). AWS publishes no interval; ``health_evaluation_interval`` (10 s, an assumption)
  is a third of the ALB's default check interval, so the ALB's thresholds, which AWS documents,
  set the detection time and the evaluation adds at most 10 s to it. An EC2-type group never
  looks at the app: a target the ALB keeps unhealthy stays in the group.

The last two are replaced in batches of at most 10 % of desired (one at a time below ten
instances), each batch waiting for its replacements to be ready (InService and warm; for ELB
health checks also a healthy target) or judged unhealthy themselves. A replacement launches at
once, never delayed by a cooldown; the old instance drains, then terminates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetsim.sim.asg.membership import ACTIVE, IN_SERVICE, PENDING
from fleetsim.sim.asg.membership import LifecycleState as S
from fleetsim.sim.asg.ports import POLL_S, GroupPart
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.config.models import AsgConfig
    from fleetsim.sim.asg.ports import Group
    from fleetsim.sim.instance import Instance


def replacement_warmup(cfg: AsgConfig) -> float:
    """Warmup a replacement batch or refresh waits for (§2.9: instance warmup default)."""
    if cfg.default_instance_warmup is not None:
        return cfg.default_instance_warmup
    return cfg.health_check_grace_period


def _unready(group: Group, inst: Instance, warmup: float, now: float) -> bool:
    # Pending, warming up, or (ELB health checks) a target not yet healthy and not yet judged
    # unhealthy: the activity waits for it (§2.2, §8).
    record = group.roster.get(inst)
    if record is None:
        return False  # gone: nothing to wait for
    if record.state.phase == PENDING:
        return True
    if record.state is not S.IN_SERVICE:
        return False
    since = record.in_service_since
    if since is not None and now < since + warmup:
        return True
    if group.cfg.health_check_type != "ELB":
        return False
    target = group.alb.targets.get(inst)
    return target is not None and target.state != "healthy" and not _elb_unhealthy(group, inst)


def _elb_unhealthy(group: Group, inst: Instance) -> bool:
    """True if the group acts on ``inst``'s ELB health: target unhealthy, grace over (§8)."""
    record = group.roster.get(inst)
    target = group.alb.targets.get(inst)
    if record is None or target is None or target.state != "unhealthy":
        return False
    since = record.in_service_since
    grace = group.cfg.health_check_grace_period
    return since is not None and group.env.now >= since + grace


def wait_ready(group: Group, insts: list[Instance], warmup: float) -> Process:
    """Wait until each of ``insts`` is gone, ready (see the module docstring) or unhealthy."""
    env = group.env
    while any(_unready(group, inst, warmup, env.now) for inst in insts):
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

    def start(self) -> None:
        """Start the periodic health evaluation (ELB-type groups; EC2 states act at once)."""
        if self.group.cfg.health_check_type == "ELB":
            self.env.process(self._evaluate())

    def _evaluate(self) -> Process:
        # ELB health is acted on at the group's periodic evaluation, after the grace period (§8).
        group = self.group
        interval = group.cfg.health_evaluation_interval
        while True:
            yield self.env.timeout(interval)
            for inst in group.roster.members((IN_SERVICE,)):
                if group.roster.state(inst) is S.IN_SERVICE and _elb_unhealthy(group, inst):
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
            yield from wait_ready(group, launched, replacement_warmup(group.cfg))
        self._running = False
