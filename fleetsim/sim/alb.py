"""The Application Load Balancer: nodes per AZ, DNS, and the listener's target groups.

What is modelled here (sources in the fact sheet §1; the full account is ``docs/alb.md``); the
targets, their health, routing and stickiness belong to the target groups
(:class:`~fleetsim.sim.target_group.TargetGroup`):

* One ALB node per enabled AZ, handed out by DNS. A node whose AZ has failed answers nothing;
  DNS stops handing it out ``dns_withdrawal_delay`` seconds later (§6: Route 53 detection plus
  propagation; §8: AWS withdraws an impaired zone's node). Which node a request reaches is the
  client's business (:mod:`fleetsim.sim.clients`: cached answers, keep-alive connections,
  trying the next address); one that reaches a dead node fails ``000 alb_node_down``.
* Cross-zone load balancing on (the ALB default, §1.3): every node routes to targets in all AZs.
  Off (per target group, §1.2): a node routes only to its own AZ's targets, and an AZ with no
  healthy target leaves DNS after ``dns_withdrawal_delay`` (§1.5).
* The listener forwards to one target group, or to two with weights (a blue/green deploy, §1.2):
  each new request picks a target group by weight. Target-group stickiness is not modelled.
* ``enabled: false`` (no load balancer): no nodes, no DNS; the target group hands requests
  straight to its instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fleetsim.config.models import AlbConfig
from fleetsim.sim.clients import Attempt, ClientModel
from fleetsim.sim.component import Component
from fleetsim.sim.target_group import CONNECT_TIMEOUT_S, TargetGroup
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.entities import Request
    from fleetsim.sim.rng import RandomStreams
    from fleetsim.sim.zones import Zone

__all__ = ["CONNECT_TIMEOUT_S", "LoadBalancer"]

NODE_DOWN = "000 alb_node_down"


class LoadBalancer(Component):
    """An ALB: one node per AZ, DNS over the nodes, a listener forwarding to target groups.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        cfg: the ALB configuration.
        streams: the run's named random streams.
        azs: the enabled Availability Zones (one node each).
        scope: its scope in the event rows.
    """

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        cfg: AlbConfig,
        streams: RandomStreams,
        azs: list[str],
        scope: str = "alb",
    ) -> None:
        super().__init__(env, rec, scope, streams)
        self._clock = env.clock
        self.cfg = cfg
        self.azs = list(azs)
        self.node_up = dict.fromkeys(azs, True)
        self.dns: list[str] = list(azs)
        #: The DNS answer clients get now (a tuple shared by every client that took it).
        self.answer: tuple[str, ...] = tuple(self.dns)
        self.clients = ClientModel(
            cfg.clients, self.stream("alb.clients"), cfg.idle_timeout, cfg.client_keep_alive
        )
        self._zonal = not cfg.cross_zone
        self._direct = not cfg.enabled
        self.target_groups: list[TargetGroup] = []
        # Weighted target groups (a blue/green deploy): a share of new requests goes to the
        # second target group.
        self._other: TargetGroup | None = None
        self._other_share = 0.0
        self._other_uniform: Callable[[], float] = _never

    def attach(self, tg: TargetGroup) -> None:
        """Put a target group behind this load balancer (the first one gets every request)."""
        self.target_groups.append(tg)
        tg.zone_health_listeners.append(self._zone_health_changed)

    def zone_changed(self, zone: Zone) -> None:
        """An AZ failed or recovered: its node stops or resumes answering."""
        if zone.up:
            self.node_recovered(zone.name)
        else:
            self.node_failed(zone.name)

    # --- the listener (hot path) ---------------------------------------------------------

    def handle(self, req: Request) -> None:
        """Route one request arriving from a client."""
        now = self._clock.now
        tg = self.target_groups[0]
        if self._direct:
            tg.handle_direct(req, now)
            return
        other = self._other
        if other is not None and self._other_uniform() < self._other_share:
            tg = other
        user = req.user
        client = user.client
        if client is None:
            client = user.client = self.clients.new_client()
        az = self.clients.pinned(client, now)
        if az is None:
            client.resolve(now, self.answer)
            self._connect(req, tg, Attempt(client.answer, client.first), now)
        elif self.node_up[az]:
            tg.route(req, now, az)
        else:
            # The node died under the client's keep-alive connection: what it sends fails (§8).
            client.node = None
            tg.on_failed(req, now, NODE_DOWN)

    def _connect(self, req: Request, tg: TargetGroup, attempt: Attempt, now: float) -> None:
        # Connect to the attempt's address; a dead node answers nothing, so the attempt fails
        # only after the client's connect timeout (§8, §9.9).
        az = attempt.address()
        if not self.node_up[az]:
            self._clock.call_later(
                self.clients.connect_timeout, self._connect_failed, (req, tg, attempt)
            )
            return
        client = req.user.client
        assert client is not None
        self.clients.connected(client, az, now)
        if attempt.tried:
            # The request reaches the ALB only now; the client's wait counts in its latency.
            req.waited = now - req.arrived
            req.arrived = now
        tg.route(req, now, az)

    def _connect_failed(self, arg: tuple[Request, TargetGroup, Attempt]) -> None:
        req, tg, attempt = arg
        client = req.user.client
        assert client is not None
        attempt.tried += 1
        if client.next_address and attempt.tried < len(attempt.answer):
            self._connect(req, tg, attempt, self._clock.now)  # browsers try the next (§9.9)
        else:
            tg.on_failed(req, self._clock.now, NODE_DOWN)

    def finished(self, req: Request) -> None:
        """A request has its outcome (ok or failed): its connection and LOR count are freed."""
        for tg in self.target_groups:
            if tg.finished(req):
                return

    def forward(self, second: TargetGroup, share: float, uniform: Callable[[], float]) -> None:
        """Weighted target groups: send ``share`` (0–1) of new requests to ``second``.

        A listener rule forwarding to two target groups with weights (§1.2); the cookie of one
        target group's stickiness does not bind a request the weights sent to the other, whose
        algorithm picks a new target. Target-group stickiness is not modelled.

        Args:
            second: the second target group (attached to this load balancer).
            share: the second target group's weight over the sum of both weights.
            uniform: uniform draws in [0, 1) deciding each request's target group.
        """
        self._other = second
        self._other_share = share
        self._other_uniform = uniform
        for tg in self.target_groups:
            tg.shared = True
        self.log("alb.weights", detail=f"second={share:.0%}")

    # --- nodes and DNS -------------------------------------------------------------------

    def node_failed(self, az: str) -> None:
        """The AZ's node stops answering; DNS drops it after ``dns_withdrawal_delay``."""
        if self._direct:
            return
        self.node_up[az] = False
        self.log("alb.node_down", az)
        self.env.process(self._dns_change(az, present=False))

    def node_recovered(self, az: str) -> None:
        """The AZ's node answers again; DNS hands it out after ``dns_withdrawal_delay``."""
        if self._direct:
            return
        self.node_up[az] = True
        self.log("alb.node_up", az)
        self.env.process(self._dns_change(az, present=True))

    def _zone_health_changed(self, az: str, healthy: bool) -> None:
        # Cross-zone off: an AZ with no healthy target leaves DNS (§1.5), with one comes back.
        self.env.process(self._dns_change(az, present=healthy))

    def _in_dns_wanted(self, az: str) -> bool:
        if not self.node_up[az]:
            return False
        return not self._zonal or any(tg.zone_healthy[az] for tg in self.target_groups)

    def _dns_change(self, az: str, present: bool) -> Process:
        yield self.env.timeout(self.cfg.dns_withdrawal_delay)
        if self._in_dns_wanted(az) != present:
            return  # the node changed state again meanwhile
        if present and az not in self.dns:
            self.dns.append(az)
            self.dns.sort()
        elif not present and az in self.dns and len(self.dns) > 1:
            # The last node is never withdrawn: with every AZ unhealthy DNS answers with all.
            self.dns.remove(az)
        else:
            return
        self.answer = tuple(self.dns)
        self.log("alb.dns_" + ("added" if present else "removed"), az)


def _never() -> float:
    # The weights' draw before a second target group exists (never called then).
    return 1.0
