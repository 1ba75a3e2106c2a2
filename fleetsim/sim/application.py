"""The application and its users: where a routed request meets its session, and how users react.

:class:`Application` is what runs on every instance, seen from the request's side: a request the
load balancer routed to an instance first reaches the session store (external stores cost round
trips, or refuse: ``500 store_unavailable``), finds or creates the user's session (a lost or
expired one is ended, and the user logs in again or leaves), may carry an upload, and is then
accepted by the instance. A gray failure of the instance's AZ (:class:`~fleetsim.sim.zones.Zone`'s
``degradation``) drops the request unanswered or adds its latency.

It also holds the users' reaction to each response: a served request ends the session after the
user's last action or schedules the next one after a think time; a failed one is retried, or the
user abandons after ``abandon_after_failures`` failures in a row. Sessions still active at the end
are closed by :meth:`Application.close`.

The per-request methods (``routed``, ``served``, ``failed``) are on the hot path and compiled by
mypyc in the fast build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from fleetsim.config.sampler import Uniforms
from fleetsim.config.state import StateConfig
from fleetsim.config.traffic import TrafficConfig
from fleetsim.sim.component import Component
from fleetsim.sim.entities import Request, Session, User
from fleetsim.sim.mix import WRITING, RequestMixer

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.alb import LoadBalancer
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.rng import RandomStreams
    from fleetsim.sim.stores import SessionStore
    from fleetsim.sim.stores.uploads import UploadStore
    from fleetsim.sim.traffic import Traffic
    from fleetsim.sim.zones import Zone


class Application(Component):
    """The application on the instances, and its users' reaction to each response.

    Built before the load balancer and the traffic source that it talks to; :meth:`connect`
    gives it those two once they exist.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        streams: the run's named random streams.
        state: session settings (timeout, write fraction).
        traffic: the users' settings (uploads, re-login, abandon, request mix).
        store: where sessions live.
        uploads: where uploads live.
        zones: the AZs (a gray failure is on the instance's zone).
        scope: its scope in the event rows.
    """

    lb: LoadBalancer
    traffic: Traffic

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        streams: RandomStreams,
        state: StateConfig,
        traffic: TrafficConfig,
        store: SessionStore,
        uploads: UploadStore,
        zones: dict[str, Zone],
        scope: str = "app",
    ) -> None:
        super().__init__(env, rec, scope, streams)
        self._clock = env.clock
        self.store = store
        self.uploads = uploads
        self.zones = zones
        self.sessions: dict[int, Session] = {}
        self._next_session = 0
        self._timeout = state.session_timeout
        self._write_fraction = state.write_fraction
        self._upload_fraction = traffic.upload_fraction
        self._relogin_probability = traffic.relogin_probability
        self._abandon_after = traffic.abandon_after_failures
        self._writes = Uniforms(self.stream("state.writes"))
        self._upload_draws = Uniforms(self.stream("traffic.uploads"))
        mix = traffic.mix
        self._mix = None if mix is None else RequestMixer(mix, self.stream)
        self._relogin = self.stream("traffic.relogin")

    def connect(self, lb: LoadBalancer, traffic: Traffic) -> None:
        """Give the application the load balancer and the traffic source (build phase)."""
        self.lb = lb
        self.traffic = traffic

    @property
    def mixed(self) -> bool:
        """True when each request draws its kind from a mix (send it with :meth:`send_mixed`)."""
        return self._mix is not None

    # --- sessions ------------------------------------------------------------------------

    def _login(self, user: User, inst: Instance) -> str | None:
        """Create the user's session; return the failure cause if the store refuses it."""
        self._next_session += 1
        session = self.store.login(self._next_session, user, inst, self._clock.now)
        if isinstance(session, str):
            return session
        user.session = session
        self.sessions[session.id] = session
        self.rec.session_created()
        return None

    def end_session(self, user: User, outcome: str, cause: str | None = None) -> None:
        """End the user's session (if any) with ``outcome``; the store's loss takes precedence."""
        session = user.session
        if session is None:
            return
        at = self._clock.now
        if outcome in ("abandoned", "active") and session.lost is not None:
            # The store destroyed the data before the user noticed: the loss is what happened.
            lost = session.lost
            outcome, cause = ("expired", None) if lost == "expired" else ("lost", lost)
        elif (
            outcome in ("abandoned", "active")
            and session.home is not None
            and session.home.state in ("shutting-down", "terminated")
            and at - session.touched < self._timeout
        ):
            # An instance store's data died with its instance, whether or not the user came back.
            outcome, cause = "lost", "instance_terminated"
        elif outcome == "active" and at - session.touched >= self._timeout:
            outcome = "expired"
        if outcome == "expired":
            at = session.touched + self._timeout
        if outcome in ("completed", "expired"):
            self.store.forget(session)
        session.end(self.rec, at, outcome, cause)
        del self.sessions[session.id]
        user.session = None

    def close(self) -> None:
        """End every session still active when the clock stops."""
        for session in list(self.sessions.values()):
            self.end_session(session.user, "active")

    # --- a routed request meets its session (hot path) -----------------------------------

    def send_mixed(self, req: Request) -> None:
        """Draw the request's kind from the mix, then send it to the load balancer."""
        assert self._mix is not None
        self._mix.assign(req)
        self.lb.handle(req)

    def routed(self, req: Request, inst: Instance) -> None:
        """A request reached a live instance: store, session, upload, then the instance."""
        user = req.user
        session = user.session
        now = self._clock.now
        store = self.store
        write = session is None
        gray = self.zones[inst.az].degradation
        if gray is not None and gray.lost():
            # No answer ever comes: the ALB times the request out (504 at the idle timeout).
            req.started = now
            return
        mixer = self._mix
        if mixer is not None:
            write = req.kind in WRITING
        if store.external:
            if mixer is None:
                write = write or self._writes() < self._write_fraction
            cost = store.access(inst, now, write)
            if isinstance(cost, str):
                # The store cannot be reached or refuses: the application answers 500.
                self.failed(req, now, cost)
                return
            req.extra += cost
        if session is None:
            if user.remaining > 0 and (cause := self._login(user, inst)) is not None:
                self.failed(req, now, cause)
                return
        elif not self._session_found(req, session, inst, now, write):
            return
        if user.session is not None:
            user.session.requests += 1
        if mixer is not None:
            if req.kind == "upload":
                req.upload = True
                req.extra += self.uploads.latency
        else:
            share = self._upload_fraction
            if share and self._upload_draws() < share:
                req.upload = True
                req.extra += self.uploads.latency
        if gray is not None:
            req.extra += gray.added_latency
        inst.accept(req)

    def _session_found(
        self, req: Request, session: Session, inst: Instance, now: float, write: bool
    ) -> bool:
        # The user's session is still there (touch it), or is gone: the user logs in again or
        # leaves. False if the request failed meanwhile (the new login was refused).
        # Order matters: data the store destroyed, then idle expiry, then where it lives.
        cause = session.lost
        if cause is None:
            cause = "expired" if now - session.touched >= self._timeout else None
        if cause is None:
            cause = self.store.check(session, inst)
        if cause is None:
            session.touched = now
            if write:
                session.written = now
            return True
        user = req.user
        if cause == "expired":
            self.end_session(user, "expired")
        else:
            self.end_session(user, "lost", cause)
        if self._relogin.random() < self._relogin_probability:
            if (cause := self._login(user, inst)) is not None:
                self.failed(req, now, cause)
                return False
        else:
            user.remaining = 0  # sees the login page and leaves
        return True

    # --- the user: reaction to each response (hot path) ----------------------------------

    def served(self, req: Request, now: float) -> None:
        """The request was answered: the user moves on to the next action, or ends."""
        req.succeed(self.rec, now)
        if req.upload and req.instance is not None:
            self.uploads.stored(cast("Instance", req.instance))
        self.lb.finished(req)
        user = req.user
        user.failures = 0
        user.kind = None  # the next request is a new draw from the mix
        user.remaining -= 1
        if user.remaining <= 0:
            self.end_session(user, "completed")
        else:
            self.traffic.think_then_send(user)

    def failed(self, req: Request, now: float, cause: str) -> None:
        """The request failed with ``cause``: the user retries later or gives up."""
        req.fail(self.rec, now, cause)
        self.lb.finished(req)
        user = req.user
        if user.remaining <= 0 or self.traffic.retry_later(req):
            return
        user.failures += 1
        if user.failures >= self._abandon_after:
            self.end_session(user, "abandoned")
            user.remaining = 0
        else:
            self.traffic.think_then_send(user)
