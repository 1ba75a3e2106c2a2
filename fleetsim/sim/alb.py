"""The Application Load Balancer: nodes per AZ, health checks, routing, stickiness, draining.

What is modelled (sources in the fact sheet §1):

* One ALB node per enabled AZ. Clients pick a node from DNS per request; a node whose AZ has
  failed answers nothing (``000 alb_node_down``) until DNS stops handing it out
  ``dns_failover_delay`` seconds later (§6: Route 53 detection plus propagation).
* Cross-zone load balancing is on (the ALB default, §1.3): every node routes to targets in all AZs.
* Round robin over the routable targets (§1.2 default). Routable means ``healthy``; if fewer than
  ``minimum_healthy_targets`` are healthy the ALB fails open and routes to every registered
  target (§1.1). No registered targets: ``503 no_registered_targets`` (§1.4).
* Health checks every ``interval`` per target, independent of response time; a failing check
  takes ``timeout`` to fail; ``unhealthy_threshold`` consecutive failures make a target
  unhealthy, ``healthy_threshold`` successes make it healthy again, and a newly registered target
  needs one passing check (§1.1). One checker per target stands for all nodes' checks.
* Stickiness (``lb_cookie``): the cookie names a target and its expiry is refreshed on every
  request; if that target is no longer routable the ALB picks a new one (§1.2).
* A target that cannot be reached: ``504 target_timeout`` after the fixed 10 s connect timeout;
  a target that refuses the connection: ``502 target_reset`` (§1.3, §1.4).
* Deregistration (draining): no new requests; in-flight ones may finish until
  ``deregistration_delay``, after which those left fail ``502 deregistration_timeout`` (§1.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import numpy as np

from fleetsim.config.models import AlbConfig
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.entities import Request
    from fleetsim.sim.instance import Instance

CONNECT_TIMEOUT_S = 10.0  # target connect timeout, fixed at 10 s (§1.3)
_BLOCK = 4096


class Target:
    """A registration of one instance in the target group.

    Attributes:
        instance: the registered instance.
        state: ``initial``, ``healthy``, ``unhealthy``, ``draining`` or ``unused``.
        successes: consecutive passing checks.
        failures: consecutive failing checks.
    """

    __slots__ = ("failures", "instance", "state", "successes")

    def __init__(self, instance: Instance, state: str) -> None:
        self.instance = instance
        self.state = state
        self.successes = 0
        self.failures = 0


class LoadBalancer:
    """An ALB with one target group.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        cfg: the ALB configuration.
        azs: the enabled Availability Zones (one node each).
        rng: the ``alb`` random stream (node choice, health-check phase).
        on_routed: called with (request, target) when a request reaches a live target.
        on_failed: called with (request, now, cause) when the ALB fails a request.
    """

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        cfg: AlbConfig,
        azs: list[str],
        rng: np.random.Generator,
        on_routed: Callable[[Request, Instance], None],
        on_failed: Callable[[Request, float, str], None],
    ) -> None:
        self.env = env
        self.rec = rec
        self.cfg = cfg
        self.rng = rng
        self.node_up = dict.fromkeys(azs, True)
        self.dns: list[str] = list(azs)
        self._dead_in_dns = False
        self.targets: dict[Instance, Target] = {}
        self.routable: list[Instance] = []
        self._rr = 0
        self._sticky = cfg.stickiness.enabled
        self._sticky_s = cfg.stickiness.duration
        self._on_routed = on_routed
        self._on_failed = on_failed
        self._u: list[float] = []
        self.target_listeners: list[Callable[[Instance, str], None]] = []

    # --- routing (hot path) --------------------------------------------------------------

    def _uniform(self) -> float:
        if not self._u:
            self._u = self.rng.random(_BLOCK).tolist()
        return self._u.pop()

    def handle(self, req: Request) -> None:
        """Route one request arriving from a client."""
        now = self.env.now
        if self._dead_in_dns:
            # Only while a dead node is still handed out does the client's choice matter.
            dns = self.dns
            if not self.node_up[dns[int(self._uniform() * len(dns))]]:
                self._on_failed(req, now, "000 alb_node_down")
                return
        user = req.user
        target: Instance | None = None
        if self._sticky:
            sticky = user.sticky
            if sticky is not None and sticky.routable and user.sticky_until > now:
                target = sticky
        if target is None:
            routable = self.routable
            if not routable:
                cause = (
                    "503 no_registered_targets" if not self.targets else "503 no_healthy_targets"
                )
                self._on_failed(req, now, cause)
                return
            self._rr = (self._rr + 1) % len(routable)
            target = routable[self._rr]
        if self._sticky:
            user.sticky = target
            user.sticky_until = now + self._sticky_s
        req.instance = target
        if not target.reachable:
            timeout = self.env.timeout(CONNECT_TIMEOUT_S, req)
            timeout.callbacks.append(self._connect_timed_out)
        elif target.state != "running" or not target.app_up:
            self._on_failed(req, now, "502 target_reset")
        else:
            self._on_routed(req, target)

    def _connect_timed_out(self, event: simpy.Event) -> None:
        self._on_failed(cast("Request", event.value), self.env.now, "504 target_timeout")

    def _rebuild(self) -> None:
        targets = self.targets.values()
        healthy = [t.instance for t in targets if t.state == "healthy"]
        if len(healthy) >= self.cfg.minimum_healthy_targets:
            chosen = healthy
        else:
            # Fail open (§1.1): below the threshold, route to every registered target.
            chosen = [t.instance for t in targets if t.state in ("initial", "healthy", "unhealthy")]
        for inst in self.routable:
            inst.routable = False
        for inst in chosen:
            inst.routable = True
        self.routable = chosen

    # --- nodes and DNS -------------------------------------------------------------------

    def node_failed(self, az: str) -> None:
        """The AZ's node stops answering; DNS drops it after ``dns_failover_delay``."""
        self.node_up[az] = False
        self._dns_updated()
        self.rec.event(self.env.now, "alb.node_down", "alb", az)
        self.env.process(self._dns_change(az, present=False))

    def node_recovered(self, az: str) -> None:
        """The AZ's node answers again; DNS hands it out after ``dns_failover_delay``."""
        self.node_up[az] = True
        self._dns_updated()
        self.rec.event(self.env.now, "alb.node_up", "alb", az)
        self.env.process(self._dns_change(az, present=True))

    def _dns_change(self, az: str, present: bool) -> Process:
        yield self.env.timeout(self.cfg.dns_failover_delay)
        if self.node_up[az] != present:
            return  # the node changed state again meanwhile
        if present and az not in self.dns:
            self.dns.append(az)
            self.dns.sort()
        elif not present and az in self.dns and len(self.dns) > 1:
            self.dns.remove(az)
        self._dns_updated()
        self.rec.event(self.env.now, "alb.dns_" + ("added" if present else "removed"), "alb", az)

    def _dns_updated(self) -> None:
        self._dead_in_dns = any(not self.node_up[az] for az in self.dns)

    # --- registration and health checks --------------------------------------------------

    def register(self, inst: Instance, healthy: bool = False) -> None:
        """Register an instance; it starts ``initial`` (or ``healthy`` for the warm start)."""
        target = Target(inst, "healthy" if healthy else "initial")
        self.targets[inst] = target
        self.rec.event(self.env.now, f"target.{target.state}", "alb.tg", inst.az, inst.name)
        self._rebuild()
        self.env.process(self._health_checker(target))

    def deregister(self, inst: Instance, on_drained: Callable[[Instance], None]) -> None:
        """Drain ``inst``; call ``on_drained`` once no request remains or the delay ends."""
        target = self.targets.get(inst)
        if target is None:
            on_drained(inst)
            return
        self._set_state(target, "draining")
        self.env.process(self._drain(target, on_drained))

    def _drain(self, target: Target, on_drained: Callable[[Instance], None]) -> Process:
        inst = target.instance
        deadline = self.env.now + self.cfg.deregistration_delay
        # In-flight requests finish; polling once a second is cheap and keeps requests free of
        # drain bookkeeping.
        while inst.in_flight and self.env.now < deadline:
            yield self.env.timeout(min(1.0, deadline - self.env.now))
        if inst.in_flight:
            inst.fail_in_flight("502 deregistration_timeout")
        del self.targets[inst]
        self.rec.event(self.env.now, "target.unused", "alb.tg", inst.az, inst.name)
        on_drained(inst)

    def _set_state(self, target: Target, state: str) -> None:
        if target.state == state:
            return
        target.state = state
        inst = target.instance
        self.rec.event(self.env.now, f"target.{state}", "alb.tg", inst.az, inst.name)
        self._rebuild()
        for listener in self.target_listeners:
            listener(inst, state)

    def _health_checker(self, target: Target) -> Process:
        hc = self.cfg.health_check
        inst = target.instance
        # Checks of different targets are not synchronised: a random phase within one interval.
        yield self.env.timeout(self.rng.random() * hc.interval)
        while target.state not in ("draining", "unused") and inst.state != "terminated":
            started = self.env.now
            if inst.alive:
                target.successes += 1
                target.failures = 0
                if target.state == "initial" or (
                    target.state == "unhealthy" and target.successes >= hc.healthy_threshold
                ):
                    self._set_state(target, "healthy")
            else:
                yield self.env.timeout(hc.timeout)
                if target.state in ("draining", "unused"):
                    return
                target.failures += 1
                target.successes = 0
                if target.state != "unhealthy" and target.failures >= hc.unhealthy_threshold:
                    self._set_state(target, "unhealthy")
            yield self.env.timeout(max(0.0, started + hc.interval - self.env.now))

    def healthy_count(self) -> int:
        """Number of targets currently ``healthy``."""
        return sum(1 for t in self.targets.values() if t.state == "healthy")
