"""Traffic: users arriving with a plan of actions and making requests one after another.

Session arrivals are a non-homogeneous Poisson process built by thinning: candidate arrivals at
the shape's maximum rate are kept with probability rate(t)/max, drawn in a loop so that only
accepted arrivals cost a timed call (:meth:`~fleetsim.sim.engine.Engine.call_later`). The session
rate is the demand (requests/s) divided by the mean requests per session.

Each user's plan — the number of actions, the think time before each, with a request mix each
one's kind — is drawn when the user arrives, from streams used for nothing else
(``traffic.session_length``, ``traffic.think_time``, ``traffic.mix``). Arrivals do not depend on
the fleet either, so two variants on one seed face the same users with the same plans: the same
demand, whatever happens during the run. What users do in reaction (a client retry's backoff,
the wait before trying again after an error page or before logging in again) is drawn as it
happens, from ``traffic.retry_jitter`` and ``traffic.think_time.unplanned``.

After each response the user thinks, then sends the next request; that wait is one timed call
that sends it. A failed request is first retried by the client (``retries``: count, exponential
backoff, jitter); once those are used up the user sees the failure, thinks, and tries again;
``abandon_after_failures`` consecutive failures seen by the user make them give up
(:class:`~fleetsim.sim.application.Application` holds those reactions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from fleetsim.config.sampler import Sampler, Uniforms
from fleetsim.config.shapes import TraceShape
from fleetsim.config.traffic import TrafficConfig
from fleetsim.sim.entities import Request, User
from fleetsim.sim.shapes import LoadShape, replay_times
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.engine import Engine


class Traffic:
    """Creates users and their requests.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        cfg: traffic configuration.
        shape: the demand curve.
        duration: no session starts at or after this time.
        streams: a function returning the named generator for ``traffic.<name>``.
        send: delivers a request to the load balancer.
        arrived: told of each user as it arrives, with its plan.
        next_kind: with a request mix, draws the kind of a planned action after the login.
    """

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        cfg: TrafficConfig,
        shape: LoadShape,
        duration: float,
        streams: Callable[[str], np.random.Generator],
        send: Callable[[Request], None],
        arrived: Callable[[User], None],
        next_kind: Callable[[], str] | None = None,
    ) -> None:
        self.env = env
        self._clock = env.clock
        self.rec = rec
        self.cfg = cfg
        self.shape = shape
        self.duration = duration
        self._send = send
        self._arrived = arrived
        self._next_kind = next_kind
        self._arrivals = streams("traffic.arrivals")
        self._length = cfg.requests_per_session.sampler(streams("traffic.session_length"))
        self._think = cfg.think_time.sampler(streams("traffic.think_time"))
        self._unplanned = cfg.think_time.sampler(streams("traffic.think_time.unplanned"))
        self._mean_requests = cfg.requests_per_session.mean()
        self._jitter = Uniforms(streams("traffic.retry_jitter"))
        shape_cfg = cfg.shape
        self._replay: Iterator[float] | None = None
        if isinstance(shape_cfg, TraceShape) and shape_cfg.exact:
            self._replay = replay_times(shape_cfg)
        # Candidate arrivals of the thinning: gaps at the maximum rate and acceptance draws,
        # a block of each at a time from the arrivals stream (made once the rate is known).
        self._gaps: Sampler | None = None
        self._accepts: Sampler | None = None
        self._t = 0.0
        self._send_next_cb = self.send_next  # bound once, not per request
        self._next_user = 0
        self._next_request = 0

    def start(self) -> None:
        """Start the arrival process (and, with ``warm_start``, the users already in progress)."""
        if self._replay is not None:
            self.env.process(self._replay_process(self._replay))
            return
        if self.cfg.warm_start:
            self._warm_start()
        self._first_arrival()

    def _warm_start(self) -> None:
        # Little's law: users in progress = session rate x mean session time
        # = (rate / mean requests) x (mean requests x mean think) = rate x mean think.
        # Exact for geometric session lengths and exponential think times (both memoryless:
        # the remaining requests and the wait before the next one have the original laws);
        # for other laws the residual wait is approximated by a uniform fraction of a think time.
        # The shape says which demand has users in progress (a trace: from its own history).
        gen = self._arrivals
        think = self.cfg.think_time.mean()
        n = int(gen.poisson(self.shape.warm_rate(self._mean_requests * think) * think))
        memoryless = self.cfg.think_time.dist == "exponential"
        for _ in range(n):
            user = self._new_user(max(1, round(self._length())))
            wait = self._think() if memoryless else gen.random() * self._think()
            self._clock.call_later(wait, self.send_next, user)

    def _replay_process(self, times: Iterator[float]) -> Process:
        # Exact replay: each logged request is one visit of one request, at its logged time.
        env = self.env
        for t in times:
            if t >= self.duration:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            self.send_next(self._new_user(1))

    def _first_arrival(self) -> None:
        lam_max = self.shape.max_rate() / self._mean_requests
        if lam_max <= 0:
            return
        gen = self._arrivals
        self._gaps = Sampler(lambda n: gen.standard_exponential(n) / lam_max, in_order=False)
        self._accepts = Sampler(lambda n: gen.random(n) * lam_max, in_order=False)
        self._t = self.env.now
        self._next_arrival()

    def _next_arrival(self) -> None:
        # Thinning: draw candidates at the maximum rate until one is kept, then wait for it
        # with one timed call (rejected candidates cost no event).
        rate = self.shape.rate
        gaps = self._gaps
        accepts = self._accepts
        assert gaps is not None and accepts is not None
        t = self._t
        while True:
            # Both blocks are refilled on the same step, gaps first: one order of draws.
            t += gaps()
            if t >= self.duration:
                return
            if accepts() * self._mean_requests <= rate(t):
                self._t = t
                self._clock.call_later(t - self._clock.now, self._arrive, None)
                return

    def _arrive(self, _arg: None) -> None:
        self._start_user()
        self._next_arrival()

    def _start_user(self) -> None:
        self.send_next(self._new_user(max(1, round(self._length()))))

    def _new_user(self, actions: int) -> User:
        # The whole plan now, from the plan's own streams: what happens later cannot change it.
        think = self._think
        thinks = [think() for _ in range(actions - 1)]
        kinds = None
        next_kind = self._next_kind
        if next_kind is not None:
            kinds = ["login"]
            kinds.extend(next_kind() for _ in range(actions - 1))
        self._next_user += 1
        user = User(self._next_user, actions, thinks, kinds)
        self._arrived(user)
        return user

    def send_next(self, user: User, attempt: int = 1) -> None:
        """Create the user's next request (or a retry) and hand it to the load balancer."""
        self._next_request += 1
        now = self._clock.now
        req = Request(self._next_request, user, now, attempt)
        self.rec.arrival(now)
        self._send(req)

    def retry_later(self, req: Request) -> bool:
        """Schedule the client's retry of a failed request; False if its retries are used up."""
        cfg = self.cfg.retries
        if req.attempt > cfg.count:
            return False
        backoff = min(cfg.cap, cfg.base * cfg.multiplier ** (req.attempt - 1))
        if cfg.jitter == "full":
            backoff *= self._jitter()
        elif cfg.jitter == "equal":
            backoff = backoff / 2 + backoff / 2 * self._jitter()
        self._clock.call_later(backoff, self._after_backoff, (req.user, req.attempt + 1))
        return True

    def _after_backoff(self, retry: tuple[User, int]) -> None:
        self.send_next(retry[0], retry[1])

    def send_after(self, wait: float, user: User) -> None:
        """Schedule the user's next request ``wait`` seconds from now (a planned think time)."""
        self._clock.call_later(wait, self._send_next_cb, user)

    def think_then_send(self, user: User) -> None:
        """Schedule the user's next request after an unplanned think time (a reaction)."""
        self._clock.call_later(self._unplanned(), self._send_next_cb, user)
