"""ALB behaviour as documented (fact sheet §1), checked on small seeded worlds."""

import pytest

from fleetsim.config.catalog import instance_type
from fleetsim.config.clients import ClientsConfig
from fleetsim.config.models import AlbConfig
from fleetsim.record.recorder import Recorder
from fleetsim.sim.engine import Engine
from fleetsim.sim.instance import Instance
from fleetsim.sim.rng import RandomStreams
from fleetsim.sim.target_group import CONNECT_TIMEOUT_S, TargetGroup
from fleetsim.sim.world import simulate
from tests.conftest import make_scenario

OUTAGE_AT = 300.0


def _outage_run(**extra):
    fault = {"kind": "az_outage", "az": "b", "at": OUTAGE_AT, "duration": 200}
    sc = make_scenario(faults=[fault], record={"requests": True}, **extra)
    return simulate(sc)


def test_unreachable_target_leaves_rotation_within_the_documented_window():
    # Defaults: interval 30 s, timeout 5 s, unhealthy threshold 2 (§1.1). A target that stops
    # answering at t is marked unhealthy after between interval*(threshold-1)+timeout = 35 s and
    # interval*threshold+timeout = 65 s, depending on the phase of its checks.
    result = _outage_run()
    ev = result.events
    b_instances = set(
        ev[(ev.az == "us-east-1b") & (ev.kind == "asg.InService") & (ev.time == 0)].instance
    )
    unhealthy = ev[(ev.kind == "target.unhealthy") & ev.instance.isin(b_instances)]
    assert len(unhealthy) == len(b_instances) == 1
    delay = float(unhealthy.time.iloc[0]) - OUTAGE_AT
    assert 35.0 < delay <= 65.0


def test_requests_sent_to_an_unreachable_target_time_out_after_10_seconds():
    result = _outage_run()
    req = result.requests
    timed_out = req[req.outcome == "504 target_timeout"]
    sent = timed_out[timed_out.arrived >= OUTAGE_AT]
    assert len(sent) > 0
    # A client that first waited on a connect to the dead ALB node (alb.clients) sent it earlier.
    waited = sent.ended - sent.arrived - CONNECT_TIMEOUT_S
    assert set(waited.round(9)) <= {0.0, ClientsConfig().connect_timeout}
    # They were all routed to the dead AZ, before it left rotation.
    assert timed_out.instance.isin({"i-00002"}).all()
    # Those already in flight there get no answer and no reset: 504 at the idle timeout (§8).
    in_flight = timed_out[timed_out.arrived < OUTAGE_AT]
    assert (in_flight.ended - in_flight.arrived).to_numpy() == pytest.approx(
        AlbConfig().idle_timeout
    )


def test_routing_share_predicts_the_timeouts():
    # Round robin over 3 targets: until the dead one leaves rotation, about 1/3 of the requests
    # that reach a live ALB node go to it. The count must match that share within Poisson noise.
    result = _outage_run()
    req, ev = result.requests, result.events
    gone = float(ev[ev.kind == "target.unhealthy"].time.iloc[0])
    window = req[(req.arrived >= OUTAGE_AT) & (req.arrived < gone)]
    reached = window[window.outcome != "000 alb_node_down"]
    timeouts = (reached.outcome == "504 target_timeout").sum()
    expected = len(reached) / 3
    assert abs(timeouts - expected) < 4 * expected**0.5 + 3


def test_a_new_instance_gets_traffic_only_after_one_passing_check():
    result = _outage_run()
    ev, req = result.events, result.requests
    new = ev[(ev.kind == "target.initial")]
    assert len(new) >= 1
    for name in new.instance:
        healthy_at = float(ev[(ev.kind == "target.healthy") & (ev.instance == name)].time.iloc[0])
        registered_at = float(new[new.instance == name].time.iloc[0])
        first = req[req.instance == name].arrived.min()
        assert registered_at <= healthy_at <= first


def test_requests_via_a_dead_alb_node_fail_until_dns_drops_it_and_caches_expire():
    result = _outage_run(alb={"clients": {"next_address_share": 0}})
    req, ev = result.requests, result.events
    removed = float(ev[ev.kind == "alb.dns_removed"].time.iloc[0])
    assert removed == OUTAGE_AT + 150.0  # default dns_withdrawal_delay (§6)
    node_down = req[req.outcome == "000 alb_node_down"]
    assert len(node_down) > 0
    # Clients keep the answer for its 60 s TTL (§1.5, §9.9): none sends to the dead node later.
    assert node_down.arrived.min() >= OUTAGE_AT and node_down.arrived.max() < removed + 60.0


def test_stickiness_keeps_a_user_on_one_target_until_it_fails():
    sc = make_scenario(alb={"stickiness": {"enabled": True}}, record={"requests": True})
    req = simulate(sc).requests
    per_user = req.groupby("user").instance.nunique()
    assert (per_user == 1).all()
    unsticky = simulate(make_scenario(record={"requests": True})).requests
    assert (unsticky.groupby("user").instance.nunique() > 1).mean() > 0.5


def _lb(env, rec, n, min_healthy=1):
    lb = TargetGroup(
        env,
        rec,
        AlbConfig(minimum_healthy_targets=min_healthy),
        ["us-east-1a"],
        RandomStreams(1),
        "alb",
        lambda r, i: None,
        lambda r, t, c: None,
    )
    insts = []
    for k in range(n):
        inst = Instance(
            env,
            rec,
            f"i-{k}",
            "us-east-1a",
            instance_type("m5.large"),
            1,
            1,
            lambda: 1.0,
            lambda r, t: None,
            lambda r, t, c: None,
        )
        inst.transition("running")
        inst.app_up = True
        lb.register(inst, healthy=True)
        insts.append(inst)
    return lb, insts


def test_fail_open_when_healthy_targets_fall_below_the_minimum():
    env = Engine()
    lb, insts = _lb(env, Recorder(10), 3)
    assert len(lb.routable) == 3
    lb.set_health(insts[0], "unhealthy")
    assert set(lb.routable) == set(insts[1:])
    for inst in insts[1:]:
        lb.set_health(inst, "unhealthy")
    # All unhealthy: the ALB routes to every registered target (§1.1).
    assert set(lb.routable) == set(insts)


def test_round_robin_spreads_evenly():
    sc = make_scenario(record={"requests": True})
    counts = simulate(sc).requests.instance.value_counts()
    assert len(counts) == 3
    assert counts.max() - counts.min() <= 2  # strict rotation: differ by at most a turn
