"""Session stores: where a user's session state lives, what it costs a request, when it is lost.

A store answers four questions for the request logic in
:class:`~fleetsim.sim.application.Application`:

* ``access`` — what the request's store round trips cost (seconds added to its service time), or
  the failure cause if the store cannot be used now (``500 store_unavailable`` during a Redis
  failover or outage, ``500 store_throttled`` when DynamoDB's provisioned capacity is exceeded).
  Only external stores (``external = True``) are asked.
* ``login`` — create the session (a write), or refuse (``500 store_full`` when Redis is out of
  memory and may not evict).
* ``check`` — can this instance read this session? None, or the loss cause.
* ``forget`` — the session ended normally (logout or expiry): delete its data.

Stores that destroy data on their own (a Redis failover, outage or eviction) mark each affected
session ``session.lost = cause`` at that moment; the user finds out at the next request.

Kinds: ``instance_memory`` and ``instance_disk`` (:mod:`.local`), ``ideal`` (:mod:`.local`),
``redis`` (:mod:`.redis`), ``dynamodb`` (:mod:`.dynamodb`). Uploads are in :mod:`.uploads`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fleetsim.config.state import StateConfig
from fleetsim.record.costs import CostItem
from fleetsim.sim.stores.dynamodb import DynamoDbStore
from fleetsim.sim.stores.local import IdealStore, InstanceDiskStore, InstanceMemoryStore
from fleetsim.sim.stores.redis import RedisStore

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.entities import Session, User
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.zones import Zone


class SessionStore(Protocol):
    """Where sessions live."""

    name: str
    external: bool

    def access(self, instance: Instance, now: float, write: bool) -> float | str:
        """Return the seconds the request's store operations take, or a failure cause."""
        ...

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session | str:
        """Create a session for ``user`` on a login served by ``instance`` (or a failure cause)."""
        ...

    def check(self, session: Session, instance: Instance) -> str | None:
        """Return None if ``instance`` can read ``session``, else the loss cause."""
        ...

    def forget(self, session: Session) -> None:
        """Delete a session that ended normally (completed or expired)."""
        ...

    def costs(self, duration: float) -> list[CostItem]:
        """Return the store's charges over ``duration`` seconds."""
        ...


def build_store(
    cfg: StateConfig,
    env: simpy.Environment,
    rec: Recorder,
    zones: dict[str, Zone],
) -> SessionStore:
    """Return the session store named by ``state.sessions``."""
    kind = cfg.sessions
    if kind == "instance_memory":
        return InstanceMemoryStore()
    if kind == "instance_disk":
        return InstanceDiskStore()
    if kind == "ideal":
        return IdealStore()
    if kind == "redis":
        return RedisStore(cfg, env, rec, zones)
    if kind == "dynamodb":
        return DynamoDbStore(cfg)
    raise ValueError(f"unknown session store {kind!r}")


__all__ = [
    "DynamoDbStore",
    "IdealStore",
    "InstanceDiskStore",
    "InstanceMemoryStore",
    "RedisStore",
    "SessionStore",
    "build_store",
]
