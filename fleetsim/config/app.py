"""The application and the instances it runs on: worker pool, boot phases, credits, Spot.

**Boot phases.** A launch is a sequence of phases, each drawn from its own distribution:
``api`` (the RunInstances call) and ``pending`` (EC2 ``pending``, not billed), then, once the
instance is ``running`` (billed), ``os_boot``, the ``user_data`` steps in order, and ``app_start``
(the application answers its health check). ``instance.ami`` picks a profile of defaults
(:data:`fleetsim.config.catalog.AMI_PROFILES`); any phase given under ``instance.boot`` replaces the
profile's. A user-data step may fail (``failure_probability``) or overrun its ``timeout``: the app
then never comes up (and a bootstrap still running ``boot.timeout`` after ``running`` gives up).
The instance stays in service until ELB health checks or a launch hook make the group replace it
(fact sheet §8). After start the app may run slower for ``warmup.duration`` (JIT,
caches) at ``warmup.initial_speed`` of full speed.

**Burstable T instances** run in ``standard`` or ``unlimited`` credit mode; **Spot** instances have
a price factor, interruptions (a rate and/or a schedule), the 2-minute notice and an optional
rebalance recommendation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, TypeAdapter, field_validator, model_validator

from fleetsim.config.base import Model, NonNegDuration, PosDuration
from fleetsim.config.catalog import AMI_PROFILES, INSTANCE_TYPES
from fleetsim.config.dists import Dist, Exponential


class AppConfig(Model):
    """The application served by each instance: per-request CPU time and the worker pool.

    Running requests share the instance's vCPUs (processor sharing): with ``n`` requests running
    on ``v`` vCPUs, each progresses at ``speed x min(1, v / n)``.
    """

    cpu_time: Dist = Field(
        default_factory=lambda: Exponential(mean_=0.05),
        description="CPU seconds per request on a speed-1.0 vCPU",
    )
    workers: int = Field(
        8, ge=1, le=10_000, description="concurrent requests per instance (worker pool)"
    )
    queue_size: int = Field(
        128, ge=0, le=1_000_000, description="accept queue length; beyond it 503"
    )


class BootStep(Model):
    """One named user-data step (package install, artifact download, config fetch, build…).

    Its time is ``duration`` plus ``size_mb / bandwidth_mb_s`` (either part may be absent).
    """

    name: str = Field(min_length=1)
    duration: Dist | None = Field(None, description="time of the step (seconds)")
    size_mb: float | None = Field(None, ge=0, description="megabytes downloaded by the step")
    bandwidth_mb_s: float | None = Field(None, gt=0, description="download bandwidth, MB/s")
    failure_probability: float = Field(
        0.0, ge=0, le=1, description="chance the step fails (the app then never comes up)"
    )
    timeout: PosDuration | None = Field(
        None, description="the step is killed and counts as failed after this long"
    )

    @model_validator(mode="after")
    def _has_a_time(self) -> BootStep:
        if self.duration is None and self.size_mb is None:
            raise ValueError(f"user-data step {self.name!r} needs a duration or a size_mb")
        if self.size_mb is not None and self.bandwidth_mb_s is None:
            raise ValueError(f"user-data step {self.name!r} has size_mb but no bandwidth_mb_s")
        return self

    def mean(self) -> float:
        """Return the step's mean time, ignoring failures and the timeout."""
        base = self.duration.mean() if self.duration is not None else 0.0
        if self.size_mb is not None and self.bandwidth_mb_s is not None:
            base += self.size_mb / self.bandwidth_mb_s
        return base


class WarmUp(Model):
    """After the app starts it runs at ``initial_speed`` of full speed for ``duration`` seconds."""

    duration: NonNegDuration = 0.0
    initial_speed: float = Field(1.0, gt=0, le=1)


def _baked(phase: str) -> Any:
    # Field defaults are the baked profile's; InstanceConfig merges the chosen profile over them.
    return lambda: TypeAdapter(Dist).validate_python(AMI_PROFILES["baked"][phase])


class BootConfig(Model):
    """The boot phases of a launch (defaults from the AMI profile; see the module docstring)."""

    api: Dist = Field(default_factory=_baked("api"), description="RunInstances (not billed)")
    pending: Dist = Field(
        default_factory=_baked("pending"), description="EC2 'pending' until 'running' (not billed)"
    )
    os_boot: Dist = Field(
        default_factory=_baked("os_boot"), description="'running' until the OS runs user data"
    )
    user_data: list[BootStep] = Field(default_factory=list, description="steps, in order")
    app_start: Dist = Field(
        default_factory=_baked("app_start"), description="app start until it answers checks"
    )
    warmup: WarmUp = Field(default_factory=WarmUp)
    # The group no longer gives up on a slow bootstrap by itself (§8): a launch hook or ELB
    # health checks do. This is the bootstrap's own deadline (a watchdog in the user data).
    timeout: PosDuration = Field(
        3600.0,
        description=(
            "after 'running', a bootstrap that has not brought the app up by then gives up: the "
            "app never answers (ec2.boot_failed)"
        ),
    )

    def mean_ready(self) -> float:
        """Return the mean time from launch request to the app answering (no failures)."""
        steps = sum(s.mean() for s in self.user_data)
        parts = (self.api, self.pending, self.os_boot, self.app_start)
        return sum(d.mean() for d in parts) + steps


class SpotInterruption(Model):
    """``count`` running Spot instances receive an interruption notice at ``at``."""

    at: NonNegDuration
    count: int = Field(1, ge=1)


class SpotConfig(Model):
    """The group's instances are Spot Instances."""

    price_factor: float = Field(
        0.4,
        gt=0,
        le=1,
        description="Spot price / on-demand price (assumption: Spot prices vary by type and AZ)",
    )
    interruption_rate: float = Field(
        0.0, ge=0, description="interruption notices per instance-hour (Poisson)"
    )
    interruptions: list[SpotInterruption] = Field(
        default_factory=list, description="scheduled interruption notices"
    )
    rebalance_recommendation: NonNegDuration | None = Field(
        None,
        description=(
            "send a rebalance recommendation this long before each interruption notice "
            "(None: none is sent; 0: together with the notice, §3)"
        ),
    )
    capacity_rebalance: bool = Field(
        False,
        description=(
            "the group's Capacity Rebalancing: launch a replacement on a rebalance "
            "recommendation or notice, terminate the old one once it is InService (§2.10)"
        ),
    )


class InstanceConfig(Model):
    """What the Auto Scaling group launches: type, AMI boot phases, credit mode, Spot."""

    type: str = "m5.large"
    ami: Literal["baked", "bootstrapped"] = "baked"
    boot: BootConfig = Field(default_factory=BootConfig)
    pending_time: Dist | None = Field(
        None, description="shorthand: replaces boot.api + boot.pending by one distribution"
    )
    boot_time: Dist | None = Field(
        None,
        description="shorthand: replaces boot.os_boot, user_data and app_start by one distribution",
    )
    speed: float | None = Field(
        None, gt=0, description="CPU speed per vCPU relative to m5; default from the catalog"
    )
    # T3 instances launch in unlimited mode unless told otherwise (RunInstances
    # CreditSpecification: "standard (T2) or unlimited (T3/T3a/T4g)").
    cpu_credits: Literal["standard", "unlimited"] = "unlimited"
    initial_credits: float | None = Field(
        None,
        ge=0,
        description=(
            "credit balance of the warm initial fleet (default: the maximum, 24 h of earnings); "
            "launched instances start at 0 (T3 get no launch credits)"
        ),
    )
    spot: SpotConfig | None = Field(None, description="run the group on Spot Instances")

    @model_validator(mode="before")
    @classmethod
    def _fill_boot_from_profile(cls, data: Any) -> Any:
        # The profile gives every phase the scenario does not; the shorthands win over both.
        if not isinstance(data, dict):
            return data
        profile = AMI_PROFILES.get(data.get("ami", "baked"))
        boot = data.get("boot")
        if profile is None or not (boot is None or isinstance(boot, dict)):
            return data
        merged = {**profile, **(boot or {})}
        if data.get("pending_time") is not None:
            merged["api"] = 0
            merged["pending"] = data["pending_time"]
        if data.get("boot_time") is not None:
            merged.update(os_boot=data["boot_time"], user_data=[], app_start=0)
        return {**data, "boot": merged}

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in INSTANCE_TYPES:
            raise ValueError(
                f"unknown instance type {value!r}; known types: {', '.join(sorted(INSTANCE_TYPES))}"
            )
        return value
