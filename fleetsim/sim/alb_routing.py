"""Target-group routing: targets, and the three algorithms an ALB offers (fact sheet §1.2).

A *pool* is the set of targets one ALB node may route to: the whole target group with cross-zone
load balancing on, the node's own AZ with it off. Each algorithm is a pool class with the same
small interface, and costs O(1) per request:

* :class:`RoundRobin` — the targets in turn.
* :class:`WeightedRandom` — a uniformly random target (every ALB target has the same weight;
  Automatic Target Weights / anomaly mitigation is not modelled: AWS does not publish it).
* :class:`LeastOutstanding` — the target with the fewest requests the ALB has sent it and not yet
  seen finish. Targets sit in buckets keyed by that count; the lowest non-empty bucket is tracked,
  so routing, a new request and a finished one are each O(1). Ties go to the target that has been
  at that count the longest.

Slow start (§1.2): a target that has just become healthy has a weight rising linearly from 0 to 1
over ``slow_start`` seconds. Round robin and weighted random apply it by rejection — a ramping
target chosen by the algorithm is taken with probability equal to its weight, otherwise the
algorithm moves on — so its share of requests is proportional to its weight, at an expected O(1)
cost. (LOR cannot be combined with slow start, as in AWS.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetsim.config.sampler import Uniforms
from fleetsim.sim.keepalive import Connections

if TYPE_CHECKING:
    from fleetsim.sim.instance import Instance


class Target:
    """A registration of one instance in the target group.

    Attributes:
        instance: the registered instance.
        state: ``initial``, ``healthy``, ``unhealthy``, ``draining`` or ``unused``.
        successes: consecutive passing checks.
        failures: consecutive failing checks.
        outstanding: requests the ALB routed here that have no outcome yet (kept for LOR).
        ramp_from: when slow start began (it ends at ``ramp_until``).
        ramp_until: end of slow start; a target at or past it has full weight.
        skip_slow_start: registered in the first batch into an empty group (§1.2).
        pool: the pool whose routable set holds the target, if any.
        conns: the load balancer's keep-alive connections to it (§9.10).
    """

    __slots__ = (
        "conns",
        "failures",
        "instance",
        "outstanding",
        "pool",
        "ramp_from",
        "ramp_until",
        "skip_slow_start",
        "state",
        "successes",
    )

    def __init__(self, instance: Instance, state: str, keepalive: float = 75.0) -> None:
        self.instance = instance
        self.conns = Connections(keepalive)
        self.state = state
        self.successes = 0
        self.failures = 0
        self.outstanding = 0
        self.ramp_from = 0.0
        self.ramp_until = 0.0
        self.skip_slow_start = False
        self.pool: Pool | None = None


class Pool:
    """The routable targets of one ALB node, and the algorithm choosing among them.

    Args:
        uniform: the source of uniform draws (slow start, weighted random).
    """

    def __init__(self, uniform: Uniforms) -> None:
        self.targets: list[Target] = []
        self._uniform = uniform

    def rebuild(self, targets: list[Target]) -> None:
        """Replace the routable set (a health change: rare, so O(n) is fine)."""
        for t in self.targets:
            if t.pool is self:
                t.pool = None
        for t in targets:
            t.pool = self
        self.targets = targets

    def pick(self, now: float) -> Target | None:
        """Return the target for a new request, or None if the pool is empty."""
        raise NotImplementedError

    def routed(self, target: Target) -> None:
        """A request was sent to ``target``."""

    def finished(self, target: Target) -> None:
        """A request sent to ``target`` has its outcome."""

    def _accept(self, t: Target, now: float) -> bool:
        # Slow start: weight rises linearly from 0 to 1 between ramp_from and ramp_until.
        if t.ramp_until <= now:
            return True
        return self._uniform() * (t.ramp_until - t.ramp_from) < now - t.ramp_from


class RoundRobin(Pool):
    """Each target in turn (the ALB default, §1.2)."""

    def __init__(self, uniform: Uniforms) -> None:
        super().__init__(uniform)
        self._last = 0

    def pick(self, now: float) -> Target | None:
        """Return the next target in turn (skipping a ramping one with probability 1 − weight)."""
        targets = self.targets
        n = len(targets)
        if not n:
            return None
        i = self._last
        # Each target is visited once per turn, so a ramping one's share is its weight; after a
        # whole turn of refusals (every target ramping) the last one visited is taken.
        for _ in range(n):
            i = (i + 1) % n
            t = targets[i]
            if t.ramp_until <= now or self._accept(t, now):  # inline the common full weight
                break
        self._last = i
        return targets[i]


class WeightedRandom(Pool):
    """A uniformly random target; weights come only from slow start (§1.2)."""

    def pick(self, now: float) -> Target | None:
        """Return a random target (a ramping one taken with probability equal to its weight)."""
        targets = self.targets
        n = len(targets)
        if not n:
            return None
        u = self._uniform
        t = targets[int(u() * n)]
        for _ in range(4 * n):
            if self._accept(t, now):
                break
            t = targets[int(u() * n)]
        return t


class LeastOutstanding(Pool):
    """The target with the fewest outstanding requests, in O(1) via buckets (§1.2)."""

    def __init__(self, uniform: Uniforms) -> None:
        super().__init__(uniform)
        # outstanding count → targets at that count, in the order they arrived there (a dict is
        # an insertion-ordered set, so ties break deterministically).
        self._buckets: dict[int, dict[Target, None]] = {}
        self._min = 0

    def rebuild(self, targets: list[Target]) -> None:
        """Replace the routable set and rebuild the buckets."""
        super().rebuild(targets)
        buckets: dict[int, dict[Target, None]] = {}
        for t in targets:
            buckets.setdefault(t.outstanding, {})[t] = None
        self._buckets = buckets
        self._min = min(buckets) if buckets else 0

    def pick(self, now: float) -> Target | None:
        """Return the least-loaded target (the longest at that load on ties)."""
        if not self.targets:
            return None
        return next(iter(self._buckets[self._min]))

    def routed(self, target: Target) -> None:
        """Move ``target`` up one bucket."""
        k = target.outstanding
        target.outstanding = k + 1
        if target.pool is not self:
            return
        buckets = self._buckets
        bucket = buckets[k]
        del bucket[target]
        if not bucket:
            del buckets[k]
            if k == self._min:
                self._min = k + 1  # target itself is there now
        above = buckets.get(k + 1)
        if above is None:
            buckets[k + 1] = {target: None}
        else:
            above[target] = None

    def finished(self, target: Target) -> None:
        """Move ``target`` down one bucket."""
        k = target.outstanding
        target.outstanding = k - 1
        if target.pool is not self:
            return
        buckets = self._buckets
        bucket = buckets[k]
        del bucket[target]
        if not bucket:
            del buckets[k]
        below = buckets.get(k - 1)
        if below is None:
            buckets[k - 1] = {target: None}
        else:
            below[target] = None
        if k - 1 < self._min:
            self._min = k - 1


POOLS: dict[str, type[Pool]] = {
    "round_robin": RoundRobin,
    "weighted_random": WeightedRandom,
    "least_outstanding_requests": LeastOutstanding,
}
"""Pool class by ``alb.algorithm``."""
