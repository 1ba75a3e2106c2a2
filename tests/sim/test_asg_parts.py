"""The Auto Scaling group's parts on their own: termination policy, decisions, lifecycle states."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from fleetsim.sim.asg import LifecycleState, Membership, Requester, ScalingDecision
from fleetsim.sim.asg.membership import Roster
from fleetsim.sim.asg.termination import pick_victim


@dataclass(eq=False)
class FakeInstance:
    """What the termination policy reads of an instance."""

    name: str
    az: str
    launched: float = 0.0


def record(name, az, template=0, launched=0.0, state=LifecycleState.IN_SERVICE):
    return Membership(FakeInstance(name, az, launched), state, template)  # type: ignore[arg-type]


def victim(candidates, counts, now=0.0, seed=1):
    inst = pick_victim(candidates, counts, now, np.random.default_rng(seed))
    return None if inst is None else inst.name


def test_no_candidate_no_victim():
    assert victim([], {"a": 3}) is None


def test_the_az_with_most_instances_goes_first():
    # The victim's AZ is the fullest among the candidates' AZs, whatever else they offer (§2.4).
    candidates = [record("a1", "a", template=0), record("b1", "b", template=5)]
    assert victim(candidates, {"a": 1, "b": 3}) == "b1"
    assert victim(candidates, {"a": 3, "b": 1}) == "a1"


def test_within_the_az_the_oldest_launch_template_goes():
    candidates = [record("new", "a", template=2), record("old", "a", template=1)]
    assert victim(candidates, {"a": 2}) == "old"


def test_then_the_one_closest_to_its_next_billing_hour():
    # At 4000 s: launched at 0 → 400 s into its hour; at 500 → 3500 s, 100 s from the next.
    candidates = [record("early", "a", launched=0.0), record("late", "a", launched=500.0)]
    assert victim(candidates, {"a": 2}, now=4000.0) == "late"


def test_ties_between_azs_are_broken_at_random():
    candidates = [record("a1", "a"), record("b1", "b")]
    picks = {victim(candidates, {"a": 2, "b": 2}, seed=s) for s in range(20)}
    assert picks == {"a1", "b1"}


def test_same_generator_state_same_victim():
    candidates = [record(f"i{k}", "abc"[k % 3], launched=10.0 * k) for k in range(9)]
    counts = {"a": 3, "b": 3, "c": 3}
    assert len({victim(candidates, counts, now=99.0, seed=7) for _ in range(3)}) == 1


@pytest.mark.parametrize(
    ("decision", "detail"),
    [
        (
            ScalingDecision(840.0, Requester.POLICY, "cpu", "cpu-AlarmHigh", 3, 5, "CPU", 75.25),
            "policy=cpu metric=CPU value=75.25 desired=3->5 reason=cpu-AlarmHigh",
        ),
        (
            ScalingDecision(1.0, Requester.POLICY, "rc", "rc-AlarmLow", 4, 3, "RC", None),
            "policy=rc metric=RC value=none desired=4->3 reason=rc-AlarmLow",
        ),
        (
            ScalingDecision(
                100.0, Requester.SCHEDULED, "boost", "scheduled", 3, 5, min_size=1, max_size=9
            ),
            "policy=boost metric=none value=none desired=3->5 min=1 max=9 reason=scheduled",
        ),
        (
            ScalingDecision(
                9.0, Requester.OPERATOR, "blue/green deploy", "blue retired", 3, 0, None, None, 0, 0
            ),
            "blue/green deploy desired=3->0 min=0 max=0 reason=blue retired",
        ),
    ],
)
def test_a_decision_renders_its_event_detail(decision, detail):
    assert decision.detail() == detail


def test_lifecycle_states_are_the_aws_names_and_match_their_phase():
    assert [s.value for s in LifecycleState][:4] == [
        "Pending",
        "Pending:Wait",
        "Pending:Proceed",
        "InService",
    ]
    assert f"asg.{LifecycleState.PENDING_WAIT}" == "asg.Pending:Wait"
    assert LifecycleState.IN_SERVICE == "InService"
    assert LifecycleState.TERMINATING_PROCEED.phase == "Terminating"
    assert LifecycleState.WARMED_STOPPED.phase == "Warmed"


def test_roster_views_follow_the_records():
    roster = Roster()
    pending = record("p", "a", state=LifecycleState.PENDING_WAIT)
    warm = record("w", "b")
    warm.warm_at = 50.0
    pooled = record("s", "a", state=LifecycleState.WARMED_STOPPED)
    for r in (pending, warm, pooled):
        roster.add(r)
    assert [i.name for i in roster.members(("Pending",))] == ["p"]
    assert [i.name for i in roster.members(("Pending", "InService"))] == ["p", "w"]
    assert roster.az_counts(["a", "b", "c"]) == {"a": 1, "b": 1, "c": 0}
    assert roster.not_yet_warm(10.0) == 2 and roster.not_yet_warm(60.0) == 1
    assert roster.busy()
    roster.remove(pending.instance)  # type: ignore[arg-type]
    assert not roster.busy()
