"""Sessions on the instance (stateful designs) and the ideal external store.

``instance_memory`` keeps each session on the instance that created it: a request routed anywhere
else finds no session — lost with cause ``instance_terminated`` if the home instance is gone or
unreachable, ``rerouted`` if it is alive but the user was sent elsewhere (stickiness off, expired
or broken). ``instance_disk`` (PHP-style file sessions on the root volume or instance store)
behaves the same here: the disk is deleted with the instance on termination, and the one thing
that would tell the two apart — an application restart, which empties memory but not the disk —
is not modelled. ``ideal`` is a perfect external store (no latency, never fails): the stateless
design's upper bound. None of them costs a request any store time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from fleetsim.record.costs import CostItem
from fleetsim.record.outcomes import LostCause
from fleetsim.sim.entities import Session, User

if TYPE_CHECKING:
    from fleetsim.sim.instance import Instance


class InstanceMemoryStore:
    """Sessions in the memory of the instance that created them."""

    name = "instance_memory"
    external = False

    def access(self, instance: Instance, now: float, write: bool) -> float | str:
        """Local state: no round trip."""
        return 0.0

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session | str:
        """Create the session on ``instance``."""
        return Session(sid, user, now, instance)

    def check(self, session: Session, instance: Instance) -> str | None:
        """A session is readable only on its home instance."""
        home = session.home
        if home is instance:
            return None
        # Sessions live only on instances here, so a home is always an Instance.
        if home is None or not cast("Instance", home).alive:
            return LostCause.INSTANCE_TERMINATED
        return LostCause.REROUTED

    def forget(self, session: Session) -> None:
        """Nothing to delete: the session object is the state."""

    def costs(self, duration: float) -> list[CostItem]:
        """Included in the instance's price."""
        return []


class InstanceDiskStore(InstanceMemoryStore):
    """Sessions as files on the instance's disk: gone when the instance is terminated."""

    name = "instance_disk"


class IdealStore(InstanceMemoryStore):
    """A perfect external store: every instance reads every session, nothing is ever lost."""

    name = "ideal"

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session | str:
        """Create the session in the store (no home instance)."""
        return Session(sid, user, now, None)

    def check(self, session: Session, instance: Instance) -> str | None:
        """Always readable."""
        return None
