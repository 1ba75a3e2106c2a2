"""The Auto Scaling group: keeps desired capacity, balanced across AZs, replacing what fails.

What is modelled (fact sheet §2):

* Lifecycle ``Pending → [Pending:Wait → Pending:Proceed] → InService → Terminating →
  [Terminating:Wait → Terminating:Proceed] → Terminated`` (§2.5). ELB registration happens after
  the launch hooks, before InService; on the way out the instance drains (deregistration) before
  the terminate hooks run. A hook waits for its action (``action_time``) or times out after
  ``heartbeat_timeout`` and applies ``default_result`` (§2.6): ABANDON on launch terminates the
  instance and launches another.
* Launches go to the AZ with the fewest instances among the AZs that can launch; an AZ in an
  outage cannot, so capacity moves to the others (§2.3).
* Scale-in follows the default termination policy (§2.4): the AZ with most instances that has an
  unprotected one, then the oldest launch template, then closest to the next billing hour, then
  random. Instances protected from scale-in are skipped (the desired capacity still drops).
* Health (§2.2): an instance whose EC2 state is not ``running`` is replaced at once; an impaired
  (unreachable) one after ``impaired_replacement_delay`` ("a few minutes"); with
  ``health_check_type: ELB`` one the ALB marks unhealthy once the grace period has passed. Those
  two are replaced in batches of at most 10 % of desired (one at a time below ten instances),
  each batch waiting for its replacements to be InService and warm. A replacement launches at
  once, never delayed by a cooldown; the old instance drains, then terminates.
* AZ rebalancing after an AZ recovers: launch in the smallest AZ first, then terminate one in the
  largest, possibly exceeding max by 10 % or 1 instance (§2.3).
* Warm pool (§2.8): pre-initialised ``Stopped``, ``Running`` or ``Hibernated`` instances, sized
  max − desired by default. A launch takes one from the pool in the chosen AZ if it can and skips
  bootstrapping: it is ready after the pool state's resume time (§3). With
  ``reuse_on_scale_in`` scaled-in instances go back to the pool.
* Instance refresh (§2.9): :meth:`AutoScalingGroup.start_instance_refresh` replaces every
  instance on an older launch template in batches that keep MinHealthyPercentage in service and
  never exceed MaxHealthyPercentage, each batch waiting for the instance warmup.
* Warm-up (§2.1): an instance InService for less than the warmup is left out of the group's
  metrics, and scale-in by policies waits for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from fleetsim.config.models import AsgConfig
from fleetsim.sim.types import Process
from fleetsim.sim.zones import Zone

if TYPE_CHECKING:
    import simpy

    from fleetsim.config.asg import LifecycleHook
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.alb import LoadBalancer
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.instance import Instance

LAUNCH_RETRY_S = 30.0  # how soon a launch that found no usable AZ is tried again (assumption)
SHUTDOWN_S = 5.0  # shutting-down → terminated (assumption; AWS gives no figure)
STOP_S = 5.0  # stopping → stopped when an instance enters the warm pool (assumption)
POLL_S = 1.0  # how often a waiting activity (batch, refresh, cooldown) looks again

ACTIVE = ("Pending", "InService")
WARMED = "Warmed:"


class AutoScalingGroup:
    """An Auto Scaling group behind one load balancer.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        cfg: group configuration.
        zones: the scenario's AZs by name, in order.
        alb: the load balancer instances register with.
        make_instance: creates an instance in an AZ (state ``pending``).
        boot: draws each launch's boot phases (launch → running → app up, or a failed boot).
        rng: the ``asg`` random stream (termination tie-breaks).
    """

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        cfg: AsgConfig,
        zones: dict[str, Zone],
        alb: LoadBalancer,
        make_instance: Callable[[str], Instance],
        boot: BootModel,
        rng: np.random.Generator,
    ) -> None:
        self.env = env
        self.rec = rec
        self.cfg = cfg
        self.zones = zones
        self.alb = alb
        self._make = make_instance
        self._boot_model = boot
        self._spot_replacing: dict[Instance, Instance] = {}  # replacement → Spot instance
        self.rng = rng
        self.desired = cfg.desired_capacity
        self.min_size = cfg.min_size
        self.max_size = cfg.max_size
        self.lifecycle: dict[Instance, str] = {}
        self.in_service_since: dict[Instance, float] = {}
        self.warm_at: dict[Instance, float] = {}
        self.all_instances: list[Instance] = []
        self.template = 0  # launch template version new instances get
        self.templates: dict[Instance, int] = {}
        self.protected: set[Instance] = set()
        self.activity_listeners: list[Callable[[], None]] = []
        self._retry_scheduled = False
        self._rebalancing: set[Instance] = set()
        self._surge: set[Instance] = set()  # launched above desired (refresh, Spot rebalancing)
        self._to_pool: set[Instance] = set()
        self._replace_queue: dict[Instance, str] = {}
        self._replacer_running = False
        self._launch_hooks = [h for h in cfg.lifecycle_hooks if h.transition == "launching"]
        self._terminate_hooks = [h for h in cfg.lifecycle_hooks if h.transition == "terminating"]
        for zone in zones.values():
            zone.listeners.append(self._zone_changed)
        alb.target_listeners.append(self._target_changed)

    # --- views ---------------------------------------------------------------------------

    def members(self, *states: str) -> list[Instance]:
        """Instances whose lifecycle state is one of ``states`` (all live members if none).

        A state also matches its sub-states: ``Pending`` matches ``Pending:Wait``.
        """
        wanted = states or ("Pending", "InService", "Terminating")
        return [i for i, s in self.lifecycle.items() if s.split(":", 1)[0] in wanted]

    def _active(self) -> list[Instance]:
        return self.members(*ACTIVE)

    def _az_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.zones, 0)
        for inst in self._active():
            counts[inst.az] += 1
        return counts

    def is_warming(self, inst: Instance) -> bool:
        """True while an InService instance is within its warmup (§2.1)."""
        return self.env.now < self.warm_at.get(inst, 0.0)

    def not_yet_warm(self) -> int:
        """Instances counted in desired that do not yet feed the metrics: pending or warming."""
        return sum(
            1
            for i, s in self.lifecycle.items()
            if s.startswith("Pending") or (s == "InService" and self.is_warming(i))
        )

    def activity_in_progress(self) -> bool:
        """True while an instance is launching or terminating (a scaling activity runs)."""
        return any(s.startswith(("Pending", "Terminating")) for s in self.lifecycle.values())

    @property
    def replacement_warmup(self) -> float:
        """Warmup a replacement batch or refresh waits for (§2.9: instance warmup default)."""
        if self.cfg.default_instance_warmup is not None:
            return self.cfg.default_instance_warmup
        return self.cfg.health_check_grace_period

    # --- launching -----------------------------------------------------------------------

    def start(self) -> None:
        """Create the initial fleet already InService and healthy (the run starts warm)."""
        for _ in range(self.desired):
            az = self._choose_az()
            assert az is not None  # every AZ is up at t=0
            inst = self._new(az, "initial fleet")
            inst.transition("running")
            inst.app_up = True
            self._set(inst, "InService")
            self.warm_at[inst] = 0.0  # the initial fleet is warm
            self.alb.register(inst, healthy=True)
        self._fill_pool(initial=True)

    def _choose_az(self) -> str | None:
        counts = self._az_counts()
        usable = [az for az, zone in self.zones.items() if zone.up]
        if not usable:
            return None
        return min(usable, key=lambda az: counts[az])

    def _new(self, az: str, reason: str, state: str = "Pending") -> Instance:
        inst = self._make(az)
        self.all_instances.append(inst)
        self.templates[inst] = self.template
        if self.cfg.new_instances_protected_from_scale_in:
            self.protected.add(inst)
        self._set(inst, state, reason)
        return inst

    def _set(self, inst: Instance, state: str, reason: str = "") -> None:
        self.lifecycle[inst] = state
        if state == "InService":
            self.in_service_since[inst] = self.env.now
            # Left out of the metrics and blocking scale-in until warm (§2.1).
            self.warm_at[inst] = self.env.now + self.cfg.metric_warmup
        self.rec.event(self.env.now, f"asg.{state}", "asg", inst.az, inst.name, reason)

    def launch(self, reason: str, az: str | None = None) -> Instance | None:
        """Launch one instance (in ``az`` or the best AZ); None if no AZ can launch now.

        The warm pool is used first when it holds a prepared instance in that AZ.
        """
        az = az or self._choose_az()
        if az is None:
            self.rec.event(self.env.now, "asg.launch_failed", "asg", None, None, reason)
            if not self._retry_scheduled:
                self._retry_scheduled = True
                self.env.process(self._retry())
            return None
        warmed = self._take_from_pool(az)
        if warmed is not None:
            self.templates[warmed] = self.template
            self._set(warmed, "Pending", f"{reason} (from warm pool)")
            self.env.process(self._resume(warmed))
            return warmed
        inst = self._new(az, reason)
        self.env.process(self._boot(inst))
        return inst

    def _retry(self) -> Process:
        yield self.env.timeout(LAUNCH_RETRY_S)
        self._retry_scheduled = False
        self.reconcile("retry after failed launch")

    def _boot(self, inst: Instance) -> Process:
        plan = self._boot_model.plan(self.env.now)
        yield self.env.timeout(plan.launch)
        if inst.state != "pending":
            return
        inst.transition("running")
        yield self.env.timeout(plan.ready_after)
        if inst.state != "running" or self.lifecycle.get(inst) != "Pending":
            return
        if plan.failure is not None:
            # The app never came up: the launch hook times out and the group abandons it (§2.6).
            self.rec.event(self.env.now, "ec2.boot_failed", "ec2", inst.az, inst.name, plan.failure)
            self._spot_replacing.pop(inst, None)
            self.replace(inst, f"boot failed: {plan.failure}")
            return
        yield from self._ready(inst, plan.warmup, plan.warm_speed)

    def _resume(self, inst: Instance) -> Process:
        """Bring a warm-pool instance into service: no bootstrapping, only the resume (§2.8)."""
        pool = self.cfg.warm_pool
        assert pool is not None
        if inst.state == "stopped":
            inst.transition("pending")
            hibernated = pool.pool_state == "Hibernated"
            yield self.env.timeout(
                pool.resume_time_hibernated if hibernated else pool.resume_time_stopped
            )
            if inst.state != "pending" or self.lifecycle.get(inst) != "Pending":
                return
            inst.transition("running")
        else:
            yield self.env.timeout(pool.resume_time_running)
            if inst.state != "running" or self.lifecycle.get(inst) != "Pending":
                return
        yield from self._ready(inst)

    def _ready(self, inst: Instance, warmup: float = 0.0, warm_speed: float = 1.0) -> Process:
        """The instance answers: run launch hooks, register with the ALB, go InService."""
        for hook in self._launch_hooks:
            self._set(inst, "Pending:Wait", f"lifecycle hook {hook.name or 'launching'}")
            result = yield from self._hook_wait(hook)
            if self.lifecycle.get(inst) != "Pending:Wait":
                return
            if result == "ABANDON":
                self._rebalancing.discard(inst)
                self._surge.discard(inst)
                self._set(inst, "Terminating", "launch lifecycle hook abandoned")
                self._terminate(inst)
                self.reconcile("replacing abandoned launch")
                return
            self._set(inst, "Pending:Proceed")
        inst.start_app(warmup, warm_speed)
        # ELB registration happens before InService (§2.5).
        self.alb.register(inst)
        self._set(inst, "InService")
        old = self._spot_replacing.pop(inst, None)
        if old is not None:
            self._surge.discard(inst)
            if self.lifecycle.get(old) == "InService":
                self.retire(old, f"capacity rebalancing: replaced by {inst.name}")
        if inst in self._rebalancing:
            self._rebalancing.discard(inst)
            self._terminate_for_balance()

    def _hook_wait(self, hook: LifecycleHook) -> Generator[simpy.Event, Any, str]:
        # The action completes with CONTINUE unless it outlasts the heartbeat timeout, when the
        # hook's default result applies (§2.6).
        if hook.action_time is not None and hook.action_time <= hook.heartbeat_timeout:
            yield self.env.timeout(hook.action_time)
            return "CONTINUE"
        yield self.env.timeout(hook.heartbeat_timeout)
        return hook.default_result

    def reconcile(self, reason: str) -> list[Instance]:
        """Launch until the active instances reach desired capacity; return the launches."""
        extra = len(self._rebalancing) + len(self._surge)
        missing = self.desired - len(self._active()) + extra
        launched = []
        for _ in range(missing):
            inst = self.launch(reason)
            if inst is None:
                break
            launched.append(inst)
        return launched

    def capacity_rebalance(self, inst: Instance) -> None:
        """Spot Capacity Rebalancing (§2.10): replace ``inst`` before it is interrupted.

        Launches a replacement now and terminates ``inst`` once the replacement is InService
        (the group may exceed its max meanwhile).
        """
        if self.lifecycle.get(inst) != "InService" or inst in self._spot_replacing.values():
            return
        new = self.launch(f"capacity rebalancing for {inst.name}")
        if new is not None:
            # Above desired until the Spot instance leaves: scale-in and reconcile ignore it.
            self._surge.add(new)
            self._spot_replacing[new] = inst

    # --- desired capacity ----------------------------------------------------------------

    def set_desired(self, new: int, detail: str) -> None:
        """Change the desired capacity (already within min and max), recording the decision.

        Args:
            new: the new desired capacity.
            detail: the ``asg.scaling`` event detail (policy, metric, value, old→new, reason).
        """
        self.rec.event(self.env.now, "asg.scaling", "asg", None, None, detail)
        self.desired = new
        self._apply_desired("scaling: " + detail.split(" reason=")[-1])

    def update_group(
        self, min_size: int | None, max_size: int | None, desired: int | None, detail: str
    ) -> None:
        """Set min, max and/or desired (a scheduled or manual action; no cooldown applies)."""
        lo = self.min_size if min_size is None else min_size
        hi = self.max_size if max_size is None else max_size
        want = self.desired if desired is None else desired
        new = max(lo, min(hi, want))
        old = self.desired
        self.min_size, self.max_size = lo, hi
        policy, _, reason = detail.partition(" reason=")
        self.rec.event(
            self.env.now,
            "asg.scaling",
            "asg",
            None,
            None,
            f"{policy} desired={old}->{new} min={lo} max={hi} reason={reason or 'manual'}",
        )
        self.desired = new
        self._apply_desired(f"scaling: {reason or 'manual'}")

    def _apply_desired(self, reason: str) -> None:
        for listener in self.activity_listeners:
            listener()
        self.reconcile(reason)
        self._scale_in(reason)
        self._fill_pool()

    def _scale_in(self, reason: str) -> None:
        while len(self._active()) - len(self._rebalancing) - len(self._surge) > self.desired:
            candidates = [
                i
                for i in self._active()
                if i not in self.protected and i not in self._rebalancing and i not in self._surge
            ]
            victim = self._pick_victim(candidates)
            if victim is None:
                return  # all protected from scale-in: desired drops, the instances stay
            reuse = self.cfg.warm_pool is not None and self.cfg.warm_pool.reuse_on_scale_in
            self.retire(victim, reason, to_pool=reuse)

    def _pick_victim(self, candidates: list[Instance]) -> Instance | None:
        """The default termination policy (§2.4)."""
        if not candidates:
            return None
        counts = self._az_counts()
        # 1. the AZ with the most instances that has an unprotected one (ties at random).
        azs = sorted({i.az for i in candidates})
        draws = {az: self.rng.random() for az in azs}
        az = max(azs, key=lambda a: (counts[a], draws[a]))
        pool = [i for i in candidates if i.az == az]
        # 2. the oldest launch template.
        oldest = min(self.templates[i] for i in pool)
        pool = [i for i in pool if self.templates[i] == oldest]
        # 3. closest to the next billing hour; 4. random.
        now = self.env.now
        scores = [((now - i.launched) % 3600.0, self.rng.random()) for i in pool]
        return pool[max(range(len(pool)), key=lambda k: scores[k])]

    def set_instance_protection(self, inst: Instance, protected: bool) -> None:
        """Protect an instance from scale-in (or lift the protection)."""
        if protected:
            self.protected.add(inst)
        else:
            self.protected.discard(inst)

    # --- leaving service -----------------------------------------------------------------

    def retire(self, inst: Instance, reason: str, to_pool: bool = False) -> None:
        """Take ``inst`` out of service: drain, run terminate hooks, terminate (or re-pool)."""
        self._rebalancing.discard(inst)
        self._surge.discard(inst)
        self._set(inst, "Terminating", reason)
        if to_pool:
            self._to_pool.add(inst)
        # Deregistration (draining) happens before the terminate hook (§2.5).
        self.alb.deregister(inst, self._after_drain)

    def _after_drain(self, inst: Instance) -> None:
        self.env.process(self._terminating(inst))

    def _terminating(self, inst: Instance) -> Process:
        for hook in self._terminate_hooks:
            self._set(inst, "Terminating:Wait", f"lifecycle hook {hook.name or 'terminating'}")
            yield from self._hook_wait(hook)  # either result lets termination proceed
            self._set(inst, "Terminating:Proceed")
        if inst in self._to_pool:
            yield from self._into_pool(inst)
            self._to_pool.discard(inst)
            self._fill_pool()
            return
        self._terminate(inst)

    def _terminate(self, inst: Instance) -> None:
        inst.fail_in_flight("502 target_reset")
        if inst.state in ("pending", "running", "stopped"):
            inst.transition("shutting-down")
        self.env.process(self._finish_termination(inst))

    def _finish_termination(self, inst: Instance) -> Process:
        yield self.env.timeout(SHUTDOWN_S)
        if inst.state == "shutting-down":
            inst.transition("terminated")
        self._set(inst, "Terminated")
        del self.lifecycle[inst]
        self.in_service_since.pop(inst, None)
        self.warm_at.pop(inst, None)
        self.protected.discard(inst)

    # --- health and replacement ----------------------------------------------------------

    def instance_impaired(self, inst: Instance) -> None:
        """An instance stopped answering (its AZ failed); schedule the EC2 health replacement."""
        if self.lifecycle.get(inst, "").startswith(ACTIVE):
            self.env.process(self._replace_if_still_impaired(inst))

    def _replace_if_still_impaired(self, inst: Instance) -> Process:
        yield self.env.timeout(self.cfg.impaired_replacement_delay)
        if not inst.reachable and self.lifecycle.get(inst, "").startswith(ACTIVE):
            self._queue_replacement(inst, "EC2 status check: impaired")

    def instance_stopped_running(self, inst: Instance) -> None:
        """EC2 state left ``running`` (crash): unhealthy at once, replaced at once (§2.2)."""
        if self.lifecycle.get(inst, "").startswith(ACTIVE):
            self.replace(inst, "EC2 state not running")

    def _target_changed(self, inst: Instance, state: str) -> None:
        if self.cfg.health_check_type != "ELB" or state != "unhealthy":
            return
        since = self.in_service_since.get(inst)
        if since is None or self.env.now - since < self.cfg.health_check_grace_period:
            return
        if self.lifecycle.get(inst) == "InService":
            self._queue_replacement(inst, "ELB health check failed")

    def replace(self, inst: Instance, reason: str) -> list[Instance]:
        """Take ``inst`` out of service (drain, then terminate) and launch a replacement.

        Cooldowns never delay this (§2.2); it starts the simple policies' cooldown (§2.7).
        """
        self.retire(inst, reason)
        launched = self.reconcile(f"replacing {inst.name}")
        for listener in self.activity_listeners:
            listener()
        return launched

    def _queue_replacement(self, inst: Instance, reason: str) -> None:
        if inst in self._replace_queue:
            return
        self._replace_queue[inst] = reason
        if not self._replacer_running:
            self._replacer_running = True
            self.env.process(self._replacer())

    def _replacer(self) -> Process:
        # Let the other health verdicts of this instant join the first batch.
        yield self.env.timeout(0)
        while self._replace_queue:
            # At most 10 % of desired per batch, one at a time if that is below 1 (§2.2).
            size = max(1, int(0.1 * self.desired))
            batch = list(self._replace_queue.items())[:size]
            launched: list[Instance] = []
            for inst, reason in batch:
                del self._replace_queue[inst]
                if self.lifecycle.get(inst, "").startswith(ACTIVE):
                    launched += self.replace(inst, reason)
            # Each batch waits for its replacements' health checks and warmup (§2.2).
            yield from self._wait_ready(launched, self.replacement_warmup)
        self._replacer_running = False

    def _wait_ready(self, insts: list[Instance], warmup: float) -> Process:
        while True:
            now = self.env.now
            waiting = False
            for inst in insts:
                state = self.lifecycle.get(inst, "")
                since = self.in_service_since.get(inst)
                if state.startswith("Pending") or (
                    state == "InService" and since is not None and now < since + warmup
                ):
                    waiting = True
                    break
            if not waiting:
                return
            yield self.env.timeout(POLL_S)

    # --- AZ rebalancing ------------------------------------------------------------------

    def _zone_changed(self, zone: Zone) -> None:
        if zone.up:
            self.reconcile("AZ recovered")
            self._rebalance()

    def _rebalance(self) -> None:
        counts = self._az_counts()
        usable = {az: n for az, n in counts.items() if self.zones[az].up}
        if not usable or max(usable.values()) - min(usable.values()) <= 1 or self._rebalancing:
            return
        # Rebalancing may exceed max by 10 % or one instance, whichever is greater (§2.3).
        ceiling = self.max_size + max(1, int(0.1 * self.max_size))
        if len(self._active()) >= ceiling:
            return
        smallest = min(usable, key=lambda az: usable[az])
        inst = self.launch("AZ rebalancing", az=smallest)
        if inst is not None:
            self._rebalancing.add(inst)

    def _terminate_for_balance(self) -> None:
        candidates = [i for i in self.members("InService") if i not in self.protected]
        victim = self._pick_victim(candidates)
        if victim is None:
            return
        self.retire(victim, "AZ rebalancing")
        self._rebalance()

    # --- warm pool -----------------------------------------------------------------------

    def pool(self, prepared_only: bool = False) -> list[Instance]:
        """Instances in the warm pool (``prepared_only``: those ready to be taken)."""
        return [
            i
            for i, s in self.lifecycle.items()
            if s.startswith(WARMED)
            and s != "Warmed:Terminating"
            and not (prepared_only and s == "Warmed:Pending")
        ]

    def _pool_target(self) -> int:
        wp = self.cfg.warm_pool
        if wp is None:
            return 0
        prepared = wp.max_group_prepared_capacity
        # Size max − desired by default, MaxGroupPreparedCapacity − desired if set (§2.8).
        cap = self.max_size if prepared is None else prepared
        return max(wp.min_size, cap - self.desired)

    def _fill_pool(self, initial: bool = False) -> None:
        wp = self.cfg.warm_pool
        if wp is None:
            return
        members = self.pool()
        # Instances on their way back to the pool (reuse on scale-in) already count.
        missing = self._pool_target() - len(members) - len(self._to_pool)
        for _ in range(missing):
            counts = dict.fromkeys((az for az, z in self.zones.items() if z.up), 0)
            if not counts:
                return
            for inst in self.pool():
                if inst.az in counts:
                    counts[inst.az] += 1
            az = min(counts, key=lambda a: counts[a])
            inst = self._new(az, "warm pool", state="Warmed:Pending")
            if initial:
                # The run starts warm: the pool was prepared before t = 0.
                inst.transition("running")
                self._warmed(inst)
            else:
                self.env.process(self._prepare(inst))
        if missing < 0:
            extra = sorted(members, key=lambda i: self.lifecycle[i] != "Warmed:Pending")
            for inst in extra[:-missing]:
                self._set(inst, "Warmed:Terminating", "warm pool above its size")
                self._terminate(inst)

    def _prepare(self, inst: Instance) -> Process:
        """Launch into the pool: full launch and bootstrap, then stop (or keep running)."""
        plan = self._boot_model.plan(self.env.now)
        yield self.env.timeout(plan.launch)
        if self.lifecycle.get(inst) != "Warmed:Pending":
            return
        inst.transition("running")
        yield self.env.timeout(plan.ready_after)
        if self.lifecycle.get(inst) != "Warmed:Pending":
            return
        if plan.failure is not None:
            self.rec.event(self.env.now, "ec2.boot_failed", "ec2", inst.az, inst.name, plan.failure)
            self._set(inst, "Warmed:Terminating", f"boot failed: {plan.failure}")
            self._terminate(inst)
            self._fill_pool()
            return
        yield from self._into_pool(inst)

    def _into_pool(self, inst: Instance) -> Process:
        wp = self.cfg.warm_pool
        assert wp is not None
        inst.app_up = False
        self.in_service_since.pop(inst, None)
        self.warm_at.pop(inst, None)
        if wp.pool_state != "Running" and inst.state == "running":
            inst.transition("stopping")
            yield self.env.timeout(STOP_S)
            inst.transition("stopped")
        self._warmed(inst)

    def _warmed(self, inst: Instance) -> None:
        wp = self.cfg.warm_pool
        assert wp is not None
        if wp.pool_state != "Running" and inst.state == "running":
            inst.transition("stopping")
            inst.transition("stopped")
        self._set(inst, f"{WARMED}{wp.pool_state}")

    def _take_from_pool(self, az: str) -> Instance | None:
        for inst in self.pool(prepared_only=True):
            if inst.az == az:
                return inst
        return None

    # --- instance refresh ----------------------------------------------------------------

    def start_instance_refresh(
        self,
        min_healthy_percentage: int | None = None,
        max_healthy_percentage: int | None = None,
        instance_warmup: float | None = None,
    ) -> simpy.Process:
        """Start a rolling replacement of every instance onto a new launch template (§2.9).

        Args:
            min_healthy_percentage: share of desired kept InService (default from config, 90).
            max_healthy_percentage: ceiling on InService + launching (default 100).
            instance_warmup: seconds each new instance must be InService before the next batch
                (default: config, else DefaultInstanceWarmup, else the grace period).

        Returns:
            The refresh process (yield it to wait for the refresh to finish).
        """
        prefs = self.cfg.instance_refresh
        lo = (
            prefs.min_healthy_percentage
            if min_healthy_percentage is None
            else (min_healthy_percentage)
        )
        hi = (
            prefs.max_healthy_percentage
            if max_healthy_percentage is None
            else (max_healthy_percentage)
        )
        warmup = instance_warmup
        if warmup is None:
            warmup = prefs.instance_warmup
        if warmup is None:
            warmup = self.replacement_warmup
        self.template += 1
        return self.env.process(self._refresh(self.template, lo, hi, warmup))

    def _refresh(self, version: int, lo: int, hi: int, warmup: float) -> Process:
        self.rec.event(
            self.env.now,
            "asg.instance_refresh.start",
            "asg",
            None,
            None,
            f"template={version} min_healthy={lo}% max_healthy={hi}% warmup={warmup:g}",
        )
        while True:
            old = [i for i in self._active() if self.templates[i] < version]
            if not old:
                break
            desired = self.desired
            floor = math.ceil(desired * lo / 100)
            ceiling = max(desired, math.floor(desired * hi / 100))
            batch = min(len(old), max(1, ceiling - floor))
            surge = min(batch, ceiling - desired)
            launched: list[Instance] = []
            for _ in range(surge):
                inst = self.launch("instance refresh")
                if inst is None:
                    break
                self._surge.add(inst)
                launched.append(inst)
            for _ in range(batch - surge):
                old_now = [i for i in self._active() if self.templates[i] < version]
                victim = self._pick_victim(old_now)
                if victim is None:
                    break
                self.retire(victim, "instance refresh")
            launched += self.reconcile("instance refresh")
            yield from self._wait_ready(launched, warmup)
            surged = [i for i in launched if i in self._surge]
            self._surge.difference_update(surged)
            for _ in surged:
                old_now = [i for i in self._active() if self.templates[i] < version]
                victim = self._pick_victim(old_now)
                if victim is not None:
                    self.retire(victim, "instance refresh")
            if not launched and not surged:
                yield self.env.timeout(LAUNCH_RETRY_S)  # nothing could launch: try again later
        self.rec.event(
            self.env.now, "asg.instance_refresh.done", "asg", None, None, f"template={version}"
        )

    # --- timeline levels -----------------------------------------------------------------

    def level_columns(self) -> list[str]:
        """Names of the per-second levels :meth:`levels` returns, in order."""
        azs = list(self.zones)
        return [
            "desired",
            *[f"pending_{az}" for az in azs],
            "warming_up",
            *[f"warming_up_{az}" for az in azs],
            "terminating",
            "warm_pool",
        ]

    def levels(self) -> tuple[int, ...]:
        """The group's levels now: desired, pending per AZ, warming up, terminating, pool."""
        pending = dict.fromkeys(self.zones, 0)
        warming = dict.fromkeys(self.zones, 0)
        terminating = pool = 0
        for inst, state in self.lifecycle.items():
            if state.startswith("Pending"):
                pending[inst.az] += 1
            elif state == "InService":
                if self.is_warming(inst):
                    warming[inst.az] += 1
            elif state.startswith("Terminating"):
                terminating += 1
            elif state.startswith(WARMED):
                pool += 1
        return (
            self.desired,
            *pending.values(),
            sum(warming.values()),
            *warming.values(),
            terminating,
            pool,
        )
