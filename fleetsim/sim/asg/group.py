"""The Auto Scaling group: keeps desired capacity, balanced across AZs, replacing what fails.

The group itself decides how many instances run and where (fact sheet §2):

* Launches go to the AZ with the fewest instances among the AZs that can launch; an AZ in an
  outage cannot, so capacity moves to the others (§2.3).
* A change of desired capacity (a :class:`~fleetsim.sim.asg.decisions.ScalingDecision`) launches
  up to it or scales in down to it. Scale-in follows the default termination policy
  (:mod:`~fleetsim.sim.asg.termination`, §2.4); instances protected from scale-in are skipped
  (the desired capacity still drops).
* Warm-up (§2.1): an instance InService for less than the warmup is left out of the group's
  metrics, and scale-in by policies waits for it.

Its helpers do the rest, each in its module: the per-instance :mod:`~fleetsim.sim.asg.membership`
records, the instance :mod:`~fleetsim.sim.asg.lifecycle` (boot, hooks, ELB, termination), the
:mod:`~fleetsim.sim.asg.warm_pool`, health :mod:`~fleetsim.sim.asg.replacement`, AZ and Spot
:mod:`~fleetsim.sim.asg.rebalancing` and instance :mod:`~fleetsim.sim.asg.refresh`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fleetsim.sim.asg.decisions import Requester, ScalingDecision
from fleetsim.sim.asg.lifecycle import Transitions
from fleetsim.sim.asg.membership import LIVE, Membership, Roster, StateView
from fleetsim.sim.asg.membership import LifecycleState as S
from fleetsim.sim.asg.ports import LAUNCH_RETRY_S
from fleetsim.sim.asg.rebalancing import Rebalancing
from fleetsim.sim.asg.refresh import InstanceRefresh
from fleetsim.sim.asg.replacement import HealthReplacement
from fleetsim.sim.asg.termination import pick_victim
from fleetsim.sim.asg.warm_pool import WarmPool
from fleetsim.sim.component import Component
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.config.models import AsgConfig
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.rng import RandomStreams
    from fleetsim.sim.target_group import TargetGroup
    from fleetsim.sim.zones import Zone


INITIAL_FLEET = "initial fleet"  # the launch reason shown for the warm initial fleet


class AutoScalingGroup(Component):
    """An Auto Scaling group behind one load balancer (target group).

    Args:
        env: the simulation engine.
        rec: the run's recorder.
        cfg: group configuration.
        zones: the scenario's AZs by name, in order.
        alb: the target group instances register with.
        make_instance: creates an instance in an AZ (state ``pending``).
        boot: draws each launch's boot phases (launch → running → app up, or a failed boot).
        streams: the run's random streams.
        scope: the group's scope, the ``scope`` column of its events.
        stream: name of its random stream (termination tie-breaks).
    """

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        cfg: AsgConfig,
        zones: dict[str, Zone],
        alb: TargetGroup,
        make_instance: Callable[[str], Instance],
        boot: BootModel,
        streams: RandomStreams,
        *,
        scope: str = "asg",
        stream: str = "asg",
    ) -> None:
        super().__init__(env, rec, scope, streams)
        self.cfg = cfg
        self.zones = zones
        self.alb = alb
        self._make = make_instance
        self.rng = self.stream(stream)
        self.desired = cfg.desired_capacity
        self.min_size = cfg.min_size
        self.max_size = cfg.max_size
        self.roster = Roster()
        self.lifecycle = StateView(self.roster)  # read-only: each member's lifecycle state
        self.all_instances: list[Instance] = []
        self.template = 0  # launch template version new instances get
        self.activity_listeners: list[Callable[[], None]] = []
        self._decisions: list[ScalingDecision] = []
        self._retry_scheduled = False
        self.rebalancing = Rebalancing(self)
        self.warm_pool = WarmPool(self, boot)
        self.transitions = Transitions(self, boot, self.rebalancing, self.warm_pool)
        self.replacement = HealthReplacement(self)
        self.refresh = InstanceRefresh(self)
        for zone in zones.values():
            zone.listeners.append(self.rebalancing.zone_changed)
        alb.target_listeners.append(self.transitions.target_changed)

    # --- views ---------------------------------------------------------------------------

    def members(self, *states: str) -> list[Instance]:
        """Instances whose lifecycle state is one of ``states`` (all live members if none).

        A state also matches its sub-states: ``Pending`` matches ``Pending:Wait``.
        """
        return self.roster.members(states or LIVE)

    def is_warming(self, inst: Instance) -> bool:
        """True while an InService instance is within its warmup (§2.1)."""
        # Inlined (no Roster call): the CPU metric asks for every instance every second.
        record = self.roster.records.get(inst)
        return record is not None and self.env.now < record.warm_at

    def not_yet_warm(self) -> int:
        """Instances counted in desired that do not yet feed the metrics: pending or warming."""
        return self.roster.not_yet_warm(self.env.now)

    def activity_in_progress(self) -> bool:
        """True while an instance is launching or terminating (a scaling activity runs)."""
        return self.roster.busy()

    @property
    def decisions(self) -> Sequence[ScalingDecision]:
        """Every change of desired capacity so far, in order (read-only)."""
        return tuple(self._decisions)

    def az_counts(self) -> dict[str, int]:
        """Active (Pending or InService) instances per AZ."""
        return self.roster.az_counts(list(self.zones))

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
        return (self.desired, *self.roster.levels(list(self.zones), self.env.now))

    # --- launching -----------------------------------------------------------------------

    def start(self) -> None:
        """Create the initial fleet already InService and healthy (the run starts warm)."""
        for _ in range(self.desired):
            az = self._choose_az()
            assert az is not None  # every AZ is up at t=0
            inst = self.new_instance(az, INITIAL_FLEET, initial=True)
            inst.transition("running")
            inst.app_up = True
            self.set_state(inst, S.IN_SERVICE)
            self.roster[inst].warm_at = 0.0  # the initial fleet is warm
            self.alb.register(inst, healthy=True)
        self.warm_pool.fill(initial=True)
        self.replacement.start()

    def _choose_az(self) -> str | None:
        counts = self.az_counts()
        usable = [az for az, zone in self.zones.items() if zone.up]
        if not usable:
            return None
        return min(usable, key=lambda az: counts[az])

    def new_instance(
        self, az: str, reason: str, state: S = S.PENDING, *, initial: bool = False
    ) -> Instance:
        """Create an instance in ``az`` and make it a member in ``state``.

        ``initial`` marks the warm initial fleet, whose launch is not a wait of the run.
        """
        inst = self._make(az)
        self.all_instances.append(inst)
        protected = self.cfg.new_instances_protected_from_scale_in
        self.roster.add(Membership(inst, state, self.template, protected=protected))
        self.set_state(inst, state, reason, initial=initial)
        return inst

    def set_state(
        self, inst: Instance, state: S, reason: str = "", *, initial: bool = False
    ) -> None:
        """Move a member to ``state`` and log it as an ``asg.<state>`` event.

        A launch during the run (Pending, unless ``initial``) opens a row of the recorder's
        launch ledger; InService and Terminating fill it in (``time_to_in_service``, departures).
        """
        record = self.roster[inst]
        record.state = state
        if state is S.IN_SERVICE:
            now = self.env.now
            record.in_service_since = now
            # Left out of the metrics and blocking scale-in until warm (§2.1).
            record.warm_at = now + self.cfg.metric_warmup
        self.log(f"asg.{state}", inst.az, inst.name, reason)
        if state is S.PENDING and not initial:
            self.rec.launch_started(inst.name, self.env.now)
        elif state is S.IN_SERVICE:
            self.rec.launch_in_service(inst.name, self.env.now)
        elif state is S.TERMINATING:
            self.rec.launch_ended(inst.name, self.env.now)

    def launch(self, reason: str, az: str | None = None) -> Instance | None:
        """Launch one instance (in ``az`` or the best AZ); None if no AZ can launch now.

        The warm pool is used first when it holds a prepared instance in that AZ.
        """
        az = az or self._choose_az()
        if az is None:
            self.log("asg.launch_failed", detail=reason)
            if not self._retry_scheduled:
                self._retry_scheduled = True
                self.env.process(self._retry())
            return None
        warmed = self.warm_pool.take(az)
        if warmed is not None:
            self.roster[warmed].template = self.template
            self.set_state(warmed, S.PENDING, f"{reason} (from warm pool)")
            self.env.process(self.transitions.resume(warmed))
            return warmed
        inst = self.new_instance(az, reason)
        self.env.process(self.transitions.boot(inst))
        return inst

    def _retry(self) -> Process:
        yield self.env.timeout(LAUNCH_RETRY_S)
        self._retry_scheduled = False
        self.reconcile("retry after failed launch")

    def reconcile(self, reason: str) -> list[Instance]:
        """Launch until the active instances reach desired capacity; return the launches."""
        missing = self.desired - len(self.roster.active()) + self.roster.above_desired()
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
        (ELB health checks: healthy, §8; the group may exceed its max meanwhile).
        """
        self.rebalancing.capacity_rebalance(inst)

    # --- desired capacity ----------------------------------------------------------------

    def set_desired(self, decision: ScalingDecision) -> None:
        """Apply a change of desired capacity (already within min and max) and record it.

        Launches up to the new desired capacity or scales in down to it, then resizes the warm
        pool; starts the simple policies' cooldown (activity listeners).
        """
        self._decisions.append(decision)
        self.log("asg.scaling", detail=decision.detail())
        self.desired = decision.desired_to
        reason = f"scaling: {decision.reason}"
        for listener in self.activity_listeners:
            listener()
        self.reconcile(reason)
        self._scale_in(reason)
        self.warm_pool.fill()

    def update_group(
        self,
        min_size: int | None,
        max_size: int | None,
        desired: int | None,
        by: str,
        reason: str = "manual",
        requester: Requester = Requester.OPERATOR,
    ) -> None:
        """Set min, max and/or desired (a scheduled or manual action; no cooldown applies).

        Args:
            min_size: the new min (None: unchanged).
            max_size: the new max (None: unchanged).
            desired: the new desired capacity, kept within min and max (None: unchanged).
            by: who asks: the scheduled action's name, or an operator's label.
            reason: why.
            requester: a scheduled action or an operator.
        """
        lo = self.min_size if min_size is None else min_size
        hi = self.max_size if max_size is None else max_size
        want = self.desired if desired is None else desired
        new = max(lo, min(hi, want))
        self.min_size, self.max_size = lo, hi
        decision = ScalingDecision(
            self.env.now, requester, by, reason, self.desired, new, min_size=lo, max_size=hi
        )
        self.set_desired(decision)

    def _scale_in(self, reason: str) -> None:
        roster = self.roster
        while len(roster.active()) - roster.above_desired() > self.desired:
            candidates = [
                r for r in roster.active() if not r.protected and not r.rebalancing and not r.surge
            ]
            victim = self.pick_victim(candidates)
            if victim is None:
                return  # all protected from scale-in: desired drops, the instances stay
            reuse = self.cfg.warm_pool is not None and self.cfg.warm_pool.reuse_on_scale_in
            self.retire(victim, reason, to_pool=reuse)

    def pick_victim(self, candidates: Sequence[Membership]) -> Instance | None:
        """The default termination policy's choice among ``candidates`` (§2.4)."""
        return pick_victim(candidates, self.az_counts(), self.env.now, self.rng)

    def set_instance_protection(self, inst: Instance, protected: bool) -> None:
        """Protect a member from scale-in (or lift the protection)."""
        self.roster[inst].protected = protected

    # --- leaving service -----------------------------------------------------------------

    def retire(self, inst: Instance, reason: str, to_pool: bool = False) -> None:
        """Take ``inst`` out of service: drain, run terminate hooks, terminate (or re-pool)."""
        record = self.roster[inst]
        record.rebalancing = record.surge = False
        self.rebalancing.launch_failed(inst)  # if it replaced a Spot instance, it no longer does
        self.set_state(inst, S.TERMINATING, reason)
        if to_pool:
            record.to_pool = True
        self.transitions.drain(inst)

    def terminate(self, inst: Instance) -> None:
        """Terminate a member now (no draining, no hooks)."""
        self.transitions.terminate(inst)

    def replace(self, inst: Instance, reason: str) -> list[Instance]:
        """Take ``inst`` out of service (drain, then terminate) and launch a replacement.

        Cooldowns never delay this (§2.2); it starts the simple policies' cooldown (§2.7).
        """
        self.retire(inst, reason)
        launched = self.reconcile(f"replacing {inst.name}")
        for listener in self.activity_listeners:
            listener()
        return launched

    def instance_impaired(self, inst: Instance) -> None:
        """An instance stopped answering (its AZ failed); schedule the EC2 health replacement."""
        self.replacement.instance_impaired(inst)

    def instance_stopped_running(self, inst: Instance) -> None:
        """EC2 state left ``running`` (crash): unhealthy at once, replaced at once (§2.2)."""
        self.replacement.instance_stopped_running(inst)

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
        return self.refresh.start(min_healthy_percentage, max_healthy_percentage, instance_warmup)
