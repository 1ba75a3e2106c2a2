"""The Application Load Balancer and its target group (fact sheet section 1).

One target group sits behind the ALB. Its health check, routing algorithm, stickiness,
deregistration delay, slow start and cross-zone setting are the target group's attributes; the
idle timeout, the client keep-alive and the DNS withdrawal delay belong to the load balancer,
and ``clients`` describes the users' clients reaching its nodes. Every default is AWS's
documented default, cited by fact-sheet section; ranges are AWS's ranges, so a scenario AWS would
refuse is refused here with an error naming the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fleetsim.config.base import Model
from fleetsim.config.clients import ClientsConfig
from fleetsim.config.units import Duration

SLOW_START_MIN_S = 30.0  # slow_start.duration_seconds range 30–900, 0 = off (§1.2)
SLOW_START_MAX_S = 900.0
#: Settings that no longer exist, by dotted path: what replaces them (config/errors.py says so).
REMOVED = {
    "alb.dns_failover_delay": "how long users keep reaching a failed ALB node is now the "
    "time AWS takes to withdraw it from DNS (alb.dns_withdrawal_delay, default 150 s) plus what "
    "their clients do with the 60 s TTL (alb.clients: long_cache_share, long_cache, "
    "next_address_share, connect_timeout, keep_alive); see docs/alb.md",
    "alb.health_check.fails_when_saturated": "checks now go through the target's accept queue "
    "(through_queue: true, the default) and fail when it is full or no worker answers within "
    "timeout (fact sheet §8), which replaces fails_when_saturated: true; for the old default, "
    "checks that never see the backlog, set through_queue: false; see docs/alb.md",
}


class HealthCheckConfig(Model):
    """ALB target-group health check (fact sheet §1.1; ALB/target-group-health-checks.md)."""

    interval: Duration = Field(30.0, ge=5, le=300)  # HealthCheckIntervalSeconds default 30, 5–300
    timeout: Duration = Field(5.0, ge=2, le=120)  # HealthCheckTimeoutSeconds, HTTP: 5 (D1)
    healthy_threshold: int = Field(5, ge=2, le=10)  # HealthyThresholdCount default 5, 2–10
    unhealthy_threshold: int = Field(2, ge=2, le=10)  # UnhealthyThresholdCount default 2, 2–10
    through_queue: bool = Field(
        True,
        description=(
            "a check is an HTTP request to the application (fact sheet §8): it waits in the "
            "target's accept queue for a worker like one, and fails if the queue is full or "
            "no answer comes within timeout; false: checks are answered at once by a live "
            "application whatever its backlog (e.g. a health endpoint served apart)"
        ),
    )
    cost: Duration = Field(
        0.0,
        ge=0,
        description=(
            "worker-seconds one check takes on the target (a free worker is held this long); "
            "0 = checks cost nothing of the target's capacity"
        ),
    )

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        # AWS: the timeout must be smaller than the interval (§1.1).
        if self.timeout >= self.interval:
            raise ValueError(
                f"timeout ({self.timeout:g} s) must be less than interval ({self.interval:g} s)"
            )
        return self


class StickinessConfig(Model):
    """Sticky sessions (fact sheet §1.2; ALB/sticky-sessions.md)."""

    enabled: bool = False  # stickiness.enabled default false (§1.2)
    type: Literal["lb_cookie", "app_cookie"] = Field(
        "lb_cookie",
        description=(
            "lb_cookie: the ALB's AWSALB cookie binds every user; app_cookie: the binding "
            "follows the application's session cookie, so it holds only while the user has a "
            "session"
        ),
    )
    # lb_cookie.duration_seconds and app_cookie.duration_seconds: default 86400, 1–604800 (§1.2)
    duration: Duration = Field(86400.0, ge=1, le=604800)


class AlbConfig(Model):
    """The Application Load Balancer and its target group."""

    enabled: bool = Field(
        True,
        description=(
            "false: no load balancer; clients reach the group's single instance directly (no "
            "health checks, no draining, no ALB nodes); while it cannot answer, requests fail "
            "'000 instance_down'. Needs asg.max_size 1 and EC2 health checks"
        ),
    )
    # load_balancing.algorithm.type, default round_robin (§1.2)
    algorithm: Literal["round_robin", "least_outstanding_requests", "weighted_random"] = (
        "round_robin"
    )
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    stickiness: StickinessConfig = Field(default_factory=StickinessConfig)
    deregistration_delay: Duration = Field(300.0, ge=0, le=3600)  # default 300, 0–3600 (§1.2)
    idle_timeout: Duration = Field(60.0, ge=1, le=4000)  # idle_timeout.timeout_seconds 60 (§1.3)
    target_keepalive_timeout: Duration = Field(
        75.0,
        gt=0,
        le=86400,
        description=(
            "the targets' HTTP keep-alive timeout: an idle ALB-to-target connection closes after "
            "it, and a draining target with open connections waits for it (§9.10). Default 75 s, "
            "nginx's keepalive_timeout; AWS asks for more than idle_timeout"
        ),
    )
    slow_start: Duration = Field(
        0.0,
        ge=0,
        le=SLOW_START_MAX_S,
        description="slow_start.duration_seconds: 0 (off) or 30–900 s of linear ramp (§1.2)",
    )
    cross_zone: bool = Field(
        True,
        description=(
            "load_balancing.cross_zone.enabled of the target group; off: each ALB node routes "
            "only to targets in its own AZ (§1.2, §1.5)"
        ),
    )
    minimum_healthy_targets: int = Field(1, ge=1)  # fail-open threshold, default count 1 (§1.1)
    minimum_healthy_percentage: float | None = Field(
        None,
        ge=1,
        le=100,
        description=(
            "fail-open threshold as a percentage of registered targets (off by default, §1.1); "
            "with both set, falling below either fails open"
        ),
    )
    client_keep_alive: Duration = Field(
        3600.0,
        ge=60,
        le=604800,
        description=(
            "client_keep_alive.seconds: the longest a client connection lives, the ALB closes "
            "it after this (default 3600, 60-604800, §9.9)"
        ),
    )
    dns_withdrawal_delay: Duration = Field(
        150.0,
        ge=0,
        description=(
            "seconds from a node's failure (or its AZ losing its last healthy target, cross-zone "
            "off) until DNS stops handing out its address; default 150 = Route 53 detection "
            "30 s x 3 checks + 60 s propagation (fact sheet §6, a derived estimate)"
        ),
    )
    clients: ClientsConfig = Field(default_factory=ClientsConfig)

    @model_validator(mode="after")
    def _consistent(self) -> AlbConfig:
        if 0 < self.slow_start < SLOW_START_MIN_S:
            raise ValueError(
                f"slow_start ({self.slow_start:g} s) must be 0 (off) or between "
                f"{SLOW_START_MIN_S:g} and {SLOW_START_MAX_S:g} s"
            )
        # LOR cannot be combined with slow start (§1.2).
        if self.slow_start and self.algorithm == "least_outstanding_requests":
            raise ValueError(
                f"slow_start ({self.slow_start:g} s) cannot be combined with algorithm "
                "least_outstanding_requests (AWS refuses it); set slow_start to 0 or use "
                "round_robin / weighted_random"
            )
        # Stickiness needs cross-zone load balancing on (§1.2).
        if self.stickiness.enabled and not self.cross_zone:
            raise ValueError(
                "stickiness.enabled needs cross_zone on (AWS: sticky sessions require "
                "cross-zone load balancing)"
            )
        return self
