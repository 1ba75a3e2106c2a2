"""Session stores: where a user's session state lives, and when it is lost.

``instance_memory`` keeps each session on the instance that created it (a stateful design): a
request routed anywhere else finds no session — lost with cause ``instance_terminated`` if the
home instance is gone or unreachable, ``rerouted`` if it is alive but the user was sent elsewhere
(stickiness off, expired or broken). ``ideal`` is a perfect external store (no latency, never
fails): the stateless design's upper bound.
"""

from __future__ import annotations

from typing import Protocol

from fleetsim.sim.entities import Session, User
from fleetsim.sim.instance import Instance


class SessionStore(Protocol):
    """Where sessions live."""

    name: str

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session:
        """Create a session for ``user`` on a login served by ``instance``."""
        ...

    def check(self, session: Session, instance: Instance) -> str | None:
        """Return None if ``instance`` can read ``session``, else the loss cause."""
        ...


class InstanceMemoryStore:
    """Sessions in the memory of the instance that created them."""

    name = "instance_memory"

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session:
        """Create the session on ``instance``."""
        return Session(sid, user, now, instance)

    def check(self, session: Session, instance: Instance) -> str | None:
        """A session is readable only on its home instance."""
        home = session.home
        if home is instance:
            return None
        if home is None or not home.alive:
            return "instance_terminated"
        return "rerouted"


class IdealStore:
    """A perfect external store: every instance reads every session, nothing is ever lost."""

    name = "ideal"

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session:
        """Create the session in the store (no home instance)."""
        return Session(sid, user, now, None)

    def check(self, session: Session, instance: Instance) -> str | None:
        """Always readable."""
        return None


def build_store(kind: str) -> SessionStore:
    """Return the session store named by ``state.sessions``."""
    if kind == "instance_memory":
        return InstanceMemoryStore()
    if kind == "ideal":
        return IdealStore()
    raise ValueError(f"unknown session store {kind!r}")
