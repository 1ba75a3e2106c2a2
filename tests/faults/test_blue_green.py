"""The headline: a blue/green deploy loses a stateful design's sessions, a stateless one's none."""

from __future__ import annotations

import pytest

from fleetsim.analysis.compare import run_variants

DEPLOY_AT = 600.0  # blue-green.yaml: the deploy starts at minute 10


@pytest.fixture(scope="module")
def blue_green():
    # 15 minutes are enough: green is healthy and blue gone about 90 s after the deploy starts.
    return run_variants("blue-green", overrides=["duration=15m"])


def test_stateful_loses_sessions_stateless_none(blue_green):
    stateful = blue_green["stateful"].summary()
    stateless = blue_green["stateless"].summary()
    assert stateful["sessions_lost"] > 100
    # Users move to green; their blue instance is gone (drained) or alive but not theirs.
    assert set(stateful["lost_by_cause"]) <= {"instance_terminated", "rerouted"}
    assert stateless["sessions_lost"] == 0
    # The switch drains blue before terminating it: no request fails in either design.
    assert stateful["requests_failed"] == 0
    assert stateless["requests_failed"] == 0
    assert stateful["invariants_ok"] and stateless["invariants_ok"]


def test_sessions_are_lost_only_after_the_switch(blue_green):
    result = blue_green["stateful"]
    ev = result.events
    (switch,) = ev[ev.kind == "deploy.shift"].time
    lost = result.sessions[result.sessions.outcome == "lost"]
    assert DEPLOY_AT < switch < DEPLOY_AT + 120
    assert lost.end.min() >= switch


def test_green_replaces_blue(blue_green):
    ev = blue_green["stateless"].events
    blue = set(ev[(ev.kind == "asg.InService") & (ev.time == 0)].instance)
    green = set(ev[(ev.kind == "asg.InService") & (ev.time > DEPLOY_AT)].instance)
    assert len(blue) == len(green) == 6
    assert blue <= set(ev[ev.kind == "asg.Terminated"].instance)
    (end,) = ev[ev.kind == "fault.deploy.end"].time
    tl = blue_green["stateless"].timeline
    # Twice the capacity while both run; six again once blue has terminated.
    assert tl.in_service.max() == 12
    assert tl[tl.time >= end].in_service.eq(6).all()


def test_weighted_shift_reroutes_stateful_users_at_every_step():
    steps = "faults.0.shift={steps: [10, 50, 100], interval: 2m}"
    results = run_variants("blue-green", overrides=["duration=16m", steps])
    stateful = results["stateful"].summary()
    assert stateful["lost_by_cause"]["rerouted"] > stateful["lost_by_cause"].get(
        "instance_terminated", 0
    )
    assert results["stateless"].summary()["sessions_lost"] == 0
    shifts = results["stateful"].events.query("kind == 'deploy.shift'")
    assert list(shifts.detail) == ["green=10%", "green=50%", "green=100%"]
    assert list(shifts.time.diff().dropna()) == [120.0, 120.0]


def test_the_scenario_states_its_question():
    from fleetsim.config import packaged_scenarios

    question = packaged_scenarios()["blue-green"]
    assert question.startswith("Does a blue/green deploy") and question.endswith("?")
