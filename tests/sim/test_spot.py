"""Spot Instances: the two-minute notice, what is lost, capacity rebalancing, cost."""

import pytest

from fleetsim.config import load_scenario
from fleetsim.config.catalog import instance_type
from fleetsim.sim.world import simulate
from tests.conftest import BASE, merge

BOOT = {"api": 5, "pending": 15, "os_boot": 3, "app_start": 7}  # 30 s launch to app up


def _run(spot, duration=900, **extra):
    data = merge(BASE, {"duration": duration, "instance": {"boot": BOOT, "spot": spot}, **extra})
    return simulate(load_scenario(data))


def test_notice_comes_exactly_120_seconds_before_termination(validation_report):
    result = _run({"interruptions": [{"at": 100, "count": 2}]})
    ev = result.events
    notices = ev[ev.kind == "spot.interruption_notice"]
    ends = ev[ev.kind == "spot.interrupted"]
    assert len(notices) == 2 and list(notices.time) == [100, 100]
    assert list(ends.time) == [220, 220]  # 120 s notice (§3)
    assert set(notices.instance) == set(ends.instance)
    gone = ev[(ev.kind == "ec2.shutting-down") & ev.instance.isin(ends.instance)]
    assert list(gone.time) == [220, 220]
    assert result.summary()["invariants_ok"]
    validation_report.aws(
        "Spot interruption notice",
        "two-minute warning before EC2 interrupts a Spot Instance",
        "§3",
        f"{len(notices)} notices at {notices.time.min():g} s; interrupted at "
        f"{ends.time.min():g}–{ends.time.max():g} s",
        bool((ends.time.to_numpy() - notices.time.to_numpy() == 120).all()),
    )


def test_interruption_fails_in_flight_requests_and_loses_local_sessions():
    result = _run(
        {"interruptions": [{"at": 100, "count": 1}]},
        state={"sessions": "instance_memory"},
        alb={"stickiness": {"enabled": True}},
        traffic={"shape": {"kind": "constant", "rate": 10}},
        app={"cpu_time": {"dist": "exponential", "mean": 0.4}},  # ~2 requests in flight each
        record={"requests": True},
    )
    s = result.summary()
    reqs = result.requests
    reset = reqs[reqs.outcome == "502 target_reset"]
    gone = result.events[result.events.kind == "spot.interrupted"].instance.iloc[0]
    assert len(reset) >= 1 and (reset.ended == 220).all() and (reset.instance == gone).all()
    assert s["lost_by_cause"].get("instance_terminated", 0) >= 1


def test_capacity_rebalancing_replaces_before_the_interruption():
    spot = {
        "interruptions": [{"at": 100, "count": 1}],
        "rebalance_recommendation": 60,
        "capacity_rebalance": True,
    }
    result = _run(spot, state={"sessions": "ideal"})
    ev = result.events
    rec = ev[ev.kind == "spot.rebalance_recommendation"]
    assert list(rec.time) == [40]  # 60 s before the notice
    old = rec.instance.iloc[0]
    new = ev[(ev.kind == "asg.Pending") & (ev.time == 40)].instance.iloc[0]
    # InService when EC2 reports it running, 20 s after the request (§8).
    assert ev[(ev.instance == new) & (ev.kind == "asg.InService")].time.iloc[0] == 60
    # EC2 health checks: the old instance drains from then on and is gone before EC2 would
    # have taken it at 220 s.
    draining = ev[(ev.instance == old) & (ev.kind == "target.draining")]
    assert draining.time.iloc[0] == 60
    assert not (ev.kind == "spot.interrupted").any()
    assert result.summary()["failed_by_cause"].get("502 target_reset", 0) == 0


def test_capacity_rebalancing_with_elb_health_checks_waits_for_a_healthy_target():
    spot = {
        "interruptions": [{"at": 100, "count": 1}],
        "rebalance_recommendation": 60,
        "capacity_rebalance": True,
    }
    asg = {**BASE["asg"], "health_check_type": "ELB", "health_check_grace_period": 60}
    result = _run(spot, state={"sessions": "ideal"}, asg=asg)
    ev = result.events
    old = ev[ev.kind == "spot.rebalance_recommendation"].instance.iloc[0]
    new = ev[(ev.kind == "asg.Pending") & (ev.time == 40)].instance.iloc[0]
    mine = ev[ev.instance == new]
    assert mine[mine.kind == "asg.InService"].time.iloc[0] == 60
    # The app answers at 70 s; the old instance goes once the new target passes its check, "after
    # the new one passes its health check" (§8), within one check interval (+ timeout).
    healthy = mine[mine.kind == "target.healthy"].time.iloc[0]
    assert 70 <= healthy <= 70 + 30 + 5
    draining = ev[(ev.instance == old) & (ev.kind == "target.draining")]
    assert draining.time.iloc[0] == healthy
    assert not (ev.kind == "spot.interrupted").any()


def test_random_interruptions_follow_the_rate():
    # 3 instances x 2 h at 1 interruption per instance-hour, replacements included: several
    # interruptions, each followed by a launch; exact count depends on the seed.
    result = _run({"interruption_rate": 1.0}, duration=7200, state={"sessions": "ideal"})
    ev = result.events
    n = (ev.kind == "spot.interrupted").sum()
    assert 2 <= n <= 15
    assert result.summary()["instances_launched"] >= 3 + n - 1


def test_spot_cost_uses_the_price_factor():
    result = _run({"price_factor": 0.25}, duration=3600)
    seconds = result.instance_seconds["m5.large:spot"]
    assert seconds == pytest.approx(3 * 3600)
    assert result.cost_usd["ec2:m5.large:spot"] == pytest.approx(3 * 0.096 * 0.25)
    costs = result.costs
    assert list(costs.purchase) == ["spot"] and costs.instance_hours.iloc[0] == pytest.approx(3)
    assert instance_type("m5.large").price_usd_hour == 0.096  # fact sheet §3
