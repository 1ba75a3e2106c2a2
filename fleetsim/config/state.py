"""Where state lives: session stores, uploads and the design presets (fact sheet §4–§5).

A *stateful* design keeps sessions (and uploaded files) on the instance that served the login;
a *stateless* one keeps them in an external store — ElastiCache for Redis, DynamoDB, S3 — so any
instance can serve any user. The models here say which store holds sessions and uploads and how
each store behaves (latency, capacity, replication, failover, memory); ``fleetsim/sim/stores``
simulates them. ``design: stateful | stateless`` at the top of a scenario fills in a coherent
bundle (see :data:`DESIGNS`), which any field of the scenario can still override.
"""

from __future__ import annotations

import copy
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from fleetsim.config.azs import full_az
from fleetsim.config.base import Model, NonNegDuration, PosDuration

_BYTES = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_BYTES_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)


def parse_bytes(value: object) -> object:
    """Convert ``"512mb"``, ``"2kb"``, ``"13gb"`` (binary units) or a number to bytes.

    Values that are neither are passed through for pydantic to reject with its own message.
    """
    if isinstance(value, str):
        match = _BYTES_PATTERN.match(value)
        if not match:
            raise ValueError(
                f"{value!r} is not a size; write bytes (2048) or '2kb', '512mb', '1gb'"
            )
        return int(float(match.group(1)) * _BYTES[(match.group(2) or "").lower()])
    return value


Bytes = Annotated[int, BeforeValidator(parse_bytes)]
"""A size in bytes; strings with ``kb``/``mb``/``gb`` (powers of 1024) are accepted."""

#: ElastiCache node types: (memory GiB, on-demand USD per hour in us-east-1, Redis OSS engine).
#: Memory: AWS's supported-node-types table. Prices: AWS Price List API (AmazonElastiCache,
#: NodeUsage, us-east-1) as copied into third-party price tables on GitHub, read 2026-10;
#: other independent tables give cache.r7g.large between 0.218 and 0.222.
REDIS_NODE_TYPES: dict[str, tuple[float, float]] = {
    "cache.t4g.micro": (0.5, 0.016),
    "cache.t4g.small": (1.37, 0.032),
    "cache.m7g.large": (6.38, 0.158),
    "cache.r6g.large": (13.07, 0.206),
    "cache.r7g.large": (13.07, 0.219),
}

MAX_REPLICAS = 5  # 0–5 replicas per shard (§4)


class FailoverConfig(Model):
    """Multi-AZ automatic failover timeline (fact sheet §4).

    Detection plus promotion "should usually take about 30 seconds" (§4, cluster mode); how the
    30 s splits is not documented, so the default split is an assumption. Writes resume when
    clients re-resolve the primary endpoint, which AWS re-points to the new primary (§4).
    """

    detection: NonNegDuration = Field(
        20.0, description="primary loss → failover starts (assumed split of the ~30 s, §4)"
    )
    promotion: NonNegDuration = Field(
        10.0, description="failover starts → replica promoted (detection + promotion ≈ 30 s, §4)"
    )
    dns_refresh: NonNegDuration = Field(
        10.0, description="promotion → clients resolve the new primary (client DNS TTL 5–10 s, §4)"
    )

    @property
    def total(self) -> float:
        """Seconds from primary loss until clients write to the new primary."""
        return self.detection + self.promotion + self.dns_refresh


class RedisConfig(Model):
    """ElastiCache for Redis, cluster mode disabled: one primary and 0–5 replicas (§4).

    Every session read or write is a round trip from the instance to the primary
    (``latency_same_az`` or ``latency_cross_az``), plus queueing when the primary is busy (one
    FIFO server doing ``ops_per_second``). Replication is asynchronous: a replica is
    ``replication_lag`` plus half a round trip behind the primary.
    """

    node_type: Literal["cache.t4g.micro", "cache.t4g.small", "cache.m7g.large", "cache.r6g.large",
                       "cache.r7g.large"] = "cache.r7g.large"  # fmt: skip
    primary_az: str | None = Field(None, description="the primary's AZ; default the first AZ")
    replica_azs: list[str] = Field(
        default_factory=list, description="one entry per replica, its AZ (0–5 replicas, §4)"
    )
    multi_az: bool = Field(
        False,
        description=("automatic failover to a replica (API default false; needs >= 1 replica, §4)"),
    )
    replication_lag: NonNegDuration = Field(
        0.1, description="how far a replica trails the primary (assumption; AWS gives no figure)"
    )
    failover: FailoverConfig = Field(default_factory=FailoverConfig)
    node_replacement: NonNegDuration = Field(
        300.0, description="time to replace a failed node once its AZ is back ('a few minutes', §4)"
    )
    latency_same_az: PosDuration = Field(
        0.0003, description="round trip instance → node in the same AZ (assumption)"
    )
    latency_cross_az: PosDuration = Field(
        0.0008, description="round trip instance → node in another AZ (assumption)"
    )
    ops_per_second: float = Field(
        100_000.0, gt=0, description="operations one node serves per second (assumption)"
    )
    maxmemory: Bytes | None = Field(
        None, gt=0, description="bytes per node; default the node type's memory"
    )
    reserved_memory_percent: float = Field(
        25.0, ge=0, lt=100, description="share of maxmemory kept for overhead (default 25 %, §4)"
    )
    maxmemory_policy: Literal["volatile-lru", "allkeys-lru", "volatile-ttl", "noeviction"] = Field(
        "volatile-lru", description="eviction when memory is full (default volatile-lru, §4)"
    )
    ttl: bool = Field(
        True,
        description=(
            "session keys carry a TTL equal to the session timeout (needed for volatile-* "
            "eviction, §4)"
        ),
    )

    @field_validator("replica_azs")
    @classmethod
    def _at_most_five(cls, azs: list[str]) -> list[str]:
        if len(azs) > MAX_REPLICAS:
            raise ValueError(
                f"a Redis shard has at most {MAX_REPLICAS} replicas (§4), got {len(azs)}"
            )
        return azs

    @model_validator(mode="after")
    def _multi_az_needs_a_replica(self) -> RedisConfig:
        # Multi-AZ prerequisite: at least 1 replica per shard (§4).
        if self.multi_az and not self.replica_azs:
            raise ValueError(
                "multi_az: automatic failover needs at least one replica (§4); "
                "add replica_azs or set multi_az: false"
            )
        if self.latency_cross_az < self.latency_same_az:
            raise ValueError(
                "latency_cross_az must be >= latency_same_az "
                f"({self.latency_cross_az:g} < {self.latency_same_az:g})"
            )
        return self

    @property
    def memory_bytes(self) -> int:
        """maxmemory, defaulting to the node type's memory."""
        if self.maxmemory is not None:
            return self.maxmemory
        return int(REDIS_NODE_TYPES[self.node_type][0] * 1024**3)

    @property
    def price_usd_hour(self) -> float:
        """On-demand price of one node."""
        return REDIS_NODE_TYPES[self.node_type][1]


class DynamoDbConfig(Model):
    """A DynamoDB table as session store (fact sheet §5): multi-AZ, no failover gap."""

    capacity_mode: Literal["on_demand", "provisioned"] = Field(
        "on_demand", description="on_demand never throttles here; provisioned may"
    )
    read_capacity: float = Field(100.0, gt=0, description="provisioned RCU per second")
    write_capacity: float = Field(100.0, gt=0, description="provisioned WCU per second")
    consistent_reads: bool = Field(
        False, description="strong reads cost 1 RCU per 4 KB, eventual 0.5 (default eventual, §5)"
    )
    read_latency: PosDuration = Field(0.004, description="'single-digit milliseconds' (§5)")
    write_latency: PosDuration = Field(0.006, description="'single-digit milliseconds' (§5)")


class S3Config(Model):
    """S3 as upload store: durable; each upload costs one PUT."""

    put_latency: PosDuration = Field(0.1, description="seconds per PUT (assumption)")


class StateConfig(Model):
    """Where sessions and uploads live, and how sessions behave."""

    sessions: Literal["instance_memory", "instance_disk", "redis", "dynamodb", "ideal"] = Field(
        "instance_memory",
        description=(
            "instance_memory / instance_disk: on the instance that created it; redis: "
            "ElastiCache; dynamodb: a DynamoDB table; ideal: a perfect external store"
        ),
    )
    uploads: Literal["instance_disk", "s3"] = Field(
        "instance_disk", description="where uploaded files go (instance_disk dies with it)"
    )
    write_fraction: float = Field(
        0.1, ge=0, le=1, description="share of non-login requests that also write the session"
    )
    session_timeout: PosDuration = Field(
        1800.0, description="idle time after which a session expires (assumption: 30 min)"
    )
    session_size: Bytes = Field(2048, gt=0, description="bytes per session (memory, RCU/WCU)")
    redis: RedisConfig = Field(default_factory=RedisConfig)
    dynamodb: DynamoDbConfig = Field(default_factory=DynamoDbConfig)
    s3: S3Config = Field(default_factory=S3Config)


def _design_bundle(design: str, azs: list[Any]) -> dict[str, Any]:
    if design == "stateful":
        return {
            "alb": {"stickiness": {"enabled": True}},
            "state": {"sessions": "instance_memory", "uploads": "instance_disk"},
        }
    replica = azs[1] if len(azs) > 1 else azs[0]
    return {
        "alb": {"stickiness": {"enabled": False}},
        "state": {
            "sessions": "redis",
            "uploads": "s3",
            "redis": {"primary_az": azs[0], "replica_azs": [replica], "multi_az": True},
        },
    }


DESIGNS = ("stateful", "stateless")
"""``stateful``: sticky sessions in instance memory, uploads on the instance's disk.
``stateless``: no stickiness, sessions in Redis with one replica in the second AZ and Multi-AZ
failover, uploads in S3."""


def _under(preset: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    # The scenario's own values win over the preset's, key by key.
    out = copy.deepcopy(preset)
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _under(out[key], value)
        else:
            out[key] = value
    return out


def apply_design(data: dict[str, Any]) -> dict[str, Any]:
    """Fill in the bundle named by ``data["design"]`` under the scenario's own values.

    Unknown design names are left for the ``design`` field's validation to reject.
    """
    design = data.get("design")
    if design not in DESIGNS:
        return data
    azs = data.get("azs") or ["a", "b", "c"]
    if not isinstance(azs, list) or not azs:
        return data
    return _under(_design_bundle(str(design), azs), data)


def expand_state_azs(data: dict[str, Any], region: str) -> None:
    """Expand single-letter AZs in ``state.redis`` to ``<region><letter>``, in place."""
    redis = (data.get("state") or {}).get("redis") if isinstance(data.get("state"), dict) else None
    if not isinstance(redis, dict):
        return
    if "primary_az" in redis:
        redis["primary_az"] = full_az(region, redis["primary_az"])
    if isinstance(redis.get("replica_azs"), list):
        redis["replica_azs"] = [full_az(region, az) for az in redis["replica_azs"]]


def check_state_azs(state: StateConfig, azs: list[str]) -> None:
    """Raise ValueError naming the field if a Redis node is placed outside the scenario's AZs."""
    redis = state.redis
    if redis.primary_az is not None and redis.primary_az not in azs:
        raise ValueError(
            f"state.redis.primary_az: {redis.primary_az!r} is not one of the scenario's AZs {azs}"
        )
    for i, az in enumerate(redis.replica_azs):
        if az not in azs:
            raise ValueError(
                f"state.redis.replica_azs.{i}: {az!r} is not one of the scenario's AZs {azs}"
            )
