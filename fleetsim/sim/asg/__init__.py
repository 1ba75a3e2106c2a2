"""The Auto Scaling group and its helpers (fact sheet §2).

Modules, one job each:

* :mod:`~fleetsim.sim.asg.group` — :class:`AutoScalingGroup`: desired capacity, launch and
  scale-in, AZ choice; the public face the world, policies, faults and deploys use.
* :mod:`~fleetsim.sim.asg.membership` — :class:`LifecycleState` and one :class:`Membership`
  record per instance, held by the :class:`Roster`.
* :mod:`~fleetsim.sim.asg.decisions` — :class:`ScalingDecision`, a typed change of desired.
* :mod:`~fleetsim.sim.asg.termination` — the default termination policy, a pure function.
* :mod:`~fleetsim.sim.asg.lifecycle` — boot or resume, lifecycle hooks, ELB, termination.
* :mod:`~fleetsim.sim.asg.warm_pool` — the warm pool.
* :mod:`~fleetsim.sim.asg.replacement` — health checks and replacement batches.
* :mod:`~fleetsim.sim.asg.rebalancing` — AZ rebalancing and Spot capacity rebalancing.
* :mod:`~fleetsim.sim.asg.refresh` — instance refresh.
* :mod:`~fleetsim.sim.asg.ports` — what the helpers may ask of the group (a Protocol).
"""

from fleetsim.sim.asg.decisions import Requester, ScalingDecision
from fleetsim.sim.asg.group import AutoScalingGroup
from fleetsim.sim.asg.membership import LifecycleState, Membership

__all__ = ["AutoScalingGroup", "LifecycleState", "Membership", "Requester", "ScalingDecision"]
