"""A target group: its targets, their health checks and draining, routing and stickiness.

The :class:`~fleetsim.sim.alb.LoadBalancer` in front owns the nodes and DNS and hands each request
to a target group (the listener's rule, weighted when a blue/green deploy runs two). The target
group does the rest (fact sheet §1; the full account is ``docs/alb.md``):

* Routing by ``round_robin``, ``least_outstanding_requests`` or ``weighted_random``
  (see :mod:`fleetsim.sim.alb_routing`), over the routable targets: the ``healthy`` ones, or, if
  fewer than ``minimum_healthy_targets`` (or ``minimum_healthy_percentage``) are healthy, every
  registered target — fail-open (§1.1). No registered targets: ``503 no_registered_targets``.
  Cross-zone load balancing off (§1.2): one pool per AZ, each node routing to its own AZ only.
* Health checks every ``interval`` per target, independent of response time;
  ``unhealthy_threshold`` consecutive failures make a target unhealthy, ``healthy_threshold``
  successes make it healthy again, and a newly registered target needs one passing check (§1.1).
  One checker per target stands for all nodes' checks. A check is an HTTP request (§8): by
  default it waits in the target's accept queue for a worker (:meth:`Instance.probe
  <fleetsim.sim.instance.Instance.probe>`) and fails if the queue is full or no answer comes
  within ``timeout``; a target that answers nothing (AZ down, impaired host) fails it after
  ``timeout``, one whose application is down refuses it at once. A check may hold a worker for
  ``cost`` seconds. A gray failure of the target's AZ loses checks in the share it loses requests
  (:class:`~fleetsim.sim.zones.Degradation`).
* Stickiness: the cookie names a target and its expiry is refreshed on every request; the
  algorithm picks only the first target; if the cookie's target is no longer routable a new one
  is picked (§1.2). ``app_cookie`` binds only while the user holds an application session.
* Slow start: a newly healthy target's share ramps linearly over ``slow_start`` seconds (§1.2).
* A target that cannot be reached: ``504 target_timeout`` after the fixed 10 s connect timeout; a
  target that refuses the connection: ``502 target_reset`` (§1.3, §1.4). A response not started
  within the load balancer's idle timeout: ``504 target_timeout`` at arrival + ``idle_timeout``;
  so are requests in flight on a target that went black (no RST, §8).
* Backend keep-alive (§9.10): the ALB reuses HTTP/1.1 connections to each target
  (:mod:`fleetsim.sim.keepalive`); an idle one closes after ``target_keepalive_timeout``, and
  an unhealthy target's idle connections are closed.
* Deregistration (draining, §1.2, §9.10): no new requests; deregistration completes once no
  request is in flight *and* no connection is open (the last idle one closes at its keep-alive
  timeout), or at ``deregistration_delay``, when requests still running fail
  ``502 deregistration_timeout``. Each drain's duration goes to the recorder.
* ``enabled: false`` (no load balancer): clients reach the group's single instance directly
  (:meth:`TargetGroup.handle_direct`); nothing checks it and nothing drains.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Final, cast

import simpy

from fleetsim.config.models import AlbConfig
from fleetsim.config.sampler import Uniforms
from fleetsim.sim.alb_routing import POOLS, Pool, Target
from fleetsim.sim.component import Component
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.entities import Request
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.rng import RandomStreams
    from fleetsim.sim.zones import Zone

__all__ = ["CONNECT_TIMEOUT_S", "TargetGroup"]

CONNECT_TIMEOUT_S: Final = 10.0  # target connect timeout, fixed at 10 s (§1.3)
_ROUTABLE_STATES = ("initial", "healthy", "unhealthy")  # registered and not draining
_EPS: Final = 1e-9


class TargetGroup(Component):
    """One target group: targets, health checks, draining, routing pools and stickiness.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        cfg: the ALB configuration (target-group settings included).
        azs: the enabled Availability Zones.
        streams: the run's named random streams.
        stream: name of its random stream (``alb``, ``<deploy>.alb``): health-check phases, the
            node choice of the requests the listener sends here, and a child stream spawned from
            it for routing draws (so routing never shifts the others).
        on_routed: called with (request, target) when a request reaches a live target.
        on_failed: called with (request, now, cause) when a request fails at the load balancer.
        zones: the AZs, for the health checks a gray failure loses (none: no gray failure).
        scope: its scope in the event rows (``alb.tg``, ``alb.tg.green``).
    """

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        cfg: AlbConfig,
        azs: list[str],
        streams: RandomStreams,
        stream: str,
        on_routed: Callable[[Request, Instance], None],
        on_failed: Callable[[Request, float, str], None],
        zones: Mapping[str, Zone] | None = None,
        scope: str = "alb.tg",
    ) -> None:
        super().__init__(env, rec, scope, streams)
        self._clock = env.clock
        self.cfg = cfg
        self.rng = self.stream(stream)
        self.azs = list(azs)
        self.targets: dict[Instance, Target] = {}
        #: Draws of this group's stream; the load balancer picks the node of a request sent here
        #: with them (before the split the target group stood for the load balancer).
        self.uniform = Uniforms(self.rng)
        pool_class = POOLS[cfg.algorithm]
        route_uniform = Uniforms(self.rng.spawn(1)[0])
        self.zonal = not cfg.cross_zone
        # Cross-zone on: one pool for every node; off: one pool per AZ (§1.2).
        self._pools: dict[str | None, Pool] = (
            {az: pool_class(route_uniform) for az in azs}
            if self.zonal
            else {None: pool_class(route_uniform)}
        )
        self._pool = self._pools.get(None)
        #: Cross-zone off: whether each AZ has a healthy target (else it leaves DNS, §1.5).
        self.zone_healthy = dict.fromkeys(azs, True)
        self._lor = cfg.enabled and cfg.algorithm == "least_outstanding_requests"
        self._sticky = cfg.stickiness.enabled
        self._app_cookie = cfg.stickiness.type == "app_cookie"
        self._sticky_s = cfg.stickiness.duration
        self._idle = cfg.idle_timeout
        self._slow_start = cfg.slow_start
        self._first_batch_at: float | None = None
        # Requests in service, in routing (hence arrival) order, for the idle timeout.
        self._open: deque[Request] = deque()
        self._open_timer = False
        self._keepalive = cfg.target_keepalive_timeout
        #: Requests the group received (routed to one of its targets): RequestCountPerTarget.
        self.received = 0
        # Requests carried by a backend connection now (released when their outcome comes).
        self._carried: set[Request] = set()
        self._on_routed = on_routed
        self.on_failed = on_failed
        self._direct = not cfg.enabled
        self._zones = zones
        self.target_listeners: list[Callable[[Instance, str], None]] = []
        #: Called with (az, has a healthy target) when that changes with cross-zone off.
        self.zone_health_listeners: list[Callable[[str, bool], None]] = []
        #: Another target group shares the listener: a cookie may name one of its targets.
        self.shared = False

    # --- routing (hot path) --------------------------------------------------------------

    def route(self, req: Request, now: float, az: str | None) -> None:
        """Route a request the node in ``az`` (None: any, cross-zone on) received."""
        pool = self._pool if az is None or not self.zonal else self._pools[az]
        assert pool is not None
        user = req.user
        target: Instance | None = None
        if self._sticky:
            sticky = user.sticky
            if (
                sticky is not None
                and sticky.routable
                and user.sticky_until > now
                and (not self.shared or sticky in self.targets)
                and (user.session is not None or not self._app_cookie)
            ):
                target = cast("Instance", sticky)  # only instances are registered
        if target is None:
            chosen = pool.pick(now)
            if chosen is None:
                self.on_failed(req, now, self._no_target_cause(pool))
                return
            target = chosen.instance
        if self._sticky:
            user.sticky = target
            user.sticky_until = now + self._sticky_s
        req.instance = target
        self.received += 1
        if self._lor:
            self._count_routed(target)
        if not target.reachable:
            self._clock.call_later(CONNECT_TIMEOUT_S, self._connect_timed_out, req)
        elif target.state != "running" or not target.app_up:
            self.on_failed(req, now, "502 target_reset")
        else:
            self._deliver(req, target)

    def _deliver(self, req: Request, target: Instance) -> None:
        # Hand the request to its target over a keep-alive connection (§9.10) and watch it for
        # the idle timeout.
        if not self._direct:
            self.targets[target].conns.take(self._clock.now)
            self._carried.add(req)
        self._on_routed(req, target)
        if not req.done:
            self._open.append(req)
            if not self._open_timer:
                self._arm_open_timer()

    def handle_direct(self, req: Request, now: float) -> None:
        """No load balancer: the client connects to the one instance it knows, or gets nothing."""
        target = next(iter(self.targets), None)
        req.instance = target
        if target is None or not target.reachable or target.state != "running" or not target.app_up:
            self.on_failed(req, now, "000 instance_down")
            return
        self._deliver(req, target)

    def _no_target_cause(self, pool: Pool) -> str:
        registered = self._members(pool) if self.zonal else self.targets
        # No registered target (in the group, or in this AZ with cross-zone off): 503 (§1.4).
        # Otherwise every target is draining (fail-open would route to any other).
        return "503 no_healthy_targets" if registered else "503 no_registered_targets"

    def _members(self, pool: Pool) -> list[Target]:
        az = next(a for a, p in self._pools.items() if p is pool)
        return [t for t in self.targets.values() if t.instance.az == az]

    def _count_routed(self, inst: Instance) -> None:
        target = self.targets[inst]
        pool = target.pool
        if pool is None:
            target.outstanding += 1
        else:
            pool.routed(target)

    def finished(self, req: Request) -> bool:
        """A request has its outcome: free its connection and LOR count; False if not ours."""
        inst = req.instance
        if inst is None:
            return True
        target = self.targets.get(cast("Instance", inst))
        if target is None:
            return False
        if self._lor:
            pool = target.pool
            if pool is None:
                target.outstanding -= 1
            else:
                pool.finished(target)
        carried = self._carried
        if req in carried:
            # The response went back: the connection waits, idle, for the next request.
            carried.remove(req)
            target.conns.release(self._clock.now)
        return True

    def _close_connection(self, req: Request) -> None:
        # The ALB gave up on the response (504): that connection is closed, not reused.
        if req in self._carried:
            self._carried.remove(req)
            target = self.targets.get(cast("Instance", req.instance))
            if target is not None:
                target.conns.drop()

    def _connect_timed_out(self, req: Request) -> None:
        self.on_failed(req, self._clock.now, "504 target_timeout")

    # --- idle timeout (§1.3: 60 s default; §1.4: 504 when no response in time) -----------

    def _arm_open_timer(self) -> None:
        self._open_timer = True
        delay = max(0.0, self._open[0].arrived + self._idle - self._clock.now)
        self._clock.call_later(delay, self._open_timeout, None)

    def _open_timeout(self, _arg: None) -> None:
        # Requests are routed in arrival order, so deadlines only grow along the deque: drop
        # the answered ones from its head, time out the expired ones (in service or still in
        # the target's accept queue), and wait for the next. Most are answered long before
        # their deadline, so this wakes about once per timeout, not once per request.
        self._open_timer = False
        open_ = self._open
        now = self.env.now
        limit = now - self._idle + _EPS
        while open_:
            req = open_[0]
            if not req.done:
                if req.arrived > limit:
                    break
                if req.started is None:
                    # Still waiting for a worker: it leaves the target's accept queue (unless
                    # a black-holed target dropped it already).
                    cast("Instance", req.instance).leave_queue(req)
                # In service, the target keeps working on it; the ALB has closed the connection.
                self._close_connection(req)
                self.on_failed(req, now, "504 target_timeout")
            open_.popleft()
        if open_:
            self._arm_open_timer()

    # --- the routable set ----------------------------------------------------------------

    def _rebuild(self) -> None:
        for key, pool in self._pools.items():
            members = [
                t
                for t in self.targets.values()
                if t.state in _ROUTABLE_STATES and (key is None or t.instance.az == key)
            ]
            healthy = [t for t in members if t.state == "healthy"]
            pool_was = pool.targets
            if self._healthy_enough(len(healthy), len(members)):
                pool.rebuild(healthy)
            else:
                # Fail open (§1.1): below the threshold, route to every registered target.
                pool.rebuild(members)
            for t in pool_was:
                t.instance.routable = False
            if key is not None and bool(healthy) != self.zone_healthy[key]:
                # Cross-zone off: an AZ with no healthy target leaves DNS (§1.5).
                self.zone_healthy[key] = bool(healthy)
                for listener in self.zone_health_listeners:
                    listener(key, bool(healthy))
        for pool in self._pools.values():
            for t in pool.targets:
                t.instance.routable = True

    def _healthy_enough(self, healthy: int, registered: int) -> bool:
        if healthy < self.cfg.minimum_healthy_targets:
            return False
        pct = self.cfg.minimum_healthy_percentage
        return pct is None or healthy >= math.ceil(pct / 100.0 * registered - _EPS)

    @property
    def routable(self) -> list[Instance]:
        """The instances any node may route a new request to now."""
        return [t.instance for pool in self._pools.values() for t in pool.targets]

    # --- registration and health checks --------------------------------------------------

    def register(self, inst: Instance, healthy: bool = False) -> None:
        """Register an instance; it starts ``initial`` (or ``healthy`` for the warm start)."""
        now = self.env.now
        if self._direct:
            # Nothing checks it: clients use the instance as soon as it is in service.
            self.targets[inst] = Target(inst, "healthy")
            return
        target = Target(inst, "healthy" if healthy else "initial", self._keepalive)
        # Targets already healthy and the first batch into an empty group skip slow start (§1.2).
        if not self.targets:
            self._first_batch_at = now
        target.skip_slow_start = healthy or self._first_batch_at == now
        self.targets[inst] = target
        self.log(f"target.{target.state}", inst.az, inst.name)
        self._rebuild()
        self.env.process(self._health_checker(target))

    def deregister(self, inst: Instance, on_drained: Callable[[Instance], None]) -> None:
        """Drain ``inst``; call ``on_drained`` once no request remains or the delay ends."""
        target = self.targets.get(inst)
        if target is None:
            on_drained(inst)
            return
        if self._direct:
            # No load balancer, no draining: requests still running fail when it terminates.
            del self.targets[inst]
            on_drained(inst)
            return
        self._set_state(target, "draining")
        self.env.process(self._drain(target, on_drained))

    def _drain(self, target: Target, on_drained: Callable[[Instance], None]) -> Process:
        inst = target.instance
        env = self.env
        began = env.now
        # deregistration delay default 300 s (§1.2): in-flight requests may finish until then
        deadline = began + self.cfg.deregistration_delay
        while env.now < deadline:
            if inst.in_flight:
                # Polling once a second is cheap and keeps requests free of drain bookkeeping.
                yield env.timeout(min(1.0, deadline - env.now))
                continue
            # Nothing in flight: done once the last keep-alive connection has closed (§9.10).
            # A stopped instance or a dead process holds none.
            live = inst.state == "running" and inst.app_up
            closes = target.conns.closes_at() if live else env.now
            if closes <= env.now:
                break
            yield env.timeout(min(closes, deadline) - env.now)
        if inst.in_flight:
            # Delay expired with requests still running: 502 (§1.4, §9.10).
            inst.fail_in_flight("502 deregistration_timeout")
        del self.targets[inst]
        took = env.now - began
        self.rec.target_drained(took)
        self.log("target.unused", inst.az, inst.name, f"deregistered after {took:.6g} s")
        on_drained(inst)

    def set_health(self, inst: Instance, state: str) -> None:
        """Force the target's state (tests and operator actions); normally checks do this."""
        self._set_state(self.targets[inst], state)

    def _set_state(self, target: Target, state: str) -> None:
        if target.state == state:
            return
        now = self.env.now
        target.state = state
        if state == "healthy" and self._slow_start and not target.skip_slow_start:
            # Slow start: the share ramps linearly after the target becomes healthy (§1.2).
            target.ramp_from = now
            target.ramp_until = now + self._slow_start
        elif state != "healthy":
            target.ramp_until = 0.0  # becoming unhealthy ends slow start (§1.2)
        if state == "unhealthy":
            target.conns.close_idle()  # connections to unhealthy targets are closed (§9.10)
        inst = target.instance
        self.log(f"target.{state}", inst.az, inst.name)
        self._rebuild()
        for listener in self.target_listeners:
            listener(inst, state)

    def _check_lost(self, inst: Instance) -> bool:
        # A gray failure (az_degraded) loses health checks in the share it loses requests.
        if self._zones is None:
            return False
        gray = self._zones[inst.az].degradation
        return gray is not None and gray.lost()

    def _check(self, inst: Instance) -> Generator[simpy.Event, Any, bool]:
        # One health check (§1.1): True if it passes. It returns when the verdict is known:
        # a refused connection at once, no answer after the timeout, an answer when it comes.
        hc = self.cfg.health_check
        if inst.state == "running" and inst.reachable and not inst.app_up:
            return False  # the host answers, nothing listens: connection refused (RST)
        if not inst.alive or self._check_lost(inst):
            yield self.env.timeout(hc.timeout)  # no answer: it times out
            return False
        if not hc.through_queue:
            if hc.cost > 0 and inst.busy < inst.workers:
                inst.hold_worker(hc.cost)  # a passing check holds a free worker
            return True
        # The check is an HTTP request (§8): it waits in the accept queue for a worker like
        # one, and fails if the queue is full or no answer comes within the timeout.
        answered = self.env.event()

        def answer() -> None:
            if not answered.triggered and inst.alive:
                answered.succeed()

        probe = inst.probe(hc.cost, answer)
        if not answered.triggered:
            yield answered | self.env.timeout(hc.timeout)
        if answered.triggered:
            return True
        if probe is not None:
            inst.withdraw_probe(probe)
        return False

    def _health_checker(self, target: Target) -> Process:
        hc = self.cfg.health_check
        inst = target.instance
        # Checks of different targets are not synchronised: a random phase within one interval.
        yield self.env.timeout(self.rng.random() * hc.interval)
        while target.state not in ("draining", "unused") and inst.state != "terminated":
            started = self.env.now
            passed = yield from self._check(inst)
            if target.state in ("draining", "unused"):
                return
            if passed:
                target.successes += 1
                target.failures = 0
                # A new target needs one passing check; an unhealthy one healthy_threshold (§1.1).
                if target.state == "initial" or (
                    target.state == "unhealthy" and target.successes >= hc.healthy_threshold
                ):
                    self._set_state(target, "healthy")
            else:
                target.failures += 1
                target.successes = 0
                if target.state != "unhealthy" and target.failures >= hc.unhealthy_threshold:
                    self._set_state(target, "unhealthy")
            # The interval does not depend on how long the target takes to respond (§1.1).
            yield self.env.timeout(max(0.0, started + hc.interval - self.env.now))

    # --- metrics -------------------------------------------------------------------------

    def healthy_count(self) -> int:
        """Number of targets currently ``healthy``."""
        return sum(1 for t in self.targets.values() if t.state == "healthy")

    def registered_count(self) -> int:
        """Number of registered targets (not draining)."""
        return sum(1 for t in self.targets.values() if t.state in _ROUTABLE_STATES)

    def host_counts(self) -> dict[str, tuple[int, int]]:
        """``HealthyHostCount`` and ``UnHealthyHostCount`` now, per AZ (for CloudWatch)."""
        counts = {az: [0, 0] for az in self.azs}
        for t in self.targets.values():
            if t.state == "healthy":
                counts[t.instance.az][0] += 1
            elif t.state == "unhealthy":
                counts[t.instance.az][1] += 1
        return {az: (h, u) for az, (h, u) in counts.items()}
