"""The Application Load Balancer (fact sheet section 1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fleetsim.config.base import Model
from fleetsim.config.units import Duration


class HealthCheckConfig(Model):
    """ALB target-group health check (fact sheet §1.1; ALB/target-group-health-checks.md)."""

    interval: Duration = Field(30.0, ge=5, le=300)  # HealthCheckIntervalSeconds default 30, 5–300
    timeout: Duration = Field(5.0, ge=2, le=120)  # HealthCheckTimeoutSeconds, HTTP: 5 (D1)
    healthy_threshold: int = Field(5, ge=2, le=10)  # HealthyThresholdCount default 5
    unhealthy_threshold: int = Field(2, ge=2, le=10)  # UnhealthyThresholdCount default 2

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        if self.timeout >= self.interval:
            raise ValueError(
                f"timeout ({self.timeout:g} s) must be less than interval ({self.interval:g} s)"
            )
        return self


class StickinessConfig(Model):
    """Sticky sessions (fact sheet §1.2; ALB/sticky-sessions.md)."""

    enabled: bool = False  # stickiness.enabled default false
    duration: Duration = Field(86400.0, ge=1, le=604800)  # lb_cookie.duration_seconds 86400


class AlbConfig(Model):
    """The Application Load Balancer and its target group."""

    algorithm: Literal["round_robin"] = "round_robin"  # load_balancing.algorithm.type default
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    stickiness: StickinessConfig = Field(default_factory=StickinessConfig)
    deregistration_delay: Duration = Field(300.0, ge=0, le=3600)  # fact sheet §1.2, default 300
    idle_timeout: Duration = Field(60.0, ge=1, le=4000)  # idle_timeout.timeout_seconds 60
    minimum_healthy_targets: int = Field(1, ge=1)  # fail-open threshold, default count 1 (§1.1)
    dns_failover_delay: Duration = Field(
        150.0,
        ge=0,
        description=(
            "seconds a failed AZ's ALB node stays in DNS; default 150 = Route 53 detection "
            "30 s x 3 checks + 60 s propagation (fact sheet §6, derived estimate)"
        ),
    )
