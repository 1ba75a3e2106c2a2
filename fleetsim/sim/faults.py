"""The fault schedule: AZ outages (and, later, other faults and operations) on a timeline.

An ``az_outage`` marks the AZ down at ``at`` and up again ``duration`` seconds later. Everything
in the AZ listens to its :class:`~fleetsim.sim.zones.Zone`: the ALB node stops answering, the
instances there stop answering (requests in flight on them fail), and the ASG can no longer
launch there; when the AZ returns, the ASG rebalances.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetsim.config.models import AzOutage
from fleetsim.sim.types import Process
from fleetsim.sim.zones import Zone

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder


class FaultSchedule:
    """Runs the scenario's faults at their times.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        faults: the scenario's fault list.
        zones: the AZs by name.
    """

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        faults: list[AzOutage],
        zones: dict[str, Zone],
    ) -> None:
        self.env = env
        self.rec = rec
        self.faults = faults
        self.zones = zones

    def start(self) -> None:
        """Schedule every fault."""
        for fault in self.faults:
            self.env.process(self._az_outage(fault))

    def _az_outage(self, fault: AzOutage) -> Process:
        yield self.env.timeout(fault.at)
        self.rec.event(self.env.now, "fault.az_outage.start", "faults", fault.az)
        self.zones[fault.az].set_up(False)
        yield self.env.timeout(fault.duration)
        self.rec.event(self.env.now, "fault.az_outage.end", "faults", fault.az)
        self.zones[fault.az].set_up(True)
