"""Scaling policies and scheduled actions as AWS documents them (fact sheet §2.7)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import pytest

from fleetsim.config import load_scenario
from fleetsim.config.errors import ConfigError
from fleetsim.record.result import Result
from fleetsim.sim.asg import ScalingDecision
from fleetsim.sim.scaling import adjusted_capacity
from fleetsim.sim.world import World
from tests.conftest import BASE, merge

# m5.xlarge: 4 vCPUs for 4 workers, so CPU utilisation is the busy share of the workers.
FIXED_BOOT = {"type": "m5.xlarge", "pending_time": 22.6, "boot_time": 13.2}  # launch: 35.8 s


def scenario(rates=None, **extra):
    """BASE with a step load of one-request sessions (the request rate follows the step)."""
    base = copy.deepcopy(BASE)
    initial, steps = rates or (30, [])
    base["traffic"] = {
        "shape": {"kind": "step", "initial": initial, "steps": steps},
        "requests_per_session": 1,
        "think_time": 1,
    }
    base["app"] = {"cpu_time": {"dist": "exponential", "mean": 0.1}, "workers": 4, "queue_size": 32}
    base["instance"] = FIXED_BOOT
    base["state"] = {"sessions": "ideal"}
    return load_scenario(merge(base, extra))


@dataclass
class Run:
    """A finished run and the world it ran in (which holds the typed decisions and datapoints)."""

    world: World
    result: Result


def run(sc) -> Run:
    w = World(sc)
    return Run(w, w.run())


def decisions(run: Run) -> list[ScalingDecision]:
    return list(run.world.asg.decisions)


def datapoints(run: Run, metric="CPUUtilization"):
    """Published ``(period start, value or None, instances covered)``, in order."""
    return run.world.cloudwatch.metrics[metric].datapoints


TT = {"kind": "target_tracking", "name": "cpu", "target": 50}
GROUP = {
    "min_size": 1,
    "max_size": 10,
    "desired_capacity": 3,
    "default_instance_warmup": 0,
    "monitoring": {"detailed": True, "publish_delay": 60},
}


@pytest.fixture(scope="module")
def tracking():
    # 30 req/s on 3 instances of 4 workers × 0.1 s: ~25 % CPU; 90 req/s from t=600: ~75 %;
    # 20 req/s from t=1500: ~10 % on 5 instances.
    sc = scenario((30, [[600, 90], [1500, 20]]), duration=2600, asg={**GROUP, "policies": [TT]})
    return run(sc)


def test_target_tracking_scales_out_three_datapoints_after_the_crossing_plus_delay(
    tracking, validation_report
):
    points = datapoints(tracking)
    first_high = next(start for start, v, _ in points if v is not None and v > 50)
    assert first_high == 600  # the step is on a period boundary
    d = decisions(tracking)[0]
    t = d.time
    # AlarmHigh: 3 of 3 one-minute datapoints (observed, §2.7) + 60 s publication delay.
    assert t == first_high + 3 * 60 + 60 == 840
    # Rounded up on scale-out: 3 instances × ~75 % / 50 % = 4.5 → 5.
    assert (d.desired_from, d.desired_to, d.name, d.metric) == (3, 5, "cpu", "CPUUtilization")
    assert d.value is not None and d.value > 50
    validation_report.aws(
        "Target tracking scales out after a step in load",
        "alarm on 3 of 3 one-minute datapoints above target (observed), metric published ~60 s "
        "late",
        "§2.7, §2.11",
        f"load steps up at 600 s; first datapoint above target [{first_high:g}, "
        f"{first_high + 60:g}) s; desired {d.desired_from}->{d.desired_to} at {t:g} s",
        t == first_high + 3 * 60 + 60,
    )


def test_target_tracking_scale_in_waits_fifteen_datapoints(tracking, validation_report):
    points = datapoints(tracking)
    first_low = next(start for start, v, _ in points if start >= 1500 and v < 35)
    assert first_low == 1500
    d = decisions(tracking)[1]
    t = d.time
    # AlarmLow: 15 of 15 datapoints below 0.7 × target (observed, §2.7) + the publish delay.
    assert t == first_low + 15 * 60 + 60 == 2460
    old, new = d.desired_from, d.desired_to
    # Rounded down on scale-in: 5 × ~10 % / 50 % = ~1 → 1 (= min_size).
    assert (old, new) == (5, 1)
    validation_report.aws(
        "Target tracking scales in after load falls",
        "alarm on 15 of 15 one-minute datapoints below 0.7 × target (observed)",
        "§2.7",
        f"load falls at 1500 s; desired {old}->{new} at {t:g} s = 1500 + 15 × 60 + 60 s delay",
        t == first_low + 15 * 60 + 60,
    )


def test_each_decision_is_one_scaling_event(tracking):
    ev = tracking.result.events
    rows = ev[ev.kind == "asg.scaling"]
    ds = decisions(tracking)
    assert len(ds) == 2
    assert list(rows.time) == [d.time for d in ds]
    assert list(rows.detail) == [d.detail() for d in ds]


def test_timeline_carries_desired(tracking):
    tl = tracking.result.timeline.set_index("time")
    assert tl.loc[839, "desired"] == 3
    assert tl.loc[841, "desired"] == 5
    assert {"warming_up", "pending_us-east-1a", "warm_pool", "terminating"} <= set(tl.columns)


def test_scale_out_if_any_policy_asks():
    # CPU at ~25 % is well below its target, but requests per target (~600/min) exceed 400.
    rc = {"kind": "target_tracking", "name": "rc", "metric": "RequestCountPerTarget", "target": 400}
    r = run(scenario(duration=400, asg={**GROUP, "policies": [TT, rc]}))
    d, *_ = decisions(r)
    assert d.name == "rc" and (d.desired_from, d.desired_to) == (3, 5)  # ceil(3 × 600 / 400)
    assert d.time == 3 * 60 + 60


def test_scale_in_only_if_all_policies_agree():
    # CPU (~25 % < 35) wants to scale in; requests per target (~600/min) sit between the
    # request policy's low threshold (0.7 × 700 = 490) and its target: it does not agree.
    rc = {"kind": "target_tracking", "name": "rc", "metric": "RequestCountPerTarget", "target": 700}
    vetoed = run(scenario(duration=1100, asg={**GROUP, "policies": [TT, rc]}))
    assert decisions(vetoed) == []
    # A policy with scale-in disabled has no say (DisableScaleIn, §2.7).
    rc_no_in = {**rc, "disable_scale_in": True}
    agreed = run(scenario(duration=1100, asg={**GROUP, "policies": [TT, rc_no_in]}))
    d, *_ = decisions(agreed)
    assert d.name == "cpu" and d.time == 15 * 60 + 60
    assert (d.desired_from, d.desired_to) == (3, 1)


def test_disable_scale_in_keeps_capacity():
    r = run(scenario(duration=1100, asg={**GROUP, "policies": [{**TT, "disable_scale_in": True}]}))
    assert decisions(r) == []


@pytest.mark.parametrize(
    ("current", "kind", "adj", "mag", "expected"),
    [
        (10, "ChangeInCapacity", 3, None, 13),
        (10, "ChangeInCapacity", -2, None, 8),
        (10, "ExactCapacity", 4, None, 4),
        (10, "PercentChangeInCapacity", 25, None, 12),  # 2.5 > 1: rounded down to 2
        (10, "PercentChangeInCapacity", 5, None, 11),  # 0.5 in (0, 1]: 1
        (10, "PercentChangeInCapacity", -5, None, 9),  # -0.5 in [-1, 0): -1
        (10, "PercentChangeInCapacity", -25, None, 8),  # -2.5 < -1: toward zero, -2
        (10, "PercentChangeInCapacity", 25, 4, 14),  # MinAdjustmentMagnitude raises 2 to 4
    ],
)
def test_adjustment_rounding_as_documented(current, kind, adj, mag, expected):
    assert adjusted_capacity(current, kind, adj, mag) == expected


def test_step_scaling_picks_the_step_and_ignores_repeats_while_warming():
    steps = [{"lower": 0, "upper": 20, "adjustment": 1}, {"lower": 20, "adjustment": 3}]
    policy = {"kind": "step", "name": "steps", "threshold": 50, "steps": steps}
    # ~75 % CPU breaches 50 by ~25: the second step (+3). With a 300 s warmup the alarm keeps
    # firing every minute, but pending/warming instances are not current capacity: one activity.
    group = {**GROUP, "default_instance_warmup": 300}
    r = run(scenario((90, []), duration=500, asg={**group, "policies": [policy]}))
    ds = decisions(r)
    assert len(ds) == 1
    d = ds[0]
    # One datapoint, published 60 s late.
    assert (d.desired_from, d.desired_to) == (3, 6) and d.time == 60 + 60


def test_simple_scaling_respects_the_cooldown_and_replacement_ignores_it(validation_report):
    policy = {"kind": "simple", "name": "plus1", "threshold": 50, "adjustment": 1}
    # ~300 req/s keeps CPU above 50 % whatever the size (max 10 × 40 = 400 req/s at 100 %).
    # Health checks answered outside the overloaded queue: this test is about the cooldown, and
    # with checks waiting in the queue (§8) the saturated targets flap and the CPU average dips.
    sc = scenario(
        (300, []),
        duration=1200,
        asg={**GROUP, "policies": [policy]},
        alb={"health_check": {"through_queue": False}},
    )
    w = World(sc)
    crash = {}

    def crash_one():
        yield w.env.timeout(200)
        inst = w.asg.members("InService")[0]
        inst.fail_in_flight("502 target_reset")
        inst.transition("shutting-down")  # EC2 terminated it under the group
        crash["name"] = inst.name
        w.asg.instance_stopped_running(inst)

    w.env.process(crash_one())
    r = w.run()
    times = [d.time for d in w.asg.decisions]
    assert times[0] == 120
    # After each activity (a 35.8 s launch) the policy waits its 300 s cooldown (default, §2.1),
    # then acts on the next published datapoint (every 60 s).
    for a, b in itertools.pairwise(times):
        assert b - a >= 35.8 + 300
        assert b - a <= 35.8 + 300 + 60 + 35.8 + 1  # a replacement can restart the cooldown
    # The crashed instance was replaced at once, inside the cooldown (§2.2).
    ev = r.events
    repl = ev[(ev.kind == "asg.Pending") & (ev.detail == f"replacing {crash['name']}")]
    assert list(repl.time) == [200]
    assert times[0] < 200 < times[1]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    validation_report.aws(
        "Simple scaling cooldown; health replacement during it",
        "default cooldown 300 s after an activity; replacing an unhealthy instance ignores it",
        "§2.1, §2.2",
        f"policy actions {min(gaps):g}–{max(gaps):g} s apart (launch 35.8 s + cooldown + next "
        f"datapoint); crashed instance replaced at 200 s, inside the cooldown",
        min(gaps) >= 35.8 + 300 and list(repl.time) == [200],
    )


def test_scheduled_action_at_a_time_and_on_a_recurrence():
    actions = [
        {"name": "boost", "at": 100, "desired_capacity": 5},
        # The clock starts at 00:02 UTC: "every 5 minutes" fires at 00:05 = t 180, then 480.
        {"name": "floor", "recurrence": "*/5 * * * *", "min_size": 4},
    ]
    asg = {**GROUP, "scheduled_actions": actions, "schedule_start": "2024-01-01T00:02:00Z"}
    r = run(scenario(duration=500, asg=asg))
    ds = decisions(r)
    assert [(d.time, d.name) for d in ds] == [(100, "boost"), (180, "floor"), (480, "floor")]
    assert (ds[0].desired_from, ds[0].desired_to) == (3, 5)
    assert ds[1].min_size == 4
    tl = r.result.timeline.set_index("time")
    assert tl.loc[99, "desired"] == 3 and tl.loc[101, "desired"] == 5


@pytest.mark.parametrize(
    ("asg", "field", "words"),
    [
        (
            {"policies": [{"kind": "target_tracking", "target": 0}]},
            "asg.policies.0.target",
            "greater than 0",
        ),
        (
            {"policies": [{"kind": "target_tracking", "target": -5}]},
            "asg.policies.0.target",
            "greater than 0",
        ),
        (
            {
                "policies": [
                    {
                        "kind": "step",
                        "threshold": 50,
                        "steps": [
                            {"lower": 0, "upper": 10, "adjustment": 1},
                            {"lower": 20, "adjustment": 2},
                        ],
                    }
                ]
            },
            "asg.policies.0.steps",
            "gap between 10 and 20",
        ),
        (
            {
                "policies": [
                    {
                        "kind": "step",
                        "threshold": 50,
                        "steps": [
                            {"lower": 0, "upper": 30, "adjustment": 1},
                            {"lower": 20, "adjustment": 2},
                        ],
                    }
                ]
            },
            "asg.policies.0.steps",
            "overlap",
        ),
        (
            {"min_size": 5, "max_size": 3, "desired_capacity": 4},
            "asg",
            "min_size (5) must be <= max_size (3)",
        ),
        (
            {"scheduled_actions": [{"at": 10, "min_size": 5, "max_size": 2}]},
            "asg.scheduled_actions.0",
            "min_size (5) must be <= max_size (2)",
        ),
        (
            {"scheduled_actions": [{"recurrence": "0 12 30 2 *", "desired_capacity": 2}]},
            "asg.scheduled_actions.0.recurrence",
            "never fires",
        ),
        (
            {"scheduled_actions": [{"recurrence": "0 25 * * *", "desired_capacity": 2}]},
            "asg.scheduled_actions.0.recurrence",
            "hour '25' is outside 0-23",
        ),
        (
            {
                "policies": [
                    {
                        "kind": "simple",
                        "threshold": 50,
                        "adjustment": 1,
                        "min_adjustment_magnitude": 2,
                    }
                ]
            },
            "asg.policies.0",
            "PercentChangeInCapacity",
        ),
    ],
)
def test_bad_policy_config_names_the_field(asg, field, words):
    with pytest.raises(ConfigError) as err:
        load_scenario(merge(BASE, {"asg": asg}))
    message = str(err.value)
    assert f"field '{field}'" in message
    assert words.replace("> 0", "greater than 0") in message
