"""Scaling policies and scheduled actions: the decisions that change the group's desired capacity.

Each policy watches CloudWatch alarms and asks the group for a new desired capacity (fact sheet
§2.7):

* **Target tracking** creates two alarms: AlarmHigh (above the target on
  ``scale_out_datapoints`` of as many datapoints) and AlarmLow (below ``scale_in_threshold_ratio``
  × target on ``scale_in_datapoints`` of as many) — both observed, not documented. The capacity it
  asks for is the number of instances the metric covers times value / target, rounded up to
  scale out and down to scale in. With several target-tracking policies the group scales out if
  any asks and scales in only if all policies that may scale in agree (to the largest of their
  capacities).
* **Step scaling** picks the step whose bounds (relative to the threshold) hold the breach, and
  applies its adjustment. While scaling out, instances still pending or warming up are not part of
  the current capacity, so repeated alarms in the same step add nothing more.
* **Simple scaling** applies its adjustment, then ignores its alarm until the scaling activity
  has finished and its cooldown (default 300 s) has passed.
* **Scheduled actions** set min, max and/or desired at a time or on a cron recurrence; cooldowns
  do not apply.

Scale-in by any policy waits while an instance is warming up (§2.1). Every decision that changes
the desired capacity is a :class:`~fleetsim.sim.asg.decisions.ScalingDecision` the group keeps
(``AutoScalingGroup.decisions``) and logs as an ``asg.scaling`` event.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from fleetsim.config.asg import AsgConfig
from fleetsim.config.cron import Cron
from fleetsim.config.scaling import (
    ScheduledAction,
    SimplePolicy,
    StepPolicy,
    TargetTrackingPolicy,
)
from fleetsim.sim.asg.decisions import Requester, ScalingDecision
from fleetsim.sim.cloudwatch import Alarm, CloudWatch
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.sim.asg import AutoScalingGroup

Point = tuple[float, float | None, float]


def adjusted_capacity(
    current: int, adjustment_type: str, adjustment: float, min_magnitude: int | None = None
) -> int:
    """Return the capacity an adjustment asks for, rounded as AWS documents (§2.7).

    Args:
        current: the capacity the adjustment applies to.
        adjustment_type: ChangeInCapacity, ExactCapacity or PercentChangeInCapacity.
        adjustment: the step's number (instances, an exact capacity, or percent).
        min_magnitude: MinAdjustmentMagnitude of a percentage adjustment.
    """
    if adjustment_type == "ExactCapacity":
        return int(adjustment)
    if adjustment_type == "ChangeInCapacity":
        return current + int(adjustment)
    change = current * adjustment / 100.0
    # Fractions: > 1 round down, 0–1 → 1, −1–0 → −1, < −1 round toward zero (§2.7).
    if change > 1 or change < -1:
        step = int(change)  # int() rounds toward zero: down above 1, up below −1
    elif change > 0:
        step = 1
    elif change < 0:
        step = -1
    else:
        step = 0
    if min_magnitude is not None and step != 0 and abs(step) < min_magnitude:
        step = min_magnitude if step > 0 else -min_magnitude
    return current + step


class TargetTracking:
    """One target-tracking policy and its two alarms.

    Args:
        name: the policy's name.
        cfg: its configuration.
        controller: the group's policies (coordinates scale-in across policies).
    """

    def __init__(self, name: str, cfg: TargetTrackingPolicy, controller: ScalingPolicies) -> None:
        self.name = name
        self.cfg = cfg
        self.controller = controller
        cw = controller.cloudwatch
        n_out, n_in = cfg.scale_out_datapoints, cfg.scale_in_datapoints
        # AlarmHigh: N of N above target; AlarmLow: N of N below ratio × target (observed, §2.7).
        self.high = cw.alarm(
            f"{name}-AlarmHigh", cfg.metric, ">", cfg.target, n_out, n_out, self._high
        )
        self.low = cw.alarm(
            f"{name}-AlarmLow",
            cfg.metric,
            "<",
            cfg.target * cfg.scale_in_threshold_ratio,
            n_in,
            n_in,
            self._low,
        )
        self.last_low: Point | None = None

    def capacity_for(self, point: Point, scale_out: bool) -> int:
        """Capacity that brings the metric to the target: up when scaling out, down when in."""
        _, value, covered = point
        assert value is not None  # an alarm in ALARM has data
        # Round the covered instance count first: it is a per-second mean.
        need = round(covered) * value / self.cfg.target
        return math.ceil(need - 1e-9) if scale_out else math.floor(need + 1e-9)

    def _high(self, alarm: Alarm, point: Point) -> None:
        asg = self.controller.asg
        wanted = self.capacity_for(point, scale_out=True)
        # Instances still warming up already count toward desired for the next scale-out (§2.7).
        if wanted > asg.desired:
            self.controller.decide(self.name, self.cfg.metric, point[1], wanted, alarm.name)

    def _low(self, alarm: Alarm, point: Point) -> None:
        self.last_low = point
        if not self.cfg.disable_scale_in:
            self.controller.target_tracking_scale_in(self, alarm.name)


class StepScaling:
    """One step-scaling policy on its alarm.

    Args:
        name: the policy's name.
        cfg: its configuration.
        controller: the group's policies.
    """

    def __init__(self, name: str, cfg: StepPolicy, controller: ScalingPolicies) -> None:
        self.name = name
        self.cfg = cfg
        self.controller = controller
        m = cfg.datapoints_to_alarm or cfg.evaluation_periods
        self.alarm = controller.cloudwatch.alarm(
            name, cfg.metric, cfg.comparison, cfg.threshold, cfg.evaluation_periods, m, self._act
        )

    def step_for(self, value: float) -> float | None:
        """Return the adjustment of the step holding ``value − threshold`` (None: no step)."""
        breach = value - self.cfg.threshold
        for step in self.cfg.steps:
            lo = -math.inf if step.lower is None else step.lower
            hi = math.inf if step.upper is None else step.upper
            if lo <= breach < hi:
                return step.adjustment
        return None

    def _act(self, alarm: Alarm, point: Point) -> None:
        value = point[1]
        if value is None:
            return
        adjustment = self.step_for(value)
        if adjustment is None:
            return
        asg = self.controller.asg
        cfg = self.cfg
        grows = (
            adjustment > 0 if cfg.adjustment_type != "ExactCapacity" else (adjustment > asg.desired)
        )
        if grows:
            # Pending and warming instances are not current capacity when scaling out (§2.7).
            base = max(0, asg.desired - asg.not_yet_warm())
            wanted = adjusted_capacity(
                base, cfg.adjustment_type, adjustment, cfg.min_adjustment_magnitude
            )
            if wanted > asg.desired:
                self.controller.decide(self.name, cfg.metric, value, wanted, alarm.name)
        else:
            wanted = adjusted_capacity(
                asg.desired, cfg.adjustment_type, adjustment, cfg.min_adjustment_magnitude
            )
            if wanted < asg.desired:
                self.controller.decide(
                    self.name, cfg.metric, value, wanted, alarm.name, scale_in=True
                )


class SimpleScaling:
    """One simple-scaling policy: adjust, wait for the activity, then the cooldown.

    Args:
        name: the policy's name.
        cfg: its configuration.
        controller: the group's policies.
    """

    def __init__(self, name: str, cfg: SimplePolicy, controller: ScalingPolicies) -> None:
        self.name = name
        self.cfg = cfg
        self.controller = controller
        group = controller.cfg
        # The policy's own Cooldown, else the group's DefaultCooldown (300 s, §2.1, §2.7).
        self.cooldown = cfg.cooldown if cfg.cooldown is not None else group.default_cooldown
        self.locked = False
        self.ready_at = 0.0
        m = cfg.datapoints_to_alarm or cfg.evaluation_periods
        self.alarm = controller.cloudwatch.alarm(
            name, cfg.metric, cfg.comparison, cfg.threshold, cfg.evaluation_periods, m, self._act
        )
        controller.asg.activity_listeners.append(self._activity_started)

    def _act(self, alarm: Alarm, point: Point) -> None:
        env = self.controller.env
        if self.locked or env.now < self.ready_at:
            return
        asg = self.controller.asg
        cfg = self.cfg
        wanted = adjusted_capacity(
            asg.desired, cfg.adjustment_type, cfg.adjustment, cfg.min_adjustment_magnitude
        )
        wanted = max(asg.min_size, min(asg.max_size, wanted))
        if wanted != asg.desired:
            self.controller.decide(
                self.name, cfg.metric, point[1], wanted, alarm.name, scale_in=wanted < asg.desired
            )

    def _activity_started(self) -> None:
        # After any activity (including health replacements) the policy waits for the activity
        # to finish, then the cooldown (§2.7); the replacement itself is never delayed.
        if not self.locked:
            self.locked = True
            self.controller.env.process(self._cool_down())

    def _cool_down(self) -> Process:
        env = self.controller.env
        asg = self.controller.asg
        while asg.activity_in_progress():
            yield env.timeout(1.0)
        self.locked = False
        self.ready_at = env.now + self.cooldown


class ScalingPolicies:
    """The group's scaling policies, scheduled actions and their coordination.

    Args:
        env: the simulation environment.
        cfg: the group's configuration.
        asg: the group.
        cloudwatch: where the policies' alarms live.
    """

    def __init__(
        self,
        env: simpy.Environment,
        cfg: AsgConfig,
        asg: AutoScalingGroup,
        cloudwatch: CloudWatch,
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.asg = asg
        self.cloudwatch = cloudwatch
        self.target_tracking: list[TargetTracking] = []
        self.policies: list[TargetTracking | StepScaling | SimpleScaling] = []
        for i, p in enumerate(cfg.policies):
            name = p.name or f"{p.kind}-{i}"
            if isinstance(p, TargetTrackingPolicy):
                tt = TargetTracking(name, p, self)
                self.target_tracking.append(tt)
                self.policies.append(tt)
            elif isinstance(p, StepPolicy):
                self.policies.append(StepScaling(name, p, self))
            else:
                self.policies.append(SimpleScaling(name, p, self))

    def start(self) -> None:
        """Schedule the scheduled actions."""
        for i, action in enumerate(self.cfg.scheduled_actions):
            self.env.process(self._scheduled(action, action.name or f"scheduled-{i}"))

    # --- decisions -----------------------------------------------------------------------

    def decide(
        self,
        policy: str,
        metric: str,
        value: float | None,
        wanted: int,
        reason: str,
        scale_in: bool = False,
    ) -> None:
        """Set the desired capacity a policy asks for, within min and max, and record it."""
        asg = self.asg
        if scale_in and asg.not_yet_warm():
            return  # scale-in by policies waits for warmup to end (§2.1)
        new = max(asg.min_size, min(asg.max_size, wanted))
        if new == asg.desired:
            return
        asg.set_desired(
            ScalingDecision(
                self.env.now, Requester.POLICY, policy, reason, asg.desired, new, metric, value
            )
        )

    def target_tracking_scale_in(self, caller: TargetTracking, reason: str) -> None:
        """Scale in only if every target-tracking policy that may scale in agrees (§2.7)."""
        voters = [p for p in self.target_tracking if not p.cfg.disable_scale_in]
        if any(p.low.state != "ALARM" or p.last_low is None for p in voters):
            return
        wanted = max(p.capacity_for(p.last_low, scale_out=False) for p in voters if p.last_low)
        if wanted < self.asg.desired:
            point = caller.last_low
            value = point[1] if point else None
            self.decide(caller.name, caller.cfg.metric, value, wanted, reason, scale_in=True)

    # --- scheduled actions ---------------------------------------------------------------

    def _scheduled(self, action: ScheduledAction, name: str) -> Process:
        env = self.env
        if action.at is not None:
            yield env.timeout(action.at)
            self._apply(action, name)
            return
        assert action.recurrence is not None
        cron = Cron.parse(action.recurrence)
        origin = self.cfg.schedule_start
        if origin.tzinfo is None:
            origin = origin.replace(tzinfo=dt.UTC)  # recurrences are UTC by default (§2.7)
        while True:
            now = origin + dt.timedelta(seconds=env.now)
            nxt = cron.next_after(now)
            if nxt is None:
                return
            yield env.timeout((nxt - now).total_seconds())
            self._apply(action, name)

    def _apply(self, action: ScheduledAction, name: str) -> None:
        self.asg.update_group(
            action.min_size,
            action.max_size,
            action.desired_capacity,
            name,
            "scheduled",
            Requester.SCHEDULED,
        )
