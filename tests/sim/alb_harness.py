"""A load balancer and its target group with hand-made targets, for exact ALB tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fleetsim.config.models import AlbConfig
from fleetsim.record.recorder import Recorder
from fleetsim.sim.alb import LoadBalancer
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Request, User
from fleetsim.sim.instance import Instance
from fleetsim.sim.rng import RandomStreams
from fleetsim.sim.target_group import TargetGroup


class Harness:
    """An ALB in front of ``n`` running instances; requests are sent by hand.

    Args:
        zones: the AZ of each instance (its length is the number of instances).
        workers, queue: each instance's worker pool and accept queue.
        cpu: service seconds of successive requests (an iterable) or a function.
        azs: the ALB's AZs (defaults to those of the instances).
        alb: AlbConfig fields.
    """

    def __init__(
        self,
        zones: list[str],
        workers: int = 1,
        queue: int = 16,
        cpu: Iterable[float] | Callable[[], float] = (),
        azs: list[str] | None = None,
        **alb: Any,
    ) -> None:
        self.env = Engine()
        self.rec = Recorder(100_000, keep_requests=True)
        self.cfg = AlbConfig(**alb)
        azs = azs or sorted(set(zones))
        streams = RandomStreams(1)
        self.lb = LoadBalancer(self.env, self.rec, self.cfg, streams, azs)
        self.tg = TargetGroup(
            self.env, self.rec, self.cfg, azs, streams, "alb", self._routed, self._failed
        )
        self.lb.attach(self.tg)
        if callable(cpu):
            self._cpu = cpu
        else:
            it = iter(cpu)
            self._cpu = lambda: next(it, 0.01)
        self.outcomes: dict[int, tuple[float, str]] = {}
        self._ids = 0
        self.insts = [self.add(az, workers, queue, healthy=True) for az in zones]

    def add(self, az: str, workers: int = 1, queue: int = 16, healthy: bool = False) -> Instance:
        """Create a running instance in ``az`` and register it (``initial`` unless healthy)."""
        inst = Instance(
            self.env,
            self.rec,
            f"i-{len(self.tg.targets) + 1}",
            az,
            _itype(),
            workers,
            queue,
            lambda: self._cpu(),
            self._served,
            self._failed,
        )
        inst.transition("running")
        inst.app_up = True
        self.tg.register(inst, healthy=healthy)
        return inst

    def _routed(self, req: Request, inst: Instance) -> None:
        inst.accept(req)

    def _served(self, req: Request, now: float) -> None:
        req.succeed(self.rec, now)
        self.lb.finished(req)
        self.outcomes[req.id] = (now, "ok")

    def _failed(self, req: Request, now: float, cause: str) -> None:
        req.fail(self.rec, now, cause)
        self.lb.finished(req)
        self.outcomes[req.id] = (now, cause)

    def send(self, user: User | None = None) -> Request:
        """Send one request now (from a new user unless ``user`` is given)."""
        self._ids += 1
        req = Request(self._ids, user or User(self._ids, 1000), self.env.now)
        self.rec.arrival(self.env.now)
        self.lb.handle(req)
        return req

    def send_every(self, gap: float, until: float, user: User | None = None) -> list[Request]:
        """Send one request every ``gap`` seconds until ``until``; return them as they go."""
        sent: list[Request] = []

        def proc():  # type: ignore[no-untyped-def]
            while self.env.now < until:
                sent.append(self.send(user))
                yield self.env.timeout(gap)

        self.env.process(proc())
        return sent


def _itype():  # type: ignore[no-untyped-def]
    from fleetsim.config.catalog import instance_type

    return instance_type("m5.large")
