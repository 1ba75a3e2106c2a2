"""ElastiCache for Redis as the session store (fact sheet §4).

Topology: cluster mode disabled — one primary and 0–5 replicas, each in an AZ. Clients use the
primary endpoint for reads and writes (the usual session-store set-up), so:

* **Latency.** Each operation is one round trip from the instance to the primary, intra-AZ or
  cross-AZ. A request does one read, plus one write for a login or a writing request
  (``state.write_fraction``). The primary is a single FIFO server doing ``ops_per_second``: it
  keeps a *virtual finish time* (when it will have finished every operation sent so far), and
  an operation arriving before then waits the difference. That costs two arithmetic operations
  per request and no SimPy event; the total is added to the request's service time.
* **Replication** is asynchronous (§4): a replica trails the primary by ``replication_lag`` plus
  half a round trip between their AZs.
* **Multi-AZ failover** (§4). When the primary's AZ fails and ``multi_az`` is on, the live replica
  with the least lag is promoted. The writes within that replica's lag before the loss never
  reached it (§8): a session *created* in that window has no key on the new primary and is lost
  (``store_failover``); a session only *updated* in it survives with its older value, stale. The
  application cannot tell a stale value from a current one, so the user carries on; the user's
  first read of it after the failover is counted as a stale read (``sessions_stale``). From the
  loss until detection + promotion + client DNS refresh, every store operation fails
  ``500 store_unavailable``. A replacement node comes back in the failed AZ ``node_replacement``
  after the AZ recovers.
* **No failover** (no live replica, or ``multi_az`` off): the primary's loss loses every session
  (``store_down``); operations fail until the node is recreated, empty, ``node_replacement`` after
  its AZ recovers (§4: a whole-cluster failure recreates the nodes empty).
* **Memory.** ``maxmemory`` less ``reserved-memory-percent`` (25 %, §4) divided by
  ``state.session_size`` sessions fit. A login that finds memory full evicts by
  ``maxmemory-policy`` (default ``volatile-lru``, §4): the least recently used session *with a TTL*
  goes, lost ``store_evicted``. Session keys carry a TTL equal to the session timeout unless
  ``ttl: false``; without one, ``volatile-*`` policies find nothing to evict and, like
  ``noeviction``, the login fails ``500 store_full`` (Redis's OOM error). Because every TTL is the
  same, ``volatile-ttl`` evicts in the same order as LRU. Keys of ended or expired sessions are
  dropped first (Redis's own expiry would have removed them).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from fleetsim.config.state import StateConfig
from fleetsim.record.costs import CostItem
from fleetsim.record.outcomes import LostCause, SessionOutcome
from fleetsim.sim.entities import Session, User
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.zones import Zone

SCOPE = "store.redis"


class Node:
    """One ElastiCache node.

    Attributes:
        name: ``primary`` or ``replica-N`` (the role it was created with).
        az: its Availability Zone.
        up: False while its AZ is down and until it is replaced.
        free_at: virtual finish time of the operations sent to it (FIFO single server).
    """

    __slots__ = ("az", "free_at", "name", "up")

    def __init__(self, name: str, az: str) -> None:
        self.name = name
        self.az = az
        self.up = True
        self.free_at = 0.0


class RedisStore:
    """An ElastiCache for Redis replication group holding the sessions.

    Args:
        cfg: the ``state`` section (Redis settings, session timeout and size).
        env: the simulation environment.
        rec: the run's recorder (store events).
        zones: the scenario's AZs; the store listens to each.
    """

    name = "redis"
    external = True

    def __init__(
        self,
        cfg: StateConfig,
        env: simpy.Environment,
        rec: Recorder,
        zones: dict[str, Zone],
    ) -> None:
        r = cfg.redis
        self.cfg = r
        self.env = env
        self.rec = rec
        self.zones = zones
        self.timeout = cfg.session_timeout
        self.primary = Node("primary", r.primary_az or next(iter(zones)))
        self.replicas = [Node(f"replica-{i + 1}", az) for i, az in enumerate(r.replica_azs)]
        self.nodes = [self.primary, *self.replicas]
        # Insertion order = least recently used first: each access moves a key to the end.
        self.data: OrderedDict[int, Session] = OrderedDict()
        usable = r.memory_bytes * (1.0 - r.reserved_memory_percent / 100.0)
        self.capacity = max(1, int(usable // cfg.session_size))
        self._evictable = r.maxmemory_policy == "allkeys-lru" or (
            r.maxmemory_policy != "noeviction" and r.ttl
        )
        self._same = r.latency_same_az
        self._cross = r.latency_cross_az
        self._op_s = 1.0 / r.ops_per_second
        self.down = False
        self.blocked_until = 0.0
        self.evicted = 0
        # Sessions rolled back to an older value by a failover and not read since.
        self._stale: set[int] = set()
        for zone in zones.values():
            zone.listeners.append(self._zone_changed)

    # --- the request path ----------------------------------------------------------------

    def access(self, instance: Instance, now: float, write: bool) -> float | str:
        """One read (plus one write) on the primary: round trips plus FIFO queueing."""
        if self.down or now < self.blocked_until:
            return "500 store_unavailable"
        node = self.primary
        ops = 2 if write else 1
        start = node.free_at if node.free_at > now else now
        node.free_at = start + ops * self._op_s
        rtt = self._same if instance.az == node.az else self._cross
        return ops * rtt + (node.free_at - now)

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session | str:
        """Store a new session, evicting by policy if memory is full."""
        data = self.data
        if len(data) >= self.capacity and not self._make_room(now):
            return "500 store_full"
        session = Session(sid, user, now, None)
        data[sid] = session
        return session

    def check(self, session: Session, instance: Instance) -> str | None:
        """Readable from any instance; the read refreshes its LRU position.

        The first read of a session a failover rolled back is counted as a stale read.
        """
        try:
            self.data.move_to_end(session.id)
        except KeyError:
            # Every loss marks the session first, so this is a key deleted by another path.
            return "store_evicted"
        if self._stale and session.id in self._stale:
            self._stale.discard(session.id)
            self.rec.session_stale()
        return None

    def forget(self, session: Session) -> None:
        """Delete the session's key (logout, or expiry found by the application)."""
        self.data.pop(session.id, None)

    def costs(self, duration: float) -> list[CostItem]:
        """On-demand price of every node for the whole run."""
        hours = duration / 3600.0
        price = self.cfg.price_usd_hour
        return [CostItem("elasticache", self.cfg.node_type, len(self.nodes) * hours * price)]

    # --- memory --------------------------------------------------------------------------

    def _make_room(self, now: float) -> bool:
        data = self.data
        ttl = self.cfg.ttl
        timeout = self.timeout
        while len(data) >= self.capacity:
            session = next(iter(data.values()))
            expired = now - session.touched >= timeout
            if ttl and (session.ended or expired):
                # Past its TTL or nobody will read it again: Redis's expiry would have freed it.
                data.popitem(last=False)
                if not session.ended:
                    session.lost = SessionOutcome.EXPIRED
                continue
            if not self._evictable:
                return False
            data.popitem(last=False)
            if not session.ended:
                session.lost = SessionOutcome.EXPIRED if expired else LostCause.STORE_EVICTED
                self.evicted += 1
        return True

    # --- failures ------------------------------------------------------------------------

    def lag(self, node: Node) -> float:
        """How far ``node`` trails the primary: the configured lag plus half a round trip."""
        rtt = self._same if node.az == self.primary.az else self._cross
        return self.cfg.replication_lag + rtt / 2.0

    def _mark(self, session: Session, cause: str, now: float) -> None:
        # A session already idle past its timeout was expired, not lost, when the data went.
        session.lost = SessionOutcome.EXPIRED if now - session.touched >= self.timeout else cause

    def _zone_changed(self, zone: Zone) -> None:
        now = self.env.now
        if zone.up:
            for node in self.nodes:
                if node.az == zone.name and not node.up:
                    self.env.process(self._replace(node))
            return
        primary_hit = False
        for node in self.nodes:
            if node.az == zone.name and node.up:
                node.up = False
                primary_hit |= node is self.primary
                self.rec.event(now, "store.node_lost", SCOPE, node.az, None, node.name)
        if primary_hit:
            self._primary_lost(now)

    def _primary_lost(self, now: float) -> None:
        candidates = [n for n in self.replicas if n.up]
        if self.cfg.multi_az and candidates:
            best = min(candidates, key=self.lag)  # least replication lag is promoted (§4)
            window = self.lag(best)
            lost, stale = self._lag_window(now - window, now)
            old = self.primary
            self.primary = best
            self.replicas = [n for n in self.nodes if n is not best]
            best.free_at = now
            # Writes fail until promotion and the clients' DNS refresh (§4).
            self.blocked_until = now + self.cfg.failover.total
            self.rec.event(
                now,
                "store.primary_lost",
                SCOPE,
                old.az,
                None,
                f"failover to {best.name} in {best.az}; of the sessions written in the last "
                f"{window:g} s, {lost} created there lost, {stale} updated there stale",
            )
            self.env.process(self._failover_timeline(best))
            return
        # No automatic failover: the data is gone (§4), the store is down until recreated.
        for session in self.data.values():
            if not session.ended:
                self._mark(session, LostCause.STORE_DOWN, now)
        count = len(self.data)
        self.data.clear()
        self.down = True
        self.rec.event(
            now, "store.down", SCOPE, self.primary.az, None, f"{count} keys lost; no failover"
        )

    def _lag_window(self, since: float, now: float) -> tuple[int, int]:
        # Asynchronous replication (§8): the promoted replica never saw the writes after
        # ``since``. A key created there is missing; a key only updated there keeps its older
        # value. Returns (sessions lost, live sessions left stale).
        lost = stale = 0
        for session in [s for s in self.data.values() if s.written > since]:
            if session.created > since:
                del self.data[session.id]
                if not session.ended:
                    self._mark(session, LostCause.STORE_FAILOVER, now)
                lost += 1
            elif not session.ended and now - session.touched < self.timeout:
                self._stale.add(session.id)
                stale += 1
        return lost, stale

    def fail_node(self, node: Node) -> None:
        """``node`` fails on its own (its AZ stays up); it is replaced after ``node_replacement``.

        A failed primary fails over to a replica as for an AZ loss (Multi-AZ on and a live
        replica), else every session is lost and the store is down until the node is recreated.
        """
        if not node.up:
            return
        now = self.env.now
        node.up = False
        self.rec.event(now, "store.node_lost", SCOPE, node.az, None, node.name)
        if node is self.primary:
            self._primary_lost(now)
        self.env.process(self._replace(node))

    def _failover_timeline(self, best: Node) -> Process:
        f = self.cfg.failover
        yield self.env.timeout(f.detection)
        self.rec.event(self.env.now, "store.failover_detected", SCOPE, best.az, None, best.name)
        yield self.env.timeout(f.promotion)
        self.rec.event(self.env.now, "store.promoted", SCOPE, best.az, None, best.name)
        yield self.env.timeout(f.dns_refresh)
        self.rec.event(self.env.now, "store.writes_resumed", SCOPE, best.az, None, best.name)

    def _replace(self, node: Node) -> Process:
        yield self.env.timeout(self.cfg.node_replacement)
        if node.up or not self.zones[node.az].up:
            return  # already back, or its AZ failed again (its recovery will replace it)
        node.up = True
        node.free_at = self.env.now
        self.rec.event(self.env.now, "store.node_replaced", SCOPE, node.az, None, node.name)
        if self.down and node is self.primary:
            self.down = False
            self.rec.event(self.env.now, "store.recreated", SCOPE, node.az, None, "empty")
