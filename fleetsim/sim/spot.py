"""Spot Instances: interruptions, the two-minute notice, rebalance recommendations.

Each Spot instance may be interrupted at random (a Poisson rate per instance-hour, from the
``spot.interruptions`` stream) or by the scenario's schedule (``count`` running Spot instances,
chosen with the ``spot.choice`` stream, receive a notice at ``at``). An interruption notice comes
exactly 120 s before EC2 terminates the instance (fact sheet §3); a rebalance recommendation, if
enabled, comes ``rebalance_recommendation`` seconds before the notice (§3: before it or together
with it). With the group's Capacity Rebalancing on, either signal makes the Auto Scaling group
launch a replacement and terminate the Spot instance once the replacement is InService (§2.10;
with ELB health checks once it is healthy, §8); with it off, the instance is replaced only once
it has gone.

At termination, requests in service or queued on the instance fail ``502 target_reset`` and the
instance leaves ``running``; sessions held in its memory are then lost (``instance_terminated``)
when their users come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from fleetsim.config.app import SpotConfig, SpotInterruption
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.asg import AutoScalingGroup
    from fleetsim.sim.instance import Instance

SPOT_NOTICE_S = 120.0  # interruption notice two minutes before stop/terminate (§3)


class SpotMarket:
    """Interrupts the group's Spot instances.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        cfg: the Spot configuration.
        asg: the group the instances belong to (for capacity rebalancing and replacement).
        stream: returns the named random generator.
    """

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        cfg: SpotConfig,
        asg: AutoScalingGroup,
        stream: Callable[[str], np.random.Generator],
    ) -> None:
        self.env = env
        self.rec = rec
        self.cfg = cfg
        self.asg = asg
        self._interruptions = stream("spot.interruptions")
        self._choice = stream("spot.choice")
        self.noticed: set[Instance] = set()

    def start(self) -> None:
        """Schedule the scenario's interruption notices."""
        for entry in self.cfg.interruptions:
            self.env.process(self._scheduled(entry))

    def schedule(self, entry: SpotInterruption) -> None:
        """Send ``entry.count`` interruption notices at ``entry.at`` (a fault's burst)."""
        self.env.process(self._scheduled(entry))

    def watch(self, inst: Instance) -> None:
        """Subject a new Spot instance to random interruptions (if a rate is set)."""
        if self.cfg.interruption_rate > 0:
            # Drawn at creation for every instance, so the n-th instance's draw is the same
            # across variants.
            wait = float(self._interruptions.exponential(3600.0 / self.cfg.interruption_rate))
            self.env.process(self._random(inst, wait))

    def _random(self, inst: Instance, wait: float) -> Process:
        lead = self.cfg.rebalance_recommendation
        first = max(0.0, wait - lead) if lead is not None else wait
        yield self.env.timeout(first)
        if inst.state != "running":
            return  # ended meanwhile, or still booting (not interrupted here)
        yield from self._interrupt(inst, wait - first if lead is not None else None)

    def _scheduled(self, entry: SpotInterruption) -> Process:
        lead = self.cfg.rebalance_recommendation
        first = entry.at - lead if lead is not None else entry.at
        yield self.env.timeout(max(0.0, first))
        candidates = [
            i
            for i in self.asg.members("InService")
            if i.spot and i.state == "running" and i not in self.noticed
        ]
        if not candidates:
            self.rec.event(self.env.now, "spot.no_candidate", "spot", None, None, "")
            return
        picks = self._choice.permutation(len(candidates))[: entry.count]
        chosen = [candidates[int(k)] for k in picks]
        left = entry.at - self.env.now if lead is not None else None
        for inst in chosen[1:]:
            self.env.process(self._interrupt(inst, left))
        yield from self._interrupt(chosen[0], left)

    def _interrupt(self, inst: Instance, lead: float | None) -> Process:
        """Recommendation (if ``lead`` is not None), notice ``lead`` s later, end 120 s after."""
        if inst in self.noticed:
            return
        self.noticed.add(inst)
        if lead is not None:
            self.rec.event(
                self.env.now, "spot.rebalance_recommendation", "spot", inst.az, inst.name
            )
            if self.cfg.capacity_rebalance:
                self.asg.capacity_rebalance(inst)
            if lead > 0:
                yield self.env.timeout(lead)
        if inst.state != "running":
            return
        self.rec.event(self.env.now, "spot.interruption_notice", "spot", inst.az, inst.name)
        if self.cfg.capacity_rebalance:
            self.asg.capacity_rebalance(inst)
        yield self.env.timeout(SPOT_NOTICE_S)
        if inst.state != "running":
            return  # capacity rebalancing already terminated it
        self.rec.event(self.env.now, "spot.interrupted", "spot", inst.az, inst.name)
        inst.fail_in_flight("502 target_reset")
        inst.transition("shutting-down")
        self.asg.instance_stopped_running(inst)
