"""One instance's way into and out of service: boot or resume, lifecycle hooks, ELB, termination.

In (§2.5, §2.6, §2.8, §8): a launched instance goes ``running`` (or a warm-pool instance
resumes), runs the launch hooks (``Pending:Wait`` → ``Pending:Proceed``), registers with the
load balancer (target ``initial``), then goes ``InService``. Without a hook that is the moment EC2
reports it running: the bootstrap (user data, app start) runs in parallel with the ALB's health
checks, which fail until the app answers. A hook completes after its action, when the app first
answers (``complete_when_app_ready``), or times out after ``heartbeat_timeout`` and applies
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
    from fleetsim.sim.boot import BootModel, BootPlan
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
        """Launch ``inst`` from its AMI: pending, then running, while the bootstrap runs (§8)."""
        plan = self._boot_model.plan(self.env.now)
        yield self.env.timeout(plan.launch)
        if inst.state != "pending":
            return
        inst.transition("running")
        # User data and the app start run in parallel with hooks, registration and checks (§8).
        app_ready = self.env.event()
        self.env.process(self._bootstrap(inst, plan, app_ready))
        yield from self._ready(inst, app_ready)

    def _bootstrap(self, inst: Instance, plan: BootPlan, app_ready: simpy.Event) -> Process:
        """The user data and app start: the app answers after ``ready_after``, or never."""
        yield self.env.timeout(plan.ready_after)
        if inst.state != "running" or self.group.roster.get(inst) is None:
            return  # terminated meanwhile (replaced, abandoned)
        if plan.failure is not None:
            # The app never comes up; nothing in EC2 notices (§8).
            boot_failed(self.group, inst, plan.failure)
            return
        self._app_up(inst, plan.warmup, plan.warm_speed)
        app_ready.succeed()

    def _app_up(self, inst: Instance, warmup: float = 0.0, warm_speed: float = 1.0) -> None:
        # Not an ``ec2.<state>`` event (EC2's state does not change): the app's own view, which
        # nothing in AWS reports; the ALB's next health check is the first to notice.
        self.group.rec.event(self.env.now, "app.ready", "ec2", inst.az, inst.name)
        inst.start_app(warmup, warm_speed)

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
        # The app is installed already: it answers within the resume time (assumption, §3).
        self._app_up(inst)
        yield from self._ready(inst, None)

    def _ready(self, inst: Instance, app_ready: simpy.Event | None) -> Process:
        """EC2 reports ``inst`` running: launch hooks, then registration and InService (§8).

        ``app_ready`` fires when the app first answers (None: it answers already).
        """
        group = self.group
        for hook in self._launch_hooks:
            group.set_state(inst, S.PENDING_WAIT, f"lifecycle hook {hook.name or 'launching'}")
            result = yield from self._hook_wait(hook, app_ready)
            record = group.roster.get(inst)
            if record is None or record.state is not S.PENDING_WAIT:
                return
            if result == "ABANDON":
                self._rebalancing.launch_failed(inst)
                record.rebalancing = record.surge = False
                group.set_state(inst, S.TERMINATING, "launch lifecycle hook abandoned")
                self.terminate(inst)
                group.reconcile("replacing abandoned launch")
                return
            group.set_state(inst, S.PENDING_PROCEED)
        # Registered with the target groups on the way to InService (§2.5, §8); the target
        # starts `initial` and is health-checked from now on, whether or not the app is up.
        group.alb.register(inst)
        group.set_state(inst, S.IN_SERVICE)
        target = group.alb.targets.get(inst)
        if target is not None and target.state == "healthy":
            self.target_changed(inst, "healthy")  # nothing checks it (no load balancer)
        elif group.cfg.health_check_type != "ELB":
            self._rebalancing.ready(inst)

    def target_changed(self, inst: Instance, state: str) -> None:
        """The load balancer's verdict on a target: a launch's first ``healthy`` is recorded."""
        if state != "healthy" or inst not in self.group.roster:
            return
        self.group.rec.launch_healthy(inst.name, self.env.now)
        if self.group.cfg.health_check_type == "ELB":
            # ELB-type groups let the old instance go once the new target is healthy (§8).
            self._rebalancing.ready(inst)

    def _hook_wait(
        self, hook: LifecycleHook, app_ready: simpy.Event | None = None
    ) -> Generator[simpy.Event, Any, str]:
        # The action completes with CONTINUE unless it outlasts the heartbeat timeout, when the
        # hook's default result applies (§2.6). A hook completed by the app waits for it (§8).
        if hook.complete_when_app_ready:
            if app_ready is None or app_ready.processed:
                return "CONTINUE"
            timeout = self.env.timeout(hook.heartbeat_timeout)
            yield self.env.any_of([app_ready, timeout])
            return "CONTINUE" if app_ready.processed else hook.default_result
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
