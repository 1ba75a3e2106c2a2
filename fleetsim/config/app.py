"""The application and the instances it runs on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from fleetsim.config.base import Model
from fleetsim.config.catalog import INSTANCE_TYPES
from fleetsim.config.dists import Dist, Exponential


class AppConfig(Model):
    """The application served by each instance: per-request CPU time and the worker pool."""

    cpu_time: Dist = Field(
        default_factory=lambda: Exponential(mean_=0.05),
        description="CPU seconds per request on a speed-1.0 vCPU",
    )
    workers: int = Field(8, ge=1, description="concurrent requests per instance (worker pool)")
    queue_size: int = Field(128, ge=0, description="accept queue length; beyond it 503")


class InstanceConfig(Model):
    """What the Auto Scaling group launches: type, AMI profile and boot times."""

    type: str = "m5.large"
    ami: Literal["baked", "bootstrapped"] = "baked"
    pending_time: Dist | None = Field(
        None, description="launch request to EC2 'running' (not billed); default from measured"
    )
    boot_time: Dist | None = Field(
        None, description="'running' to the app answering; default from the AMI profile"
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in INSTANCE_TYPES:
            raise ValueError(
                f"unknown instance type {value!r}; known types: {', '.join(sorted(INSTANCE_TYPES))}"
            )
        return value
