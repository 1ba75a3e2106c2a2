"""The Auto Scaling group (fact sheet section 2).

Group size, health checks, lifecycle hooks, warm pool and instance-refresh preferences live here;
CloudWatch monitoring, scaling policies and scheduled actions are in
:mod:`fleetsim.config.scaling` and hang off :class:`AsgConfig`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from fleetsim.config.base import MAX_INSTANCES, Model, NonNegDuration, PosDuration
from fleetsim.config.scaling import MonitoringConfig, Policy, ScheduledAction
from fleetsim.config.units import Duration


class LifecycleHook(Model):
    """A lifecycle hook: the instance waits in ``Pending:Wait`` or ``Terminating:Wait`` (§2.6).

    The hook completes with CONTINUE after ``action_time``, or (launch hooks) when the app first
    answers (``complete_when_app_ready``: user data calls complete-lifecycle-action, the pattern
    AWS recommends for bootstrapped instances, §8); otherwise, or if that takes longer than
    ``heartbeat_timeout``, it times out with ``default_result``.
    """

    name: str = ""
    transition: Literal["launching", "terminating"]
    heartbeat_timeout: Duration = Field(3600.0, ge=30, le=7200)  # HeartbeatTimeout 3600, 30–7200
    default_result: Literal["CONTINUE", "ABANDON"] = "ABANDON"  # API default ABANDON (§2.6, D5)
    action_time: NonNegDuration | None = Field(
        None,
        description=(
            "seconds the hook's action takes before it completes with CONTINUE; null or longer "
            "than heartbeat_timeout: the hook times out and default_result applies"
        ),
    )
    complete_when_app_ready: bool = Field(
        False,
        description=(
            "launch hooks: the instance completes the hook (CONTINUE) when its app first "
            "answers; an app that never comes up lets the hook time out (default_result)"
        ),
    )

    @model_validator(mode="after")
    def _one_completion(self) -> LifecycleHook:
        if self.complete_when_app_ready and self.action_time is not None:
            raise ValueError("set action_time or complete_when_app_ready, not both")
        if self.complete_when_app_ready and self.transition != "launching":
            raise ValueError("complete_when_app_ready applies to launching hooks only")
        return self


class WarmPoolConfig(Model):
    """A pool of pre-initialised instances launches are taken from (fact sheet §2.8, §3)."""

    pool_state: Literal["Stopped", "Running", "Hibernated"] = "Stopped"  # PoolState default
    min_size: int = Field(0, ge=0)  # MinSize default 0 (§2.8)
    max_group_prepared_capacity: int | None = Field(
        None, ge=0, description="pool size is this minus desired; default: max_size − desired"
    )
    reuse_on_scale_in: bool = False  # InstanceReusePolicy off by default (§2.8)
    resume_time_stopped: NonNegDuration = 21.2  # start a stopped instance, measured (§3)
    resume_time_hibernated: NonNegDuration = 20.7  # resume from hibernation, measured (§3)
    resume_time_running: NonNegDuration = 3.0  # already running: ~2–4 s, measured (§3)


class InstanceRefreshConfig(Model):
    """Default preferences of an instance refresh (fact sheet §2.9)."""

    min_healthy_percentage: int = Field(90, ge=0, le=100)  # MinHealthyPercentage default 90
    max_healthy_percentage: int = Field(100, ge=100, le=200)  # MaxHealthyPercentage default 100
    instance_warmup: NonNegDuration | None = Field(
        None, description="default: default_instance_warmup, else health_check_grace_period"
    )

    @model_validator(mode="after")
    def _span(self) -> InstanceRefreshConfig:
        if self.max_healthy_percentage > self.min_healthy_percentage + 100:
            raise ValueError(
                f"max_healthy_percentage ({self.max_healthy_percentage}) must be <= "
                f"min_healthy_percentage + 100 ({self.min_healthy_percentage + 100})"
            )
        return self


class AsgConfig(Model):
    """The Auto Scaling group's size, health checks and scaling (fact sheet §2)."""

    min_size: int = Field(1, ge=0, le=MAX_INSTANCES)
    max_size: int = Field(10, ge=0, le=MAX_INSTANCES)
    desired_capacity: int = Field(2, ge=0, le=MAX_INSTANCES)
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
    health_evaluation_interval: PosDuration = Field(
        10.0,
        description=(
            "how often the group evaluates its instances' ELB health (AWS: 'periodically', no "
            "figure published, fact sheet §2.2, §8; an assumption)"
        ),
    )
    default_cooldown: NonNegDuration = 300.0  # DefaultCooldown 300 s, simple scaling (§2.1)
    default_instance_warmup: NonNegDuration | None = Field(
        None,
        description=(
            "seconds a new InService instance is left out of metrics and blocks scale-in; "
            "not set by default (§2.1), then policies use default_cooldown"
        ),
    )
    new_instances_protected_from_scale_in: bool = False
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    policies: list[Policy] = Field(default_factory=list)
    scheduled_actions: list[ScheduledAction] = Field(default_factory=list)
    schedule_start: dt.datetime = Field(
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        description="UTC calendar time of simulated t = 0, for recurrences",
    )
    lifecycle_hooks: list[LifecycleHook] = Field(default_factory=list)
    warm_pool: WarmPoolConfig | None = None
    instance_refresh: InstanceRefreshConfig = Field(default_factory=InstanceRefreshConfig)

    @model_validator(mode="after")
    def _ordered(self) -> AsgConfig:
        if self.min_size > self.max_size:
            raise ValueError(f"min_size ({self.min_size}) must be <= max_size ({self.max_size})")
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"desired_capacity ({self.desired_capacity}) must be between min_size "
                f"({self.min_size}) and max_size ({self.max_size})"
            )
        names = [p.name for p in self.policies if p.name]
        if len(set(names)) != len(names):
            raise ValueError(f"policies: names must be unique, got {names}")
        return self

    @property
    def metric_warmup(self) -> float:
        """Seconds a new instance stays out of the metrics and blocks scale-in.

        DefaultInstanceWarmup if set, else the policies' EstimatedInstanceWarmup default, the
        DefaultCooldown (§2.1).
        """
        if self.default_instance_warmup is not None:
            return self.default_instance_warmup
        return self.default_cooldown
