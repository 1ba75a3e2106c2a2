"""The fault schedule: runs the scenario's faults and operations at their times.

Each fault drives machinery the components already have, rather than re-implementing it:

* ``az_outage`` marks the AZ down at ``at`` and up again ``duration`` later. Everything in the AZ
  listens to its :class:`~fleetsim.sim.zones.Zone`: the ALB node stops answering, the instances
  there stop answering (requests in flight on them fail), its Redis nodes fail, and the ASG can
  no longer launch there; when the AZ returns, the ASG rebalances.
* ``az_degraded`` puts a :class:`~fleetsim.sim.zones.Degradation` on the AZ's zone: the
  application adds its latency to requests served in the AZ and drops a share of them (no answer:
  the ALB fails them ``504 target_timeout`` at its idle timeout, §1.4); every target group's
  health checks of targets there are lost in the same share.
* ``instance_crash`` (``host``) impairs the instance: it stays ``running`` but answers nothing
  (a black hole), the ALB's checks time out and the group replaces it after its impaired delay
  (§8, §2.2); (``stop``) moves it out of ``running``, replaced at once (§2.2); (``app``) kills
  the process only: connections are refused, the ALB health check marks it unhealthy and only a
  group with ``health_check_type: ELB`` replaces it.
* ``redis_*`` call :meth:`~fleetsim.sim.stores.redis.RedisStore.fail_node`.
* ``spot_interruptions`` sends notices through :class:`~fleetsim.sim.spot.SpotMarket`.
* ``deploy`` starts an instance refresh or a blue/green switch (:mod:`fleetsim.sim.deploy`).
* ``bootstrap_outage`` adds a window to :attr:`~fleetsim.sim.boot.BootModel.unreachable`.

Every fault writes ``fault.<kind>.start`` and ``fault.<kind>.end`` event rows (scope ``fault``);
an instantaneous one writes both at the same time.

The schedule is given only what the faults act on (the zones, the fleet registry, the session
store, the Spot market, the boot model, the load balancer), never the whole world.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from fleetsim.config.app import SpotInterruption
from fleetsim.config.asg import AsgConfig
from fleetsim.config.faults import (
    AnyFault,
    AzDegraded,
    AzOutage,
    BootstrapOutage,
    Deploy,
    InstanceCrash,
    RedisNodeFailure,
    RedisPrimaryFailure,
    SpotInterruptions,
)
from fleetsim.config.sampler import Uniforms
from fleetsim.sim.component import Component
from fleetsim.sim.deploy import blue_green, rolling
from fleetsim.sim.types import Process
from fleetsim.sim.zones import Degradation

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.alb import LoadBalancer
    from fleetsim.sim.asg import AutoScalingGroup
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.fleet import Fleet
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.rng import RandomStreams
    from fleetsim.sim.spot import SpotMarket
    from fleetsim.sim.stores import SessionStore
    from fleetsim.sim.target_group import TargetGroup
    from fleetsim.sim.zones import Zone

SCOPE = "fault"


class FaultSchedule(Component):
    """Runs the scenario's faults at their times.

    Each fault ``i`` draws from its own streams named ``fault.<i>.<kind>…``, so adding a fault
    shifts no other component's random numbers.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        streams: the run's named random streams.
        faults: the scenario's faults and operations.
        duration: the run's length (an open-ended Spot interruption rate stops there).
        zones: the AZs (outages, gray failures).
        fleet: the fleet registry (crashes; the blue/green deploy adds its green group there).
        store: the session store (Redis node failures).
        spot: the Spot market, if the fleet runs on Spot (interruptions).
        boot: the boot model (bootstrap outages).
        lb: the load balancer (the blue/green deploy moves its listener's weights).
    """

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        streams: RandomStreams,
        faults: list[AnyFault],
        duration: float,
        *,
        zones: Mapping[str, Zone],
        fleet: Fleet,
        store: SessionStore,
        spot: SpotMarket | None,
        boot: BootModel,
        lb: LoadBalancer,
    ) -> None:
        super().__init__(env, rec, SCOPE, streams)
        self.faults = list(faults)
        self.duration = duration
        self.zones = zones
        self.fleet = fleet
        self.store = store
        self.spot = spot
        self.lb = lb
        self._mtbf: list[tuple[InstanceCrash, np.random.Generator]] = []
        for i, fault in enumerate(self.faults):
            if isinstance(fault, InstanceCrash) and fault.mtbf is not None:
                self._mtbf.append((fault, self.stream(f"fault.{i}.instance_crash")))
            if isinstance(fault, BootstrapOutage):
                boot.unreachable.append((fault.at, fault.at + fault.duration))

    def start(self) -> None:
        """Schedule every fault."""
        for i, fault in enumerate(self.faults):
            if isinstance(fault, AzOutage):
                self.env.process(self._az_outage(fault))
            elif isinstance(fault, AzDegraded):
                gen = self.stream(f"fault.{i}.az_degraded")
                self.env.process(self._az_degraded(fault, Uniforms(gen)))
            elif isinstance(fault, InstanceCrash):
                if fault.at is not None:
                    gen = self.stream(f"fault.{i}.instance_crash")
                    self.env.process(self._crash_at(fault, fault.at, gen))
            elif isinstance(fault, RedisPrimaryFailure | RedisNodeFailure):
                self.env.process(self._redis(fault))
            elif isinstance(fault, SpotInterruptions):
                gen = self.stream(f"fault.{i}.spot_interruptions")
                self.env.process(self._spot(fault, gen))
            elif isinstance(fault, Deploy):
                self.env.process(self._deploy(fault, f"fault.{i}.deploy"))
            else:
                self.env.process(self._bootstrap_outage(fault))

    def _deploy(self, fault: Deploy, stream: str) -> Process:
        blue = self.fleet.groups[0]
        if fault.strategy == "rolling":
            return rolling(self.env, self.rec, blue, fault)
        # Taken at build time, not at the deploy: stream names are claimed once per run.
        weights = self.stream(f"{stream}.weights")

        def add_green(cfg: AsgConfig) -> tuple[AutoScalingGroup, TargetGroup]:
            return self.fleet.add_group(cfg, stream, "green")

        return blue_green(self.env, self.rec, blue, self.lb, add_green, fault, weights)

    def watch(self, inst: Instance) -> None:
        """Give a new instance its random crash times (``instance_crash`` with ``mtbf``)."""
        for fault, gen in self._mtbf:
            # Drawn at creation for every instance, so the n-th instance's draw is the same
            # across variants (common random numbers); an instance not running then is spared.
            assert fault.mtbf is not None
            wait = float(gen.exponential(fault.mtbf))
            if fault.az is None or fault.az == inst.az:
                self.env.process(self._crash_later(fault, inst, wait))

    def _event(
        self, kind: str, az: str | None = None, inst: str | None = None, d: str = ""
    ) -> None:
        self.log(f"fault.{kind}", az, inst, d)

    # --- AZ ------------------------------------------------------------------------------

    def _az_outage(self, fault: AzOutage) -> Process:
        yield self.env.timeout(fault.at)
        self._event("az_outage.start", fault.az, d=f"duration={fault.duration:g}")
        self.zones[fault.az].set_up(False)
        yield self.env.timeout(fault.duration)
        self._event("az_outage.end", fault.az)
        self.zones[fault.az].set_up(True)

    def _az_degraded(self, fault: AzDegraded, uniform: Callable[[], float]) -> Process:
        yield self.env.timeout(fault.at)
        detail = (
            f"duration={fault.duration:g} added_latency={fault.added_latency:g} "
            f"loss_fraction={fault.loss_fraction:g}"
        )
        self._event("az_degraded.start", fault.az, d=detail)
        gray = Degradation(fault.added_latency, fault.loss_fraction, uniform)
        zone = self.zones[fault.az]
        zone.degradation = gray
        yield self.env.timeout(fault.duration)
        zone.degradation = None
        self._event("az_degraded.end", fault.az)

    # --- instances -----------------------------------------------------------------------

    def _crash_at(self, fault: InstanceCrash, at: float, gen: np.random.Generator) -> Process:
        yield self.env.timeout(at)
        candidates = [
            i
            for i in self.fleet.members("InService")
            if i.alive and (fault.az is None or i.az == fault.az)
        ]
        picks = [candidates[int(k)] for k in gen.permutation(len(candidates))[: fault.count]]
        names = " ".join(i.name for i in picks)
        detail = f"mode={fault.mode} count={fault.count} crashed={len(picks)} instances={names}"
        self._event("instance_crash.start", fault.az, d=detail)
        for inst in picks:
            self._crash(inst, fault.mode)
        self._event("instance_crash.end", fault.az)

    def _crash_later(self, fault: InstanceCrash, inst: Instance, wait: float) -> Process:
        yield self.env.timeout(wait)
        if not inst.alive or not self.fleet.in_service(inst):
            return  # ended meanwhile, booting, or already crashed: spared
        self._event("instance_crash.start", inst.az, inst.name, f"mode={fault.mode} random")
        self._crash(inst, fault.mode)
        self._event("instance_crash.end", inst.az, inst.name)

    def _crash(self, inst: Instance, mode: str) -> None:
        group = self.fleet.group_of(inst)
        if mode == "app":
            # The process died; EC2 still reports running, so only the ALB health check sees it.
            # The kernel resets its connections: in-flight requests fail 502 at once (§1.4).
            inst.app_up = False
            inst.fail_in_flight("502 target_reset")
        elif mode == "host":
            # A failed host stays running but impaired and answers nothing, not even a reset:
            # in-flight requests end 504 at the idle timeout, new ones 504 after the 10 s connect
            # timeout until the ALB's checks take it out; replaced after the impaired delay (§8).
            inst.impaired = True
            inst.reachable = False
            inst.black_hole()
            if group is not None:
                group.instance_impaired(inst)
        else:
            # A clean stop: the EC2 state leaves running, connections are reset (502) and the
            # group replaces it at once (§2.2).
            inst.fail_in_flight("502 target_reset")
            inst.transition("shutting-down")
            if group is not None:
                group.instance_stopped_running(inst)

    # --- Redis ---------------------------------------------------------------------------

    def _redis(self, fault: RedisPrimaryFailure | RedisNodeFailure) -> Process:
        from fleetsim.sim.stores.redis import RedisStore

        store = self.store
        assert isinstance(store, RedisStore)  # the scenario validator requires Redis sessions
        yield self.env.timeout(fault.at)
        if isinstance(fault, RedisPrimaryFailure):
            node = store.primary
        elif isinstance(fault.node, int):
            node = store.nodes[fault.node]
        else:
            node = next(n for n in store.nodes if n.name == fault.node)
        self._event(f"{fault.kind}.start", node.az, d=f"node={node.name}")
        store.fail_node(node)
        self._event(f"{fault.kind}.end", node.az)

    # --- Spot ----------------------------------------------------------------------------

    def _spot(self, fault: SpotInterruptions, gen: np.random.Generator) -> Process:
        spot = self.spot
        assert spot is not None  # the scenario validator requires Spot instances
        at = fault.at or 0.0
        if fault.count is not None:
            spot.schedule(SpotInterruption(at=at, count=fault.count))
            yield self.env.timeout(at)
            self._event("spot_interruptions.start", d=f"count={fault.count}")
            self._event("spot_interruptions.end")
            return
        assert fault.rate_per_hour is not None
        end = self.duration if fault.duration is None else at + fault.duration
        yield self.env.timeout(at)
        self._event("spot_interruptions.start", d=f"rate_per_hour={fault.rate_per_hour:g}")
        while True:
            gap = float(gen.exponential(3600.0 / fault.rate_per_hour))
            if self.env.now + gap >= end:
                break
            yield self.env.timeout(gap)
            spot.schedule(SpotInterruption(at=self.env.now, count=1))
        yield self.env.timeout(max(0.0, end - self.env.now))
        self._event("spot_interruptions.end")

    # --- bootstrap -----------------------------------------------------------------------

    def _bootstrap_outage(self, fault: BootstrapOutage) -> Process:
        # The boot model already knows the window (it places user-data steps against it).
        yield self.env.timeout(fault.at)
        self._event("bootstrap_outage.start", d=f"duration={fault.duration:g}")
        yield self.env.timeout(fault.duration)
        self._event("bootstrap_outage.end")
