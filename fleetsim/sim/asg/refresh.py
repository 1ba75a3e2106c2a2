"""Instance refresh: replace every instance on an older launch template, batch by batch (§2.9).

A refresh moves the group to a new launch template version. Each batch launches up to
MaxHealthyPercentage of desired first (above desired: a surge), terminates down to
MinHealthyPercentage, then waits for its new instances to be InService and past the instance
warmup (ELB health checks: with a healthy target too, fact sheet §8) before the next batch;
surged instances then each let one more old instance go.
Checkpoints, skip-matching and rollback are not modelled.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fleetsim.sim.asg.ports import LAUNCH_RETRY_S, GroupPart
from fleetsim.sim.asg.replacement import replacement_warmup, wait_ready
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.sim.instance import Instance

REASON = "instance refresh"


class InstanceRefresh(GroupPart):
    """Starts and runs the group's instance refreshes."""

    def start(self, lo: int | None, hi: int | None, warmup: float | None) -> simpy.Process:
        """Start a refresh onto a new launch template; None takes the configured default.

        Args:
            lo: MinHealthyPercentage (default from config).
            hi: MaxHealthyPercentage (default from config).
            warmup: instance warmup (default: config, else DefaultInstanceWarmup, else the
                grace period).
        """
        prefs = self.group.cfg.instance_refresh
        lo = prefs.min_healthy_percentage if lo is None else lo
        hi = prefs.max_healthy_percentage if hi is None else hi
        if warmup is None:
            warmup = prefs.instance_warmup
        if warmup is None:
            warmup = replacement_warmup(self.group.cfg)
        self.group.template += 1
        return self.env.process(self._run(self.group.template, lo, hi, warmup))

    def _retire_one_old(self, version: int) -> bool:
        """Retire the default policy's pick among instances on an older template, if any."""
        group = self.group
        old = [r for r in group.roster.active() if r.template < version]
        victim = group.pick_victim(old)
        if victim is None:
            return False
        group.retire(victim, REASON)
        return True

    def _run(self, version: int, lo: int, hi: int, warmup: float) -> Process:
        group = self.group
        roster = group.roster
        group.log(
            "asg.instance_refresh.start",
            detail=f"template={version} min_healthy={lo}% max_healthy={hi}% warmup={warmup:g}",
        )
        while any(r.template < version for r in roster.active()):
            desired = group.desired
            old = sum(1 for r in roster.active() if r.template < version)
            floor = math.ceil(desired * lo / 100)
            ceiling = max(desired, math.floor(desired * hi / 100))
            batch = min(old, max(1, ceiling - floor))
            surge = min(batch, ceiling - desired)
            launched: list[Instance] = []
            for _ in range(surge):
                inst = group.launch(REASON)
                if inst is None:
                    break
                roster[inst].surge = True
                launched.append(inst)
            for _ in range(batch - surge):
                if not self._retire_one_old(version):
                    break
            launched += group.reconcile(REASON)
            yield from wait_ready(group, launched, warmup)
            surged = [roster[i] for i in launched if i in roster and roster[i].surge]
            for record in surged:
                record.surge = False
            for _ in surged:
                self._retire_one_old(version)
            if not launched and not surged:
                yield self.env.timeout(LAUNCH_RETRY_S)  # nothing could launch: try again later
        group.log("asg.instance_refresh.done", detail=f"template={version}")
