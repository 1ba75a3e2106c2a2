"""Scaling decisions: every change of an Auto Scaling group's desired capacity, as a typed value.

A scaling policy, a scheduled action or an operator (a test, a blue/green deploy) changes the
desired capacity (§2.7). The group keeps each change as a :class:`ScalingDecision` and writes it
as one ``asg.scaling`` event whose detail is :meth:`ScalingDecision.detail`; nothing reads that
text back: code and tests read :attr:`AutoScalingGroup.decisions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Requester(StrEnum):
    """Who asked for a change of desired capacity."""

    POLICY = "policy"  # a scaling policy on its alarm
    SCHEDULED = "scheduled"  # a scheduled action
    OPERATOR = "operator"  # by hand: a test, a deploy


def fmt_value(value: float | None) -> str:
    """A metric value as the decision text shows it (``none`` without data)."""
    return "none" if value is None else f"{value:.6g}"


@dataclass(frozen=True, slots=True)
class ScalingDecision:
    """One change of desired capacity.

    Attributes:
        time: simulated time of the change.
        requester: a policy, a scheduled action or an operator.
        name: the policy's or scheduled action's name, or the operator's label.
        reason: why (the alarm's name, ``scheduled``, ``manual``…).
        desired_from: desired capacity before.
        desired_to: desired capacity after.
        metric: the metric the policy watches (None for a scheduled action or an operator).
        value: the datapoint that triggered it (None without one).
        min_size: the group's min after the change (set by scheduled and operator changes).
        max_size: the group's max after the change (idem).
    """

    time: float
    requester: Requester
    name: str
    reason: str
    desired_from: int
    desired_to: int
    metric: str | None = None
    value: float | None = None
    min_size: int | None = None
    max_size: int | None = None

    def detail(self) -> str:
        """The ``asg.scaling`` event detail.

        ``policy=NAME metric=METRIC value=V desired=OLD->NEW [min=LO max=HI] reason=WHY``; an
        operator's change starts with its label instead of the policy fields.
        """
        if self.requester is Requester.OPERATOR:
            head = self.name
        else:
            head = (
                f"policy={self.name} metric={self.metric or 'none'} value={fmt_value(self.value)}"
            )
        bounds = "" if self.min_size is None else f" min={self.min_size} max={self.max_size}"
        return f"{head} desired={self.desired_from}->{self.desired_to}{bounds} reason={self.reason}"
