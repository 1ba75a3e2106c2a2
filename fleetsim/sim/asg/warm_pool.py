"""The warm pool: pre-initialised instances a launch takes instead of booting one (§2.8, §3).

Pool members are ``Stopped``, ``Running`` or ``Hibernated`` (``Warmed:<state>``), prepared with a
full launch and bootstrap (``Warmed:Pending``), then stopped. The pool is sized max − desired by
default (MaxGroupPreparedCapacity − desired if set), at least its min size, and refilled after
every change of desired; members above that size are terminated. A launch takes a prepared member
in the chosen AZ if there is one: it skips bootstrapping and is ready after the pool state's
resume time. With ``reuse_on_scale_in`` scaled-in instances go back to the pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetsim.sim.asg.membership import WARMED
from fleetsim.sim.asg.membership import LifecycleState as S
from fleetsim.sim.asg.ports import GroupPart, boot_failed
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.sim.asg.ports import Group
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.instance import Instance

STOP_S = 5.0  # stopping → stopped when an instance enters the warm pool (assumption)


class WarmPool(GroupPart):
    """The group's warm pool (nothing when the group has none configured).

    Args:
        group: the group.
        boot: draws the boot phases of the instances prepared for the pool.
    """

    def __init__(self, group: Group, boot: BootModel) -> None:
        super().__init__(group)
        self.cfg = group.cfg.warm_pool
        self._boot_model = boot

    def members(self, prepared_only: bool = False) -> list[Instance]:
        """Instances in the pool (``prepared_only``: those ready to be taken)."""
        return [
            i
            for i, r in self.group.roster.records.items()
            if r.state.phase == WARMED
            and r.state is not S.WARMED_TERMINATING
            and not (prepared_only and r.state is S.WARMED_PENDING)
        ]

    def target(self) -> int:
        """How many instances the pool should hold now."""
        if self.cfg is None:
            return 0
        prepared = self.cfg.max_group_prepared_capacity
        # Size max − desired by default, MaxGroupPreparedCapacity − desired if set (§2.8).
        cap = self.group.max_size if prepared is None else prepared
        return max(self.cfg.min_size, cap - self.group.desired)

    def fill(self, initial: bool = False) -> None:
        """Launch into the pool up to its size, or terminate members above it.

        Args:
            initial: the run starts warm: the pool was prepared before t = 0.
        """
        if self.cfg is None:
            return
        group = self.group
        members = self.members()
        # Instances on their way back to the pool (reuse on scale-in) already count.
        returning = sum(r.to_pool for r in group.roster.records.values())
        missing = self.target() - len(members) - returning
        for _ in range(missing):
            counts = dict.fromkeys((az for az, z in group.zones.items() if z.up), 0)
            if not counts:
                return
            for inst in self.members():
                if inst.az in counts:
                    counts[inst.az] += 1
            az = min(counts, key=lambda a: counts[a])
            inst = group.new_instance(az, "warm pool", S.WARMED_PENDING)
            if initial:
                inst.transition("running")
                self._warmed(inst)
            else:
                self.env.process(self._prepare(inst))
        if missing < 0:
            extra = sorted(members, key=lambda i: group.roster[i].state is not S.WARMED_PENDING)
            for inst in extra[:-missing]:
                group.set_state(inst, S.WARMED_TERMINATING, "warm pool above its size")
                group.terminate(inst)

    def take(self, az: str) -> Instance | None:
        """A prepared pool member in ``az`` for a launch, if there is one."""
        for inst in self.members(prepared_only=True):
            if inst.az == az:
                return inst
        return None

    def _prepare(self, inst: Instance) -> Process:
        """Launch into the pool: full launch and bootstrap, then stop (or keep running)."""
        roster = self.group.roster
        plan = self._boot_model.plan(self.env.now)
        yield self.env.timeout(plan.launch)
        if roster.state(inst) is not S.WARMED_PENDING:
            return
        inst.transition("running")
        yield self.env.timeout(plan.ready_after)
        if roster.state(inst) is not S.WARMED_PENDING:
            return
        if plan.failure is not None:
            boot_failed(self.group, inst, plan.failure)
            self.group.set_state(inst, S.WARMED_TERMINATING, f"boot failed: {plan.failure}")
            self.group.terminate(inst)
            self.fill()
            return
        yield from self.into_pool(inst)

    def into_pool(self, inst: Instance) -> Process:
        """Put a prepared or scaled-in instance in the pool: out of service, then stopped."""
        assert self.cfg is not None
        inst.app_up = False
        record = self.group.roster[inst]
        record.in_service_since = None
        record.warm_at = 0.0
        if self.cfg.pool_state != "Running" and inst.state == "running":
            inst.transition("stopping")
            yield self.env.timeout(STOP_S)
            inst.transition("stopped")
        self._warmed(inst)

    def _warmed(self, inst: Instance) -> None:
        assert self.cfg is not None
        if self.cfg.pool_state != "Running" and inst.state == "running":
            inst.transition("stopping")
            inst.transition("stopped")
        self.group.set_state(inst, S(f"{WARMED}:{self.cfg.pool_state}"))
