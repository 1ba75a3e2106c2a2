"""Launch and ASG health as AWS documents them (fact sheet §8; issue 19 points 1, 2 and 8).

An instance is InService when EC2 reports it running and is health-checked while its bootstrap
runs; ELB health is acted on at the group's periodic evaluation, after the grace period; ELB-type
groups wait for a healthy target before letting an old instance go. Every launch here has
constant phases (pending 22.6 s, then ``boot_time`` until the app answers) and the ALB's default
checks (every 30 s, timeout 5 s, 2 failures → unhealthy, 5 passes to recover; a new target needs
one pass), so the sequences are exact up to each target's random check phase.
"""

from __future__ import annotations

import copy

import pytest

from fleetsim.config import load_scenario
from fleetsim.sim.world import World
from tests.conftest import BASE, merge

PENDING_S = 22.6
SLOW_BOOT_S = 300.0  # a bootstrap: the app answers 5 minutes after 'running'
FAST_BOOT_S = 13.2  # a baked AMI
EVAL_S = 10.0  # the group's health evaluation interval (default)
RUNNING = 10 + PENDING_S  # a launch asked for at 10 s is running (and InService) then
APP = RUNNING + SLOW_BOOT_S  # ... and its app answers then


def world(boot=SLOW_BOOT_S, duration=1500, **extra):
    base = copy.deepcopy(BASE)
    base["duration"] = duration
    base["instance"] = extra.pop("instance", {"pending_time": PENDING_S, "boot_time": boot})
    base["state"] = {"sessions": "ideal"}
    base["alb"] = {"deregistration_delay": 5}
    return World(load_scenario(merge(base, extra)))


def at(w, t, fn):
    def proc():
        yield w.env.timeout(t)
        fn()

    w.env.process(proc())


def scale_to(w, n, t=10):
    at(w, t, lambda: w.asg.update_group(None, None, n, "test"))


def kinds(r, instance):
    """``{kind: [times]}`` of one instance's events."""
    ev = r.events[r.events.instance == instance]
    return ev.groupby("kind").time.apply(list).to_dict()


def launched(r):
    """Instances launched during the run, in order."""
    return list(r.launches.instance)


def one_launch(asg, **extra):
    """Run a group that scales 3 → 4 at 10 s; return the result and the one launch's events."""
    w = world(asg=asg, **extra)
    scale_to(w, 4)
    r = w.run()
    (inst,) = launched(r)
    return r, kinds(r, inst)


def crash_app_of_an_initial_instance(asg):
    """Run a group whose first initial instance's app dies at 100 s; return its events."""
    w = world(asg=asg)
    victim = []

    def crash():
        inst = w.asg.members("InService")[0]  # the warm initial fleet: InService since 0
        victim.append(inst.name)
        inst.app_up = False

    at(w, 100, crash)
    r = w.run()
    return r, kinds(r, victim[0])


def test_replacement_loop_bootstrapped_elb_grace_0():
    w = world(asg={"health_check_type": "ELB", "health_check_grace_period": 0})
    scale_to(w, 4)
    r = w.run()
    first = kinds(r, launched(r)[0])
    # InService and registered (target initial) when EC2 reports it running (§8).
    assert first["asg.InService"] == [pytest.approx(RUNNING)]
    assert first["target.initial"] == [pytest.approx(RUNNING)]
    # Two failed checks 30 s apart make it unhealthy before the app could answer (the host runs
    # but nothing listens: the connection is refused, so a check fails at once, not after its
    # 5 s timeout), and the next periodic evaluation replaces it.
    (unhealthy,) = first["target.unhealthy"]
    assert RUNNING + 30 <= unhealthy <= RUNNING + 60
    (gone,) = first["asg.Terminating"]
    assert unhealthy <= gone < unhealthy + EVAL_S and gone % EVAL_S == 0
    assert "app.ready" not in first and "target.healthy" not in first
    # Its replacement meets the same fate, and so on: launches keep happening.
    s = r.summary()
    assert len(launched(r)) >= 15
    assert s["launches_never_healthy"] == len(launched(r)) - 1  # the last one is still on it
    gone_rows = r.launches.dropna(subset=["ended"])
    assert (gone_rows.ended - gone_rows.in_service).max() < 80  # never more than a few minutes
    assert s["time_to_healthy_mean_s"] != s["time_to_healthy_mean_s"]  # NaN: none healthy


def test_cure_a_grace_period_longer_than_the_boot():
    r, mine = one_launch({"health_check_type": "ELB", "health_check_grace_period": 600})
    assert mine["app.ready"] == [pytest.approx(APP)]
    # Unhealthy meanwhile (the ALB does not route to it), but the group ignores ELB health
    # during the grace period; the app answers and 5 passes bring the target back (§8).
    assert mine["target.unhealthy"][0] < APP
    (healthy,) = mine["target.healthy"]
    assert APP + 4 * 30 <= healthy <= APP + 5 * 30
    assert healthy < RUNNING + 600
    assert "asg.Terminating" not in mine
    s = r.summary()
    assert s["launches_never_healthy"] == 0
    assert s["time_to_healthy_mean_s"] == pytest.approx(healthy - 10)
    assert s["time_to_in_service_mean_s"] == pytest.approx(PENDING_S)


def test_cure_b_a_launch_hook_completed_when_the_app_is_ready():
    hook = {"transition": "launching", "complete_when_app_ready": True}
    asg = {"health_check_type": "ELB", "health_check_grace_period": 0, "lifecycle_hooks": [hook]}
    r, mine = one_launch(asg)
    # Pending:Wait from 'running' until the app answers; registered and InService only then.
    assert mine["asg.Pending:Wait"] == [pytest.approx(RUNNING)]
    assert mine["asg.Pending:Proceed"] == [pytest.approx(APP)]
    assert mine["asg.InService"] == [pytest.approx(APP)]
    assert mine["target.initial"] == [pytest.approx(APP)]
    # A new target needs one passing check (§8): healthy within one interval, never unhealthy.
    (healthy,) = mine["target.healthy"]
    assert APP <= healthy <= APP + 30
    assert "target.unhealthy" not in mine and "asg.Terminating" not in mine
    s = r.summary()
    assert s["time_to_in_service_mean_s"] == pytest.approx(PENDING_S + SLOW_BOOT_S)
    assert s["launches_never_healthy"] == 0


def test_ec2_health_checks_leave_a_broken_bootstrap_in_place():
    step = {"name": "package_install", "duration": 60, "failure_probability": 1.0}
    instance = {"boot": {"api": 5, "pending": 15, "os_boot": 3, "user_data": [step]}}
    r, mine = one_launch({"health_check_type": "EC2"}, instance=instance)
    # Running (and InService) at 10 + 20 s, the bootstrap fails 63 s later; the app never
    # answers.
    assert mine["asg.InService"] == [pytest.approx(30)]
    assert mine["ec2.boot_failed"] == [pytest.approx(30 + 63)]
    # The ALB keeps the target unhealthy; the EC2-type group never looks at it (§8).
    assert len(mine["target.unhealthy"]) == 1 and "target.healthy" not in mine
    assert "asg.Terminating" not in mine  # InService to the end of the run, app down
    s = r.summary()
    assert s["boot_failures"] == 1 and s["launches_never_healthy"] == 0  # still there


def test_unhealthy_during_grace_is_replaced_at_the_first_evaluation_after_it():
    # The case: ELB checks, grace 300 s, the app dies at 100 s (§8).
    r, mine = crash_app_of_an_initial_instance(
        {"health_check_type": "ELB", "health_check_grace_period": 300}
    )
    (unhealthy,) = mine["target.unhealthy"]
    assert 100 + 5 <= unhealthy <= 100 + 60 + 5  # two failed checks, within the grace period
    # Not at the transition: at the first periodic evaluation once grace has ended.
    assert mine["asg.Terminating"] == [300]
    ev = r.events
    why = ev[(ev.kind == "asg.Terminating") & (ev.time == 300)].detail
    assert list(why) == ["ELB health check failed"]


def test_elb_unhealthy_after_grace_waits_for_the_periodic_evaluation():
    _r, mine = crash_app_of_an_initial_instance(
        {"health_check_type": "ELB", "health_check_grace_period": 0}
    )
    (unhealthy,) = mine["target.unhealthy"]
    (gone,) = mine["asg.Terminating"]
    assert unhealthy <= gone < unhealthy + EVAL_S and gone % EVAL_S == 0


def _refresh_min_healthy(health_check_type):
    w = world(
        boot=FAST_BOOT_S,
        duration=1200,
        asg={
            "min_size": 6,
            "max_size": 12,
            "desired_capacity": 6,
            "health_check_type": health_check_type,
            "health_check_grace_period": 0,  # the API default, hence no warmup
        },
    )
    low = {"healthy": 6}

    def watch():
        while True:
            yield w.env.timeout(1)
            low["healthy"] = min(low["healthy"], w.tg.healthy_count())

    at(w, 50, lambda: w.asg.start_instance_refresh())
    w.env.process(watch())
    r = w.run()
    assert len(r.events[r.events.kind == "asg.instance_refresh.done"]) == 1
    return low["healthy"]


def test_elb_group_refresh_keeps_healthy_targets_at_the_floor():
    # MinHealthyPercentage 90 % of 6: one at a time, so 5 healthy while a batch runs. An
    # ELB-type group waits for the new target to be healthy before the next batch (§8) ...
    assert _refresh_min_healthy("ELB") == 5
    # ... an EC2-type group goes on at InService ('running'): the new target is still initial
    # when the next old instance drains, and healthy targets dip below the floor.
    assert _refresh_min_healthy("EC2") < 5
