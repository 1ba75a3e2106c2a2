"""The application and its users: where a routed request meets its session, and how users react.

:class:`Application` is what runs on every instance, seen from the request's side: a request the
load balancer routed to an instance first reaches the session store (external stores cost round
trips, or refuse: ``500 store_unavailable``), finds or creates the user's session (a lost or
expired one is ended, and the user logs in again or leaves), may carry an upload, and is then
accepted by the instance. A gray failure of the instance's AZ (:class:`~fleetsim.sim.zones.Zone`'s
``degradation``) drops the request unanswered or adds its latency.

It also holds the users' reaction to each response and their ledger. Each user arrives with a
plan of actions (:class:`~fleetsim.sim.traffic.Traffic` draws it); the first action logs in. A
served action moves the user on to the next one after its planned think time, or ends the visit
after the last. A failed request is retried by the client, then by the user after a think time;
after ``abandon_after_failures`` failures in a row the user leaves: the action being tried is
``failed``, the rest of the plan ``abandoned``. A request that finds its session gone is answered
with the login page: the user leaves (``relogin_probability``), or logs in again — a real login
request — then redoes the work the session held (the last ``session_work_actions`` actions served
in it, at most) and tries the action again. :meth:`Application.close` ends the sessions and
visits still in progress when the clock stops (their actions are ``pending_at_end``).

The per-request methods (``routed``, ``served``, ``failed``) are on the hot path and compiled by
mypyc in the fast build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from fleetsim.config.sampler import Uniforms
from fleetsim.config.state import StateConfig
from fleetsim.config.traffic import TrafficConfig
from fleetsim.record.outcomes import UserOutcome
from fleetsim.sim.component import Component
from fleetsim.sim.entities import ACTION, GONE, LOGIN, REDO, RELOGIN, Request, Session, User
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
        traffic: the users' settings (uploads, re-login, lost work, abandon, request mix).
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
        self.users: dict[int, User] = {}  # users whose visit is in progress
        self._next_session = 0
        self._timeout = state.session_timeout
        self._write_fraction = state.write_fraction
        self._upload_fraction = traffic.upload_fraction
        self._relogin_probability = traffic.relogin_probability
        self._abandon_after = traffic.abandon_after_failures
        self._work_actions = traffic.session_work_actions
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
    def next_kind(self) -> Callable[[], str] | None:
        """With a request mix, the draw of a planned action's kind (for users' plans), else None."""
        return None if self._mix is None else self._mix.next_kind

    # --- users ---------------------------------------------------------------------------

    def arrived(self, user: User) -> None:
        """A user arrived with its plan: count it and its actions."""
        self.users[user.id] = user
        self.rec.user_arrived(user.actions)

    def _leave(self, user: User, outcome: str) -> None:
        # The user gives up: the action being tried failed, the rest of the plan is abandoned.
        self.end_session(user, "abandoned")
        self._visit_ended(user, outcome, 1, user.actions - user.done - 1, 0)

    def _visit_ended(
        self, user: User, outcome: str, failed: int, abandoned: int, pending: int
    ) -> None:
        user.step = GONE
        del self.users[user.id]
        turned_away = failed > 0 and user.sessions == 0
        self.rec.user_ended(outcome, failed, abandoned, pending, turned_away, user.affected)

    # --- sessions ------------------------------------------------------------------------

    def _login(self, user: User, inst: Instance) -> str | None:
        """Create the user's session; return the failure cause if the store refuses it."""
        self._next_session += 1
        session = self.store.login(self._next_session, user, inst, self._clock.now)
        if isinstance(session, str):
            return session
        user.session = session
        user.sessions += 1
        user.work = 0
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
        elif outcome == "lost":
            user.affected = True
        session.end(self.rec, at, outcome, cause)
        del self.sessions[session.id]
        user.session = None

    def close(self) -> None:
        """End every session and every visit still in progress when the clock stops."""
        for session in list(self.sessions.values()):
            self.end_session(session.user, "active")
        for user in list(self.users.values()):
            self._visit_ended(user, UserOutcome.ACTIVE, 0, 0, user.actions - user.done)

    # --- a routed request meets its session (hot path) -----------------------------------

    def send(self, req: Request) -> None:
        """Say what the user's request is for (and its kind, with a mix); send it to the ALB.

        Without a session the user logs in (the first planned action, or again after losing
        one); then redoes the work a lost session held; then tries the next planned action.
        """
        user = req.user
        if user.done == 0:
            step = LOGIN  # (its session may exist: a login processed whose response failed)
        elif user.session is None:
            step = RELOGIN
        elif user.redo > 0:
            step = REDO
        else:
            step = ACTION
        user.step = step
        mixer = self._mix
        if mixer is not None:
            kinds = user.kinds
            if step == ACTION and kinds is not None:
                mixer.prepare(req, kinds[user.done])
            else:
                mixer.prepare(req, "write" if step == REDO else "login")
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
            if (cause := self._login(user, inst)) is not None:
                self.failed(req, now, cause)
                return
        elif not self._session_found(user, session, inst, now, write):
            # Gone: the application answers with its login page (the action is not done).
            session = None
        session = user.session
        if session is not None:
            session.requests += 1
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
        self, user: User, session: Session, inst: Instance, now: float, write: bool
    ) -> bool:
        # The user's session is still there (touch it), or is gone: end it, and the work it
        # held is to be redone after the user logs in again. Order matters: data the store
        # destroyed, then idle expiry, then where it lives.
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
        if cause == "expired":
            self.end_session(user, "expired")
        else:
            self.end_session(user, "lost", cause)
        user.redo = min(self._work_actions, user.redo + user.work)
        user.work = 0
        return False

    # --- the user: reaction to each response (hot path) ----------------------------------

    def served(self, req: Request, now: float) -> None:
        """The request was answered: the user moves on to the next action, or ends."""
        req.succeed(self.rec, now)
        if req.upload and req.instance is not None:
            self.uploads.stored(cast("Instance", req.instance))
        self.lb.finished(req)
        user = req.user
        step = user.step
        if step == GONE:
            return
        user.failures = 0
        if user.session is None:
            # The session was gone and the answer was the login page: log in again, or leave.
            if self._relogin.random() < self._relogin_probability:
                self.traffic.think_then_send(user)
            else:
                self._leave(user, UserOutcome.LEFT_LOST_SESSION)
            return
        if step == REDO:
            user.redo -= 1
            user.work += 1
            self.rec.action_redone()
        elif step != RELOGIN:
            # A planned action is done (the first one is the login, which holds no work).
            user.done += 1
            self.rec.action_served()
            if step == ACTION:
                user.work += 1
            if user.done >= user.actions:
                self.end_session(user, "completed")
                self._visit_ended(user, UserOutcome.COMPLETED, 0, 0, 0)
                return
            self.traffic.send_after(user.thinks[user.done - 1], user)
            return
        self.traffic.think_then_send(user)

    def failed(self, req: Request, now: float, cause: str) -> None:
        """The request failed with ``cause``: the client or the user retries, or the user leaves."""
        req.fail(self.rec, now, cause)
        self.lb.finished(req)
        user = req.user
        if user.step == GONE or self.traffic.retry_later(req):
            return
        user.failures += 1
        user.affected = True
        if user.failures >= self._abandon_after:
            self._leave(user, UserOutcome.LEFT_FAILURES)
        else:
            self.traffic.think_then_send(user)
