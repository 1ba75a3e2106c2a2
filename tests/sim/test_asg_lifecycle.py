"""ASG lifecycle, termination policy, protection, hooks, batches, warm pool, refresh (§2.2–2.9)."""

from __future__ import annotations

import copy
import itertools

import pytest

from fleetsim.config import load_scenario
from fleetsim.sim.asg.group import INITIAL_FLEET
from fleetsim.sim.world import World
from tests.conftest import BASE, merge

PENDING_S = 22.6  # constant pending: a cold launch is running, hence InService, after 22.6 s (§8)
COLD_S = PENDING_S + 13.2  # + boot: its app answers 35.8 s after the launch request


def scenario(**extra):
    base = copy.deepcopy(BASE)
    base["instance"] = {"pending_time": 22.6, "boot_time": 13.2}
    base["state"] = {"sessions": "ideal"}
    base["alb"] = {"deregistration_delay": 5}
    return load_scenario(merge(base, extra))


def at(w, t, fn):
    def proc():
        yield w.env.timeout(t)
        fn()

    w.env.process(proc())


def events(r, kind, detail=None):
    ev = r.events
    rows = ev[ev.kind == kind]
    if detail is not None:
        rows = rows[rows.detail.str.contains(detail, regex=False)]
    return rows


def launch_to_in_service(r):
    """Seconds from each launch (asg.Pending) to its asg.InService, by instance."""
    ev = r.events
    launches = ev[(ev.kind == "asg.Pending") & (ev.detail != INITIAL_FLEET)]
    start = launches.groupby("instance").time.last()
    ready = ev[ev.kind == "asg.InService"].groupby("instance").time.first()
    both = start.to_frame("start").join(ready.to_frame("ready"), how="inner")
    return (both.ready - both.start).round(6).tolist()


def test_scale_in_follows_the_default_termination_policy():
    w = World(scenario(asg={"min_size": 1, "max_size": 8, "desired_capacity": 4}))
    victims = []
    asg = w.asg

    def shrink():
        a = [i for i in asg.members("InService") if i.az == "us-east-1a"]
        assert len(a) == 2  # 4 instances over 3 AZs: a has 2
        asg.roster[a[0]].template = 1  # a[1] is on the older launch template
        victims.append(a[1].name)
        asg.update_group(None, None, 3, "test")

    at(w, 100, shrink)
    r = w.run()
    # 1. the AZ with most instances; 2. the oldest launch template (§2.4).
    gone = events(r, "asg.Terminating")
    assert list(gone.instance) == victims
    assert list(gone.az) == ["us-east-1a"]


def test_scale_in_protection_skips_protected_instances():
    w = World(scenario(asg={"min_size": 1, "max_size": 8, "desired_capacity": 4}))
    asg = w.asg

    def shrink():
        for inst in asg.members("InService"):
            if inst.az == "us-east-1a":
                asg.set_instance_protection(inst, True)
        asg.update_group(None, None, 3, "test")

    at(w, 100, shrink)
    r = w.run()
    gone = events(r, "asg.Terminating")
    assert len(gone) == 1 and gone.az.iloc[0] != "us-east-1a"


def test_all_protected_desired_drops_but_instances_stay():
    r = World(
        scenario(
            asg={
                "min_size": 1,
                "desired_capacity": 3,
                "new_instances_protected_from_scale_in": True,
            }
        )
    )
    at(r, 100, lambda: r.asg.update_group(None, None, 2, "test"))
    res = r.run()
    tl = res.timeline.set_index("time")
    assert tl.loc[200, "desired"] == 2 and tl.loc[200, "in_service"] == 3
    assert events(res, "asg.Terminating").empty


@pytest.mark.parametrize(
    ("hook", "ready_after", "abandoned"),
    [
        # The action completes after 60 s: CONTINUE, InService 60 s later than without a hook.
        ({"action_time": 60}, PENDING_S + 60, False),
        # Completed by the app when it first answers (§8): InService when the app is up.
        ({"complete_when_app_ready": True}, COLD_S, False),
        # No completion: the 30 s heartbeat timeout applies the default result (§2.6).
        ({"heartbeat_timeout": 30, "default_result": "CONTINUE"}, PENDING_S + 30, False),
        # ABANDON (the API default, D5) terminates the instance and launches another.
        ({"heartbeat_timeout": 30}, None, True),
    ],
)
def test_launch_lifecycle_hook(hook, ready_after, abandoned):
    sc = scenario(
        duration=200,
        asg={"lifecycle_hooks": [{"transition": "launching", **hook}]},
    )
    w = World(sc)
    at(w, 10, lambda: w.asg.update_group(None, None, 4, "test"))
    r = w.run()
    waits = events(r, "asg.Pending:Wait")
    # The hook holds the instance from the moment EC2 reports it running (§8).
    assert waits.time.iloc[0] == pytest.approx(10 + PENDING_S)
    if abandoned:
        assert events(r, "asg.Terminating").time.iloc[0] == pytest.approx(10 + PENDING_S + 30)
        assert (events(r, "asg.Pending").detail == "replacing abandoned launch").any()
    else:
        assert launch_to_in_service(r) == [pytest.approx(ready_after)]


def test_heartbeat_timeout_range_is_30_to_7200():
    with pytest.raises(Exception, match="heartbeat_timeout"):
        scenario(asg={"lifecycle_hooks": [{"transition": "launching", "heartbeat_timeout": 10}]})
    assert (
        scenario(asg={"lifecycle_hooks": [{"transition": "launching"}]})
        .asg.lifecycle_hooks[0]
        .heartbeat_timeout
        == 3600
    )


def test_terminate_hook_runs_after_draining():
    sc = scenario(
        duration=300,
        asg={
            "min_size": 1,
            "lifecycle_hooks": [{"transition": "terminating", "action_time": 40}],
        },
    )
    w = World(sc)
    at(w, 100, lambda: w.asg.update_group(None, None, 2, "test"))
    r = w.run()
    name = events(r, "asg.Terminating").instance.iloc[0]
    ev = r.events[r.events.instance == name]
    unused = ev[ev.kind == "target.unused"].time.iloc[0]
    wait = ev[ev.kind == "asg.Terminating:Wait"].time.iloc[0]
    proceed = ev[ev.kind == "asg.Terminating:Proceed"].time.iloc[0]
    assert wait == unused  # deregistration happens before the terminate hook (§2.5)
    assert proceed == pytest.approx(wait + 40)


def test_unhealthy_replacement_in_batches_of_ten_percent():
    sc = scenario(duration=600, asg={"min_size": 20, "max_size": 30, "desired_capacity": 20})
    w = World(sc)

    def impair():
        for inst in w.asg.members("InService")[:6]:
            inst.reachable = False
            w.asg.instance_impaired(inst)

    at(w, 50, impair)
    r = w.run()
    launches = events(r, "asg.Pending", "replacing").time.tolist()
    # After the 180 s impaired delay, 10 % of 20 = 2 per batch; each batch waits for its
    # replacements to be InService (22.6 s, warmup = grace period 0) before the next (§2.2).
    assert launches[:2] == [230, 230]
    assert len(launches) == 6
    batches = sorted(set(launches))
    assert len(batches) == 3
    assert all(b - a >= PENDING_S for a, b in itertools.pairwise(batches))


def _scale_out(pool=None, ami=None):
    extra = {"asg": {"min_size": 3, "max_size": 9, "desired_capacity": 3}}
    if pool is not None:
        extra["asg"]["warm_pool"] = pool
    w = World(scenario(duration=300, **extra))
    at(w, 100, lambda: w.asg.update_group(None, None, 6, "test"))
    return w, w.run()


@pytest.mark.parametrize(
    ("state", "resume"),
    [("Stopped", 21.2), ("Hibernated", 20.7), ("Running", 3.0)],  # measured figures (§3)
)
def test_warm_pool_launches_reach_in_service_faster_by_the_resume_boot_difference(
    state, resume, validation_report
):
    _, cold = _scale_out()
    _w, warm = _scale_out({"pool_state": state})
    cold_times = launch_to_in_service(cold)
    warm_times = launch_to_in_service(warm)
    # Both are InService when EC2 reports them running (§8): pending vs the resume.
    assert cold_times == [pytest.approx(PENDING_S)] * 3
    assert warm_times == [pytest.approx(resume)] * 3
    validation_report.aws(
        f"Warm pool ({state}) launch to InService",
        f"resume {resume:g} s instead of a full launch and boot (measured figure)",
        "§2.8, §3",
        f"cold launches {cold_times[0]:.1f} s, from the pool {warm_times[0]:.1f} s",
        warm_times == [pytest.approx(resume)] * 3,
    )


def test_warm_pool_size_defaults_to_max_minus_desired_and_can_take_instances_back():
    w, r = _scale_out({"pool_state": "Stopped"})
    tl = r.timeline.set_index("time")
    assert tl.loc[50, "warm_pool"] == 9 - 3  # max − desired (§2.8)
    assert tl.loc[150, "warm_pool"] == 9 - 6
    # Stopped pool instances are not billed: 60 s minimum for their preparation only.
    sc = scenario(
        duration=400,
        asg={
            "min_size": 1,
            "max_size": 6,
            "desired_capacity": 4,
            "warm_pool": {"reuse_on_scale_in": True, "max_group_prepared_capacity": 4},
        },
    )
    w = World(sc)
    at(w, 100, lambda: w.asg.update_group(None, None, 2, "test"))
    r = w.run()
    tl = r.timeline.set_index("time")
    assert tl.loc[50, "warm_pool"] == 0  # 4 − 4
    # With InstanceReusePolicy the two scaled-in instances go back to the pool (§2.8).
    assert tl.loc[300, "warm_pool"] == 2
    assert events(r, "asg.Terminated").empty
    assert len(events(r, "asg.Warmed:Stopped")) == 2


@pytest.mark.parametrize(("lo", "hi", "floor"), [(90, 100, 9), (80, 120, 8)])
def test_instance_refresh_keeps_min_healthy_and_replaces_everything(lo, hi, floor):
    sc = scenario(duration=900, asg={"min_size": 10, "max_size": 12, "desired_capacity": 10})
    w = World(sc)
    at(w, 30, lambda: w.asg.start_instance_refresh(lo, hi, instance_warmup=20))
    r = w.run()
    tl = r.timeline.set_index("time")
    during = tl.loc[31:]
    assert during.in_service.min() >= floor
    active = during.in_service + during[[c for c in tl.columns if c.startswith("pending_")]].sum(
        axis=1
    )
    assert active.max() <= 10 * hi // 100
    assert not events(r, "asg.instance_refresh.done").empty
    assert all(w.asg.roster[i].template == 1 for i in w.asg.members("InService"))
    assert len(events(r, "asg.Terminating", "instance refresh")) == 10
