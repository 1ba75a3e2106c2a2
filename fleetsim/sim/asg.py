"""The Auto Scaling group: keeps desired capacity, balanced across AZs, replacing what fails.

What is modelled (fact sheet §2):

* Lifecycle ``Pending → InService → Terminating → Terminated`` (§2.5). ELB registration happens
  when the instance is ready, before it is InService.
* Launches go to the AZ with the fewest instances among the AZs that can launch; an AZ in an
  outage cannot, so capacity moves to the others (§2.3).
* EC2 health checks: an instance whose EC2 state is not ``running`` is replaced at once; an
  impaired (unreachable) one after ``impaired_replacement_delay`` ("a few minutes", §2.2).
  With ``health_check_type: ELB`` an instance the ALB marks unhealthy is replaced too, once the
  grace period has passed. Replacement launches at once; the old instance drains (deregistration
  delay) and is then terminated (§2.2).
* AZ rebalancing after an AZ recovers: launch in the smallest AZ first, then terminate one in the
  largest (default termination policy: the AZ with most instances, then the instance closest to
  its next billing hour, then random), possibly exceeding max by 10 % or 1 instance (§2.3, §2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from fleetsim.config.models import AsgConfig
from fleetsim.sim.types import Process
from fleetsim.sim.zones import Zone

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.alb import LoadBalancer
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.instance import Instance

LAUNCH_RETRY_S = 30.0  # how soon a launch that found no usable AZ is tried again (assumption)
SHUTDOWN_S = 5.0  # shutting-down → terminated (assumption; AWS gives no figure)


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
        self.lifecycle: dict[Instance, str] = {}
        self.in_service_since: dict[Instance, float] = {}
        self.all_instances: list[Instance] = []
        self._retry_scheduled = False
        self._rebalancing: set[Instance] = set()
        for zone in zones.values():
            zone.listeners.append(self._zone_changed)
        alb.target_listeners.append(self._target_changed)

    # --- views ---------------------------------------------------------------------------

    def members(self, *states: str) -> list[Instance]:
        """Instances whose lifecycle state is one of ``states`` (all live members if none)."""
        wanted = states or ("Pending", "InService", "Terminating")
        return [i for i, s in self.lifecycle.items() if s in wanted]

    def _active(self) -> list[Instance]:
        return self.members("Pending", "InService")

    def _az_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.zones, 0)
        for inst in self._active():
            counts[inst.az] += 1
        return counts

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
            self.alb.register(inst, healthy=True)

    def _choose_az(self) -> str | None:
        counts = self._az_counts()
        usable = [az for az, zone in self.zones.items() if zone.up]
        if not usable:
            return None
        return min(usable, key=lambda az: counts[az])

    def _new(self, az: str, reason: str) -> Instance:
        inst = self._make(az)
        self.all_instances.append(inst)
        self._set(inst, "Pending", reason)
        return inst

    def _set(self, inst: Instance, state: str, reason: str = "") -> None:
        self.lifecycle[inst] = state
        if state == "InService":
            self.in_service_since[inst] = self.env.now
        self.rec.event(self.env.now, f"asg.{state}", "asg", inst.az, inst.name, reason)

    def launch(self, reason: str, az: str | None = None) -> Instance | None:
        """Launch one instance (in ``az`` or the best AZ); None if no AZ can launch now."""
        az = az or self._choose_az()
        if az is None:
            self.rec.event(self.env.now, "asg.launch_failed", "asg", None, None, reason)
            if not self._retry_scheduled:
                self._retry_scheduled = True
                self.env.process(self._retry())
            return None
        inst = self._new(az, reason)
        self.env.process(self._boot(inst))
        return inst

    def _retry(self) -> Process:
        yield self.env.timeout(LAUNCH_RETRY_S)
        self._retry_scheduled = False
        self.reconcile("retry after failed launch")

    def _boot(self, inst: Instance) -> Process:
        plan = self._boot_model.plan()
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
        inst.start_app(plan.warmup, plan.warm_speed)
        # ELB registration happens before InService (§2.5).
        self.alb.register(inst)
        self._set(inst, "InService")
        old = self._spot_replacing.pop(inst, None)
        if old is not None and self.lifecycle.get(old) == "InService":
            self._set(old, "Terminating", f"capacity rebalancing: replaced by {inst.name}")
            self.alb.deregister(old, self._terminate)
        if inst in self._rebalancing:
            self._rebalancing.discard(inst)
            self._terminate_for_balance()

    def reconcile(self, reason: str) -> None:
        """Launch until the active instances reach desired capacity."""
        missing = self.desired - len(self._active()) + len(self._rebalancing)
        for _ in range(missing):
            if self.launch(reason) is None:
                break

    def capacity_rebalance(self, inst: Instance) -> None:
        """Spot Capacity Rebalancing (§2.10): replace ``inst`` before it is interrupted.

        Launches a replacement now and terminates ``inst`` once the replacement is InService
        (the group may exceed its max meanwhile).
        """
        if self.lifecycle.get(inst) != "InService" or inst in self._spot_replacing.values():
            return
        new = self.launch(f"capacity rebalancing for {inst.name}")
        if new is not None:
            self._spot_replacing[new] = inst

    # --- health and replacement ----------------------------------------------------------

    def instance_impaired(self, inst: Instance) -> None:
        """An instance stopped answering (its AZ failed); schedule the EC2 health replacement."""
        if self.lifecycle.get(inst) in ("Pending", "InService"):
            self.env.process(self._replace_if_still_impaired(inst))

    def _replace_if_still_impaired(self, inst: Instance) -> Process:
        yield self.env.timeout(self.cfg.impaired_replacement_delay)
        if not inst.reachable and self.lifecycle.get(inst) in ("Pending", "InService"):
            self.replace(inst, "EC2 status check: impaired")

    def instance_stopped_running(self, inst: Instance) -> None:
        """EC2 state left ``running`` (crash): unhealthy at once, replaced at once (§2.2)."""
        if self.lifecycle.get(inst) in ("Pending", "InService"):
            self.replace(inst, "EC2 state not running")

    def _target_changed(self, inst: Instance, state: str) -> None:
        if self.cfg.health_check_type != "ELB" or state != "unhealthy":
            return
        since = self.in_service_since.get(inst)
        if since is None or self.env.now - since < self.cfg.health_check_grace_period:
            return
        if self.lifecycle.get(inst) == "InService":
            self.replace(inst, "ELB health check failed")

    def replace(self, inst: Instance, reason: str) -> None:
        """Take ``inst`` out of service (drain, then terminate) and launch a replacement."""
        self._rebalancing.discard(inst)
        self._set(inst, "Terminating", reason)
        self.reconcile(f"replacing {inst.name}")
        self.alb.deregister(inst, self._terminate)

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
        ceiling = self.cfg.max_size + max(1, int(0.1 * self.cfg.max_size))
        if len(self._active()) >= ceiling:
            return
        smallest = min(usable, key=lambda az: usable[az])
        inst = self.launch("AZ rebalancing", az=smallest)
        if inst is not None:
            self._rebalancing.add(inst)

    def _terminate_for_balance(self) -> None:
        counts = self._az_counts()
        largest = max(counts, key=lambda az: counts[az])
        candidates = [i for i in self.members("InService") if i.az == largest]
        if not candidates:
            return
        now = self.env.now
        # Default termination policy (§2.4): closest to the next billing hour, then random.
        scores = [((now - i.launched) % 3600.0, self.rng.random()) for i in candidates]
        victim = candidates[max(range(len(candidates)), key=lambda k: scores[k])]
        self._set(victim, "Terminating", "AZ rebalancing")
        self.alb.deregister(victim, self._terminate)
        self._rebalance()
