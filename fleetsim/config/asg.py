"""The Auto Scaling group (fact sheet section 2)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fleetsim.config.base import Model
from fleetsim.config.units import Duration


class AsgConfig(Model):
    """The Auto Scaling group's size and health checks (fact sheet §2.1)."""

    min_size: int = Field(1, ge=0)
    max_size: int = Field(10, ge=0)
    desired_capacity: int = Field(2, ge=0)
    health_check_type: Literal["EC2", "ELB"] = "EC2"  # HealthCheckType default EC2
    health_check_grace_period: Duration = Field(0.0, ge=0)  # API default 0 (console: 300), D3
    impaired_replacement_delay: Duration = Field(
        180.0,
        ge=0,
        description=(
            "how long an EC2-health-checked group waits before replacing an impaired "
            "(unreachable) instance; AWS says 'a few minutes' (fact sheet §2.2)"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> AsgConfig:
        if self.min_size > self.max_size:
            raise ValueError(f"min_size ({self.min_size}) must be <= max_size ({self.max_size})")
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"desired_capacity ({self.desired_capacity}) must be between min_size "
                f"({self.min_size}) and max_size ({self.max_size})"
            )
        return self
