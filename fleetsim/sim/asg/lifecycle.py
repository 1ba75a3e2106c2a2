"""One instance's way into and out of service: boot or resume, lifecycle hooks, ELB, termination.

In (§2.5, §2.6, §2.8): a launched instance boots (or a warm-pool instance resumes), runs the
launch hooks (``Pending:Wait`` → ``Pending:Proceed``), registers with the load balancer, then goes
``InService``. A hook waits for its action or times out after ``heartbeat_timeout`` and applies
``default_result``: ABANDON on launch terminates the instance and launches another.

Out: a retired instance drains (deregistration) before its terminate hooks run
(``Terminating:Wait`` → ``Terminating:Proceed``); then it terminates, or goes back to the warm
pool when scaled in with reuse.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from fleetsim.sim.asg.membership import LifecycleState as S
from fleetsim.sim.asg.ports import GroupPart, boot_failed
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.config.asg import LifecycleHook
    from fleetsim.sim.asg.ports import Group
    from fleetsim.sim.asg.rebalancing import Rebalancing
    from fleetsim.sim.asg.warm_pool import WarmPool
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.instance import Instance

SHUTDOWN_S = 5.0  # shutting-down → terminated (assumption; AWS gives no figure)


class Transitions(GroupPart):
    """Moves the group's instances through their lifecycle.

    Args:
        group: the group.
        boot: draws each launch's boot phases.
        rebalancing: told when a launch it asked for fails or goes InService.
        warm_pool: where instances scaled in with reuse go back to.
    """

    def __init__(
        self, group: Group, boot: BootModel, rebalancing: Rebalancing, warm_pool: WarmPool
    ) -> None:
        super().__init__(group)
        self._boot_model = boot
        self._rebalancing = rebalancing
        self._warm_pool = warm_pool
        hooks = group.cfg.lifecycle_hooks
        self._launch_hooks = [h for h in hooks if h.transition == "launching"]
        self._terminate_hooks = [h for h in hooks if h.transition == "terminating"]

    # --- into service --------------------------------------------------------------------

    def boot(self, inst: Instance) -> Process:
        """Launch ``inst`` from its AMI: pending, running, then the app answers (or not)."""
        plan = self._boot_model.plan(self.env.now)
        yield self.env.timeout(plan.launch)
        if inst.state != "pending":
            return
        inst.transition("running")
        yield self.env.timeout(plan.ready_after)
        if inst.state != "running" or self.group.roster.state(inst) is not S.PENDING:
            return
        if plan.failure is not None:
            # The app never came up: the launch hook times out and the group abandons it (§2.6).
            boot_failed(self.group, inst, plan.failure)
            self._rebalancing.launch_failed(inst)
            self.group.replace(inst, f"boot failed: {plan.failure}")
            return
        yield from self._ready(inst, plan.warmup, plan.warm_speed)

    def resume(self, inst: Instance) -> Process:
        """Bring a warm-pool instance into service: no bootstrapping, only the resume (§2.8)."""
        pool = self.group.cfg.warm_pool
        assert pool is not None
        roster = self.group.roster
        if inst.state == "stopped":
            inst.transition("pending")
            hibernated = pool.pool_state == "Hibernated"
            yield self.env.timeout(
                pool.resume_time_hibernated if hibernated else pool.resume_time_stopped
            )
            if inst.state != "pending" or roster.state(inst) is not S.PENDING:
                return
            inst.transition("running")
        else:
            yield self.env.timeout(pool.resume_time_running)
            if inst.state != "running" or roster.state(inst) is not S.PENDING:
                return
        yield from self._ready(inst)

    def _ready(self, inst: Instance, warmup: float = 0.0, warm_speed: float = 1.0) -> Process:
        """The instance answers: run launch hooks, register with the ALB, go InService."""
        group = self.group
        for hook in self._launch_hooks:
            group.set_state(inst, S.PENDING_WAIT, f"lifecycle hook {hook.name or 'launching'}")
            result = yield from self._hook_wait(hook)
            record = group.roster.get(inst)
            if record is None or record.state is not S.PENDING_WAIT:
                return
            if result == "ABANDON":
                record.rebalancing = record.surge = False
                group.set_state(inst, S.TERMINATING, "launch lifecycle hook abandoned")
                self.terminate(inst)
                group.reconcile("replacing abandoned launch")
                return
            group.set_state(inst, S.PENDING_PROCEED)
        inst.start_app(warmup, warm_speed)
        # ELB registration happens before InService (§2.5).
        group.alb.register(inst)
        group.set_state(inst, S.IN_SERVICE)
        self._rebalancing.in_service(inst)

    def _hook_wait(self, hook: LifecycleHook) -> Generator[simpy.Event, Any, str]:
        # The action completes with CONTINUE unless it outlasts the heartbeat timeout, when the
        # hook's default result applies (§2.6).
        if hook.action_time is not None and hook.action_time <= hook.heartbeat_timeout:
            yield self.env.timeout(hook.action_time)
            return "CONTINUE"
        yield self.env.timeout(hook.heartbeat_timeout)
        return hook.default_result

    # --- out of service ------------------------------------------------------------------

    def drain(self, inst: Instance) -> None:
        """Deregister a retired instance; its terminate hooks run once it has drained (§2.5)."""
        self.group.alb.deregister(inst, self._after_drain)

    def _after_drain(self, inst: Instance) -> None:
        self.env.process(self._terminating(inst))

    def _terminating(self, inst: Instance) -> Process:
        group = self.group
        for hook in self._terminate_hooks:
            group.set_state(
                inst, S.TERMINATING_WAIT, f"lifecycle hook {hook.name or 'terminating'}"
            )
            yield from self._hook_wait(hook)  # either result lets termination proceed
            group.set_state(inst, S.TERMINATING_PROCEED)
        record = group.roster[inst]
        if record.to_pool:
            yield from self._warm_pool.into_pool(inst)
            record.to_pool = False
            self._warm_pool.fill()
            return
        self.terminate(inst)

    def terminate(self, inst: Instance) -> None:
        """Terminate ``inst`` now: its requests fail, EC2 shuts it down, it leaves the group."""
        inst.fail_in_flight("502 target_reset")
        if inst.state in ("pending", "running", "stopped"):
            inst.transition("shutting-down")
        self.env.process(self._finish_termination(inst))

    def _finish_termination(self, inst: Instance) -> Process:
        yield self.env.timeout(SHUTDOWN_S)
        if inst.state == "shutting-down":
            inst.transition("terminated")
        self.group.set_state(inst, S.TERMINATED)
        self.group.roster.remove(inst)
