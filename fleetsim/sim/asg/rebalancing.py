"""Rebalancing: launch first, terminate once the launch is ready.

Ready means InService for an EC2-type group and a healthy target for an ELB-type group: AWS
waits for the new instance to pass its health check (fact sheet §8).

* AZ rebalancing (§2.3): after an AZ recovers the group launches in the smallest AZ, then, once
  that instance is ready, terminates one in the largest (default termination policy), and
  repeats until the AZs differ by at most one. Meanwhile the group may exceed its max by 10 % or
  one instance, whichever is greater.
* Spot Capacity Rebalancing (§2.10, §8): an instance with a rebalance recommendation gets a
  replacement now; it is terminated once its replacement is ready (the group may exceed its
  max meanwhile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetsim.sim.asg.membership import LifecycleState as S
from fleetsim.sim.asg.ports import GroupPart

if TYPE_CHECKING:
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.zones import Zone


class Rebalancing(GroupPart):
    """The group's AZ and Spot capacity rebalancing."""

    def zone_changed(self, zone: Zone) -> None:
        """An AZ went down or came back: on recovery, fill up and rebalance."""
        if zone.up:
            self.group.reconcile("AZ recovered")
            self._rebalance()

    def _rebalance(self) -> None:
        group = self.group
        roster = group.roster
        usable = {az: n for az, n in group.az_counts().items() if group.zones[az].up}
        if not usable or max(usable.values()) - min(usable.values()) <= 1:
            return
        if any(r.rebalancing for r in roster.records.values()):
            return  # one rebalancing launch at a time
        # Rebalancing may exceed max by 10 % or one instance, whichever is greater (§2.3).
        ceiling = group.max_size + max(1, int(0.1 * group.max_size))
        if len(roster.active()) >= ceiling:
            return
        smallest = min(usable, key=lambda az: usable[az])
        inst = group.launch("AZ rebalancing", az=smallest)
        if inst is not None:
            roster[inst].rebalancing = True

    def capacity_rebalance(self, inst: Instance) -> None:
        """Spot Capacity Rebalancing (§2.10): launch a replacement for ``inst`` now."""
        record = self.group.roster.get(inst)
        if record is None or record.state is not S.IN_SERVICE or record.replaced_by is not None:
            return
        new = self.group.launch(f"capacity rebalancing for {inst.name}")
        if new is not None:
            # Above desired until the Spot instance leaves: scale-in and reconcile ignore it.
            replacement = self.group.roster[new]
            replacement.surge = True
            replacement.replaces = inst
            record.replaced_by = new

    def launch_failed(self, inst: Instance) -> None:
        """``inst`` will never be ready: a Spot instance it replaced may be replaced again."""
        self._unlink(inst)

    def ready(self, inst: Instance) -> None:
        """``inst`` is ready (see the module docstring): retire what it takes over from."""
        group = self.group
        record = group.roster.get(inst)
        if record is None or record.state is not S.IN_SERVICE:
            return
        old = self._unlink(inst)
        if old is not None:
            record.surge = False
            if group.roster.state(old) is S.IN_SERVICE:
                group.retire(old, f"capacity rebalancing: replaced by {inst.name}")
        if record.rebalancing:
            record.rebalancing = False
            self._terminate_for_balance()

    def _unlink(self, inst: Instance) -> Instance | None:
        """Forget that ``inst`` replaces a Spot instance; return that instance."""
        record = self.group.roster.get(inst)
        old = None if record is None else record.replaces
        if record is None or old is None:
            return None
        record.replaces = None
        old_record = self.group.roster.get(old)
        if old_record is not None:
            old_record.replaced_by = None
        return old

    def _terminate_for_balance(self) -> None:
        records = self.group.roster.records.values()
        candidates = [r for r in records if r.state is S.IN_SERVICE and not r.protected]
        victim = self.group.pick_victim(candidates)
        if victim is None:
            return
        self.group.retire(victim, "AZ rebalancing")
        self._rebalance()
