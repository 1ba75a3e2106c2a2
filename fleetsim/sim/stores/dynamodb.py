"""DynamoDB as the session store (fact sheet §5).

DynamoDB replicates across AZs and has no failover gap (§5), so an AZ outage does not touch it.
Each request costs a read (``read_latency``, "single-digit milliseconds") and, for a login or a
writing request, a write. Reads are eventually consistent by default (§5); the model does not
return stale sessions, because AWS bounds staleness only as "usually within one second" and a
session is read again only after the user's think time — consistency shows here as capacity:
a strong read costs 1 RCU per 4 KB, an eventual read 0.5 (§5), a write 1 WCU per 1 KB.

With ``capacity_mode: provisioned`` each second allows ``read_capacity`` RCU and ``write_capacity``
WCU; a request whose units do not fit fails ``500 store_throttled`` (the SDK's retries are not
modelled, and neither is burst capacity). TTL (§5) is the session timeout: the application
ignores expired items, so expiry behaves as for every store.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fleetsim.config.state import StateConfig
from fleetsim.record.costs import CostItem
from fleetsim.sim.entities import Session, User

if TYPE_CHECKING:
    from fleetsim.sim.instance import Instance

# us-east-1 prices, AWS Price List API (AmazonDynamoDB) as copied into a third-party price table
# on GitHub, read 2026-07: on-demand per request unit, provisioned per unit-hour.
ON_DEMAND_READ_USD = 0.125 / 1e6
ON_DEMAND_WRITE_USD = 0.625 / 1e6
PROVISIONED_RCU_HOUR_USD = 0.00013
PROVISIONED_WCU_HOUR_USD = 0.00065


class DynamoDbStore:
    """A DynamoDB table of sessions.

    Args:
        cfg: the ``state`` section (DynamoDB settings and session size).
    """

    name = "dynamodb"
    external = True

    def __init__(self, cfg: StateConfig) -> None:
        d = cfg.dynamodb
        self.cfg = d
        # Strong read 1 RCU per 4 KB, eventual 0.5; write 1 WCU per 1 KB (§5).
        self.rcu = math.ceil(cfg.session_size / 4096) * (1.0 if d.consistent_reads else 0.5)
        self.wcu = float(math.ceil(cfg.session_size / 1024))
        self.provisioned = d.capacity_mode == "provisioned"
        self._second = -1
        self._r = 0.0
        self._w = 0.0
        self.read_units = 0.0
        self.write_units = 0.0
        self.throttled = 0

    def access(self, instance: Instance, now: float, write: bool) -> float | str:
        """A read (and a write); throttled when a second's provisioned units are used up."""
        rcu = self.rcu
        wcu = self.wcu if write else 0.0
        if self.provisioned:
            second = int(now)
            if second != self._second:
                self._second = second
                self._r = self._w = 0.0
            if self._r + rcu > self.cfg.read_capacity or self._w + wcu > self.cfg.write_capacity:
                self.throttled += 1
                return "500 store_throttled"
            self._r += rcu
            self._w += wcu
        self.read_units += rcu
        self.write_units += wcu
        if write:
            return self.cfg.read_latency + self.cfg.write_latency
        return self.cfg.read_latency

    def login(self, sid: int, user: User, instance: Instance, now: float) -> Session | str:
        """Put the session item (its write was counted by :meth:`access`)."""
        return Session(sid, user, now, None)

    def check(self, session: Session, instance: Instance) -> str | None:
        """Every instance reads every item; nothing is lost."""
        return None

    def forget(self, session: Session) -> None:
        """Deleting the item costs nothing the model tracks."""

    def costs(self, duration: float) -> list[CostItem]:
        """Request units (on-demand) or provisioned capacity for the run."""
        if self.provisioned:
            hours = duration / 3600.0
            per_hour = (
                self.cfg.read_capacity * PROVISIONED_RCU_HOUR_USD
                + self.cfg.write_capacity * PROVISIONED_WCU_HOUR_USD
            )
            return [CostItem("dynamodb", "provisioned", per_hour * hours)]
        usd = self.read_units * ON_DEMAND_READ_USD + self.write_units * ON_DEMAND_WRITE_USD
        return [CostItem("dynamodb", "requests", usd)]
