"""The small objects that move through the model: requests, users and sessions.

They are plain slotted classes, not SimPy processes: a request is moved by callbacks (see the
architecture's "hot path"), so creating one must be cheap. A request and a session own their
"has an outcome" flag: each marks itself done (ended) and hands the recorder plain values, and a
second outcome is refused here and only counted there (the ledger's invariants check the count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from fleetsim.record.outcomes import RequestOutcome
from fleetsim.record.rows import RequestRow, SessionRow

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.clients import Client

_OK: Final = RequestOutcome.OK.value  # the plain string, as the requests frame holds it

# What a user's request is for (User.step): a planned action (the first one logs in), or a
# reaction to a lost session (logging in again, redoing the work the session held).
LOGIN: Final = 0
ACTION: Final = 1
RELOGIN: Final = 2
REDO: Final = 3
GONE: Final = 4  # the user's visit has ended: a late response changes nothing


class Host:
    """The instance a request, a session or a sticky user points at, as far as they know it.

    :class:`~fleetsim.sim.instance.Instance` is its only subclass. Typing those references with
    this base keeps the entities below the instance in the import graph: ``instance`` imports
    ``entities``, never the reverse.

    Args:
        name: the instance id, e.g. ``i-00001``.
        az: its Availability Zone.

    Attributes:
        name: the instance id.
        az: its Availability Zone.
        state: its EC2 state (``pending``, ``running``, ``shutting-down``…).
        routable: True while its load balancer may route requests to it.
    """

    def __init__(self, name: str, az: str) -> None:
        self.name = name
        self.az = az
        self.state = "pending"
        self.routable = False  # maintained by the load balancer


class Session:
    """Server-side session state of one login.

    Attributes:
        id: unique within a run.
        user: the user who owns it.
        created: simulated time of the login.
        home: the instance holding it when sessions live on instances (else None).
        ended: set once the session has an outcome (the ledger refuses a second one).
        touched: last time a request read it (idle expiry counts from here).
        written: last time a request wrote it (a failover loses writes newer than the lag).
        lost: set by an external store when it destroys the session's data (the loss cause,
            or ``expired`` if it had already expired); the user finds out at the next request.
    """

    __slots__ = ("created", "ended", "home", "id", "lost", "requests", "touched", "user", "written")

    def __init__(self, sid: int, user: User, created: float, home: Host | None) -> None:
        self.id = sid
        self.user = user
        self.created = created
        self.home = home
        self.requests = 0
        self.ended = False
        self.touched = created
        self.written = created
        self.lost: str | None = None

    def end(self, rec: Recorder, now: float, outcome: str, cause: str | None = None) -> None:
        """Mark the session ended and record its outcome (a second end is only counted).

        Args:
            rec: the run's recorder.
            now: when it ended.
            outcome: a :class:`~fleetsim.record.outcomes.SessionOutcome`.
            cause: the :class:`~fleetsim.record.outcomes.LostCause` of a lost session.
        """
        if self.ended:
            rec.double_session_end()
            return
        self.ended = True
        home = self.home
        rec.session_ended(
            SessionRow(
                self.id,
                self.user.id,
                self.created,
                now,
                outcome,
                cause,
                self.requests,
                home.az if home is not None else None,
            )
        )


class User:
    """One visitor with a plan of actions, made one at a time with think time between them.

    The plan (how many actions, the think time before each, with a request mix each one's kind)
    is drawn when the user arrives, so it does not depend on what happens during the run: two
    variants on one seed face the same users with the same plans. The first action is the
    login. Requests that are not planned actions — client retries, a login after a lost
    session, the actions redone because a lost session held their work — are reactions.

    Attributes:
        id: unique within a run.
        actions: the planned actions.
        done: planned actions served so far (the index of the one being tried).
        thinks: think time before each planned action after the first (``thinks[k - 1]``
            before action ``k``).
        kinds: with a request mix, each planned action's kind (``login`` first), else None.
        session: the current session, or None before login.
        sessions: sessions the user has obtained (0: never logged in).
        step: what the request in flight is for (``LOGIN``, ``ACTION``, ``RELOGIN``, ``REDO``),
            or ``GONE`` once the visit has ended.
        redo: actions to redo before the planned one, because a lost session held their work.
        work: actions served in the current session since its login (the work it holds).
        affected: the user saw a failure or lost a session.
        sticky: the target named by the user's stickiness cookie, if any.
        sticky_until: simulated time the cookie expires.
        failures: consecutive failures the user has seen.
        client: how the user's client reaches the ALB's nodes (drawn at its first request).
    """

    __slots__ = (
        "actions",
        "affected",
        "client",
        "done",
        "failures",
        "id",
        "kinds",
        "redo",
        "session",
        "sessions",
        "step",
        "sticky",
        "sticky_until",
        "thinks",
        "work",
    )

    def __init__(
        self,
        uid: int,
        actions: int,
        thinks: list[float] | None = None,
        kinds: list[str] | None = None,
    ) -> None:
        self.id = uid
        self.actions = actions
        self.done = 0
        self.thinks: list[float] = [] if thinks is None else thinks
        self.kinds = kinds
        self.session: Session | None = None
        self.sessions = 0
        self.step = LOGIN
        self.redo = 0
        self.work = 0
        self.affected = False
        self.sticky: Host | None = None
        self.sticky_until = 0.0
        self.failures = 0
        self.client: Client | None = None


class Request:
    """One HTTP request from a user.

    Attributes:
        id: unique within a run.
        user: who sent it.
        arrived: simulated time it reached the load balancer.
        waited: seconds the client spent before that on connects to dead ALB nodes (its
            latency and its row count from when it was sent, ``arrived - waited``).
        instance: the target serving it, once routed.
        started: when a worker began it (None while queued).
        done: True once it has an outcome.
        attempt: 1 for the user's own request, 2, 3, … for the client's retries of it.
        extra: seconds added to its service time (session-store and upload round trips).
        upload: True if it uploads a file.
        kind: ``login``, ``page``, ``write`` or ``upload`` with a request mix, else ``""``.
        cpu: its CPU seconds if its kind has its own CPU time, else -1 (the app's draw).
    """

    __slots__ = (
        "arrived",
        "attempt",
        "cpu",
        "done",
        "extra",
        "id",
        "instance",
        "kind",
        "started",
        "upload",
        "user",
        "waited",
    )

    def __init__(self, rid: int, user: User, arrived: float, attempt: int = 1) -> None:
        self.id = rid
        self.attempt = attempt
        self.user = user
        self.arrived = arrived
        self.waited = 0.0
        self.instance: Host | None = None
        self.started: float | None = None
        self.done = False
        self.extra = 0.0
        self.upload = False
        self.kind = ""
        self.cpu = -1.0

    def succeed(self, rec: Recorder, now: float) -> None:
        """Mark the request done and record its successful response at ``now``.

        A request that already had an outcome (e.g. the load balancer timed it out) keeps it:
        the recorder only counts the second one.
        """
        if self.done:
            rec.double_outcome()
            return
        self.done = True
        rec.ok(self.arrived - self.waited, now)
        if rec.keep_requests:
            rec.request_row(self._row(now, _OK))

    def fail(self, rec: Recorder, now: float, cause: str) -> None:
        """Mark the request done and record its failure with ``cause`` (``"<status> <reason>"``).

        A request that already had an outcome keeps it: the recorder only counts the second one.
        """
        if self.done:
            rec.double_outcome()
            return
        self.done = True
        rec.fail(now, cause)
        if rec.keep_requests:
            rec.request_row(self._row(now, str(cause)))

    def _row(self, now: float, outcome: str) -> RequestRow:
        name = self.instance.name if self.instance is not None else None
        sent = self.arrived - self.waited
        return RequestRow(self.id, self.user.id, sent, now, outcome, name, self.kind)
