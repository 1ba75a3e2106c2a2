"""Scaling configuration: CloudWatch monitoring, scaling policies and scheduled actions.

Defaults and rules are AWS's (fact sheet §2.7, §2.11). Two target-tracking figures are *observed,
not documented* (the alarms AWS creates fire on 3 of 3 datapoints above the target and on 15 of
15 below a lower threshold, about 0.7 × target): they are parameters here, with those values as
defaults.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from fleetsim.config.base import MAX_INSTANCES, Model, NonNegDuration
from fleetsim.config.cron import Cron

MetricName = Literal["CPUUtilization", "RequestCountPerTarget"]
"""Predefined metrics a policy can use: the group's average CPU, or ALB requests per target."""
Comparison = Literal[">", ">=", "<", "<="]
AdjustmentType = Literal["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"]


class MonitoringConfig(Model):
    """How CloudWatch sees the group: datapoint period and publication delay."""

    detailed: bool = Field(
        False,
        description=(
            "detailed monitoring: 60 s EC2 datapoints; basic: 300 s, the launch-template "
            "default (fact sheet §2.11). ALB metrics are always 60 s (§1)"
        ),
    )
    publish_delay: NonNegDuration = Field(
        60.0,
        description=(
            "seconds between a period's end and its datapoint being visible to alarms "
            "(assumption: AWS documents no figure)"
        ),
    )


class _AlarmPolicy(Model):
    """Fields shared by the policies that act on a CloudWatch alarm (step and simple)."""

    name: str = ""
    metric: MetricName = "CPUUtilization"
    comparison: Comparison = ">="
    threshold: float = Field(description="alarm threshold, in the metric's unit")
    evaluation_periods: int = Field(1, ge=1, description="datapoints the alarm looks at")
    datapoints_to_alarm: int | None = Field(
        None, ge=1, description="breaching datapoints needed (default: evaluation_periods)"
    )
    adjustment_type: AdjustmentType = "ChangeInCapacity"
    min_adjustment_magnitude: int | None = Field(
        None, ge=1, description="smallest step of a PercentChangeInCapacity adjustment"
    )

    @model_validator(mode="after")
    def _alarm_consistent(self) -> _AlarmPolicy:
        m = self.datapoints_to_alarm
        if m is not None and m > self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm ({m}) must be <= evaluation_periods "
                f"({self.evaluation_periods})"
            )
        if self.min_adjustment_magnitude is not None and (
            self.adjustment_type != "PercentChangeInCapacity"
        ):
            raise ValueError(
                "min_adjustment_magnitude applies only to adjustment_type PercentChangeInCapacity"
            )
        return self


class TargetTrackingPolicy(Model):
    """Keep a metric near a target value (fact sheet §2.7)."""

    kind: Literal["target_tracking"] = "target_tracking"
    name: str = ""
    metric: MetricName = Field(
        "CPUUtilization",
        description=(
            "CPUUtilization (ASGAverageCPUUtilization, percent) or RequestCountPerTarget "
            "(ALBRequestCountPerTarget, requests per target per minute)"
        ),
    )
    target: float = Field(gt=0, description="target value of the metric")
    disable_scale_in: bool = False  # DisableScaleIn default false (§2.7)
    scale_out_datapoints: int = Field(
        3, ge=1, description="AlarmHigh: N of N datapoints above target (observed, §2.7)"
    )
    scale_in_datapoints: int = Field(
        15, ge=1, description="AlarmLow: N of N datapoints below its threshold (observed, §2.7)"
    )
    scale_in_threshold_ratio: float = Field(
        0.7,
        gt=0,
        le=1,
        description="AlarmLow threshold as a fraction of target (observed 40→28, 50→35, §2.7)",
    )


class Step(Model):
    """One step of a step-scaling policy, bounds relative to the alarm threshold."""

    lower: float | None = Field(None, description="inclusive lower bound; null = -infinity")
    upper: float | None = Field(None, description="exclusive upper bound; null = +infinity")
    adjustment: float


class StepPolicy(_AlarmPolicy):
    """Step scaling: the size of the breach picks the adjustment (fact sheet §2.7)."""

    kind: Literal["step"] = "step"
    steps: list[Step] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _contiguous(cls, steps: list[Step]) -> list[Step]:
        # Step bounds must leave no gap and no overlap (§2.7).
        ordered = sorted(steps, key=lambda s: -float("inf") if s.lower is None else s.lower)
        for i, s in enumerate(ordered):
            lo = -float("inf") if s.lower is None else s.lower
            hi = float("inf") if s.upper is None else s.upper
            if lo >= hi:
                raise ValueError(f"step [{lo:g}, {hi:g}) is empty: lower must be < upper")
            if i + 1 < len(ordered):
                nxt = ordered[i + 1]
                nlo = -float("inf") if nxt.lower is None else nxt.lower
                if hi < nlo:
                    raise ValueError(f"steps leave a gap between {hi:g} and {nlo:g}")
                if hi > nlo:
                    raise ValueError(f"steps overlap: [{lo:g}, {hi:g}) and one starting at {nlo:g}")
        return ordered

    @model_validator(mode="after")
    def _steps_on_breach_side(self) -> StepPolicy:
        above = self.comparison in (">", ">=")
        lo = self.steps[0].lower
        hi = self.steps[-1].upper
        if above and (lo is None or lo < 0):
            raise ValueError(
                "steps of a policy whose alarm fires above the threshold must start at >= 0 "
                "(bounds are relative to the threshold)"
            )
        if not above and (hi is None or hi > 0):
            raise ValueError(
                "steps of a policy whose alarm fires below the threshold must end at <= 0 "
                "(bounds are relative to the threshold)"
            )
        return self


class SimplePolicy(_AlarmPolicy):
    """Simple scaling: one adjustment per alarm, then a cooldown (fact sheet §2.7)."""

    kind: Literal["simple"] = "simple"
    adjustment: float
    cooldown: NonNegDuration | None = Field(
        None, description="seconds after the activity; default: the group's default_cooldown"
    )


Policy = Annotated[TargetTrackingPolicy | StepPolicy | SimplePolicy, Field(discriminator="kind")]
"""A scaling policy, chosen by ``kind``."""


class ScheduledAction(Model):
    """Set min, max and/or desired at a time or on a recurrence (fact sheet §2.7)."""

    name: str = ""
    at: NonNegDuration | None = Field(None, description="simulated time of a one-off action")
    recurrence: str | None = Field(
        None, description="cron 'minute hour day-of-month month day-of-week', UTC"
    )
    min_size: int | None = Field(None, ge=0, le=MAX_INSTANCES)
    max_size: int | None = Field(None, ge=0, le=MAX_INSTANCES)
    desired_capacity: int | None = Field(None, ge=0, le=MAX_INSTANCES)

    @field_validator("recurrence")
    @classmethod
    def _fires(cls, value: str | None) -> str | None:
        if value is None:
            return value
        cron = Cron.parse(value)
        origin = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        if cron.next_after(origin) is None:
            raise ValueError(f"recurrence {value!r} never fires (no such calendar day)")
        return value

    @model_validator(mode="after")
    def _complete(self) -> ScheduledAction:
        if (self.at is None) == (self.recurrence is None):
            raise ValueError("give exactly one of 'at' or 'recurrence'")
        if self.min_size is None and self.max_size is None and self.desired_capacity is None:
            raise ValueError("set at least one of min_size, max_size, desired_capacity")
        lo, hi = self.min_size, self.max_size
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_size ({lo}) must be <= max_size ({hi})")
        return self
