"""Each fault kind has its documented effect (docs/faults.md; fact sheet sections cited)."""

from __future__ import annotations

import pytest

from fleetsim.config.clients import ClientsConfig
from fleetsim.sim.clients import DNS_TTL_S
from tests.faults.helpers import events, instances_in, run

XL = {"app": {"workers": 4}, "instance": {"type": "m5.xlarge"}}  # 4 vCPUs for 4 workers
# Busier (about 3 of 4 workers per instance): requests are in flight at any instant.
BUSY = {
    "traffic": {"shape": {"kind": "constant", "rate": 80}},
    "app": {"cpu_time": {"dist": "exponential", "mean": 0.2}},
}


def _crashed(result, kind="fault.instance_crash.start"):
    detail = events(result, kind).detail.iloc[0]
    return detail.split("instances=")[1].split()


# --- az_outage -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outage():
    fault = {"kind": "az_outage", "az": "a", "at": 120, "duration": 300}
    return run({**XL, **BUSY, "design": "stateless", "faults": [fault]})


def test_az_outage_black_holes_in_flight_requests_and_the_dead_node_until_dns_drops_it(outage):
    req, az = outage.requests, "us-east-1a"
    dead = instances_in(outage, az)
    # In flight there: no answer and no reset, 504 at the idle timeout (60 s, §8).
    in_flight = req[(req.arrived <= 120) & (req.ended >= 120) & req.instance.isin(dead)]
    assert len(in_flight) > 0 and set(in_flight.outcome) == {"504 target_timeout"}
    assert (in_flight.ended - in_flight.arrived).to_numpy() == pytest.approx(60.0)
    # Requests reaching AZ a's ALB node fail 000 from the outage until DNS drops the node and
    # the clients' cached answers (60 s TTL) run out; a failed connect ends at its timeout.
    dropped = events(outage, "alb.dns_removed")
    assert list(dropped.az) == [az]
    node_down = req[req.outcome == "000 alb_node_down"]
    assert len(node_down) > 0
    last = dropped.time.iloc[0] + DNS_TTL_S + ClientsConfig().connect_timeout
    assert node_down.ended.min() >= 120 and node_down.ended.max() <= last


def test_az_outage_fails_the_azs_redis_node_and_launches_into_it(outage):
    lost = events(outage, "store.node_lost")
    assert list(zip(lost.time, lost.az, lost.detail, strict=True)) == [
        (120.0, "us-east-1a", "primary")
    ]
    # The primary was in AZ a: Multi-AZ failover to the replica in b (§4).
    assert (
        "failover to replica-1 in us-east-1b" in events(outage, "store.primary_lost").detail.iloc[0]
    )
    ev = outage.events
    launched = ev[(ev.kind == "asg.Pending") & (ev.time >= 120) & (ev.time < 420)]
    assert len(launched) > 0 and "us-east-1a" not in set(launched.az)
    after = ev[(ev.kind == "asg.Pending") & (ev.time >= 420)]
    assert "us-east-1a" in set(after.az)  # rebalancing back into the recovered AZ (§2.3)


# --- az_degraded ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gray():
    fault = {
        "kind": "az_degraded",
        "az": "b",
        "at": 120,
        "duration": 300,
        "added_latency": 0.2,
        "loss_fraction": 0.1,
    }
    return run({**XL, "faults": [fault]})


def test_az_degraded_loses_a_share_of_requests_at_the_idle_timeout(gray, validation_report):
    req = gray.requests
    b = instances_in(gray, "us-east-1b")
    window = req[(req.arrived >= 120) & (req.arrived < 420) & req.instance.isin(b)]
    lost = window[window.outcome == "504 target_timeout"]
    # Binomial(n, 0.1): sd = sqrt(n·0.1·0.9) ≈ 12 for n ≈ 1500; 4 sd tolerance.
    n = len(window)
    assert n > 1000
    assert abs(len(lost) - 0.1 * n) < 4 * (n * 0.09) ** 0.5
    # No answer: the ALB gives up at its idle timeout, 60 s by default (§1.3, §1.4: 504).
    assert ((lost.ended - lost.arrived) - 60.0).abs().max() < 1e-6
    waited = lost.ended - lost.arrived
    validation_report.aws(
        "A target that never answers",
        "ALB idle timeout 60 s (default), then 504",
        "§1.3, §1.4",
        f"{len(lost)} requests lost in a gray failure: 504 target_timeout after "
        f"{waited.min():.3f}–{waited.max():.3f} s",
        len(lost) > 0 and bool(((waited - 60.0).abs() < 1e-6).all()),
    )
    # Only that AZ and only that window lose requests.
    assert set(req[req.outcome == "504 target_timeout"].request) == set(lost.request)


def test_az_degraded_adds_its_latency_and_health_checks_keep_passing(gray):
    req = gray.requests
    b = instances_in(gray, "us-east-1b")
    ok = req[(req.outcome == "ok") & req.instance.isin(b)]
    inside = ok[(ok.arrived >= 120) & (ok.ended < 420)]
    outside = ok[ok.arrived >= 480]
    assert (inside.ended - inside.arrived).min() >= 0.2
    assert (outside.ended - outside.arrived).min() < 0.2
    # A gray failure: checks are lost only in the same 10 %, never twice in a row here.
    assert len(events(gray, "target.unhealthy")) == 0


def test_az_degraded_with_every_packet_lost_fails_health_checks():
    fault = {"kind": "az_degraded", "az": "b", "at": 60, "duration": 300, "loss_fraction": 1.0}
    result = run({**XL, "duration": 300, "faults": [fault]})
    unhealthy = events(result, "target.unhealthy")
    assert list(unhealthy.az) == ["us-east-1b"]
    # Two failed checks, 30 s apart, each taking the 5 s timeout (§1.1).
    assert 60 < unhealthy.time.iloc[0] <= 60 + 2 * 30 + 5


# --- instance_crash ------------------------------------------------------------------------


# The three modes (host, stop, app) have their own tests: tests/faults/test_failure_modes.py.


def test_random_crashes_follow_the_mtbf():
    fault = {"kind": "instance_crash", "mtbf": "10m", "mode": "stop"}
    result = run({**XL, "faults": [fault]})
    crashes = events(result, "fault.instance_crash.start")
    # 3 instances over 10 min at MTBF 10 min, replacements exposed too: expect ~3 crashes.
    assert len(crashes) >= 1
    ev = result.events
    for t, name in zip(crashes.time, crashes.instance, strict=True):
        term = ev[(ev.kind == "asg.Terminating") & (ev.instance == name)]
        assert term.time.iloc[0] == t
    assert result.summary()["invariants_ok"]


# --- Redis ---------------------------------------------------------------------------------


def test_redis_primary_failure_fails_over_to_the_replica():
    result = run(
        {**XL, "design": "stateless", "faults": [{"kind": "redis_primary_failure", "at": 200}]}
    )
    assert "failover to replica-1" in events(result, "store.primary_lost").detail.iloc[0]
    req = result.requests
    down = req[req.outcome == "500 store_unavailable"]
    sc = result.scenario["state"]["redis"]["failover"]
    total = sc["detection"] + sc["promotion"] + sc["dns_refresh"]
    assert len(down) > 0 and down.ended.min() >= 200 and down.ended.max() < 200 + total
    lost = result.summary()["lost_by_cause"]
    assert set(lost) <= {"store_failover"}


def test_redis_primary_failure_without_a_replica_loses_every_session():
    result = run(
        {
            **XL,
            "design": "stateless",
            "state": {"redis": {"replica_azs": [], "multi_az": False}},
            "faults": [{"kind": "redis_primary_failure", "at": 200}],
        }
    )
    assert len(events(result, "store.down")) == 1
    s = result.sessions
    alive_at = s[(s.start < 200) & (s.end > 200)]
    lost = s[s.outcome == "lost"]
    assert set(lost.cause) == {"store_down"}
    # Every session alive at the failure that came back was lost (the others ended first).
    assert set(alive_at[alive_at.outcome != "active"].outcome) <= {"lost", "abandoned"}
    assert len(lost) > 0


def test_redis_replica_failure_costs_nothing_and_the_node_comes_back():
    fault = {"kind": "redis_node_failure", "at": 200, "node": "replica-1"}
    result = run({**XL, "design": "stateless", "faults": [fault]})
    assert list(events(result, "store.node_lost").detail) == ["replica-1"]
    assert len(events(result, "store.primary_lost")) == 0
    assert result.summary()["requests_failed"] == 0
    replaced = events(result, "store.node_replaced")
    replacement = result.scenario["state"]["redis"]["node_replacement"]
    assert list(replaced.time) == [200 + replacement] or 200 + replacement >= 600


# --- Spot ----------------------------------------------------------------------------------


def test_spot_burst_sends_two_minute_notices():
    fault = {"kind": "spot_interruptions", "at": 120, "count": 2}
    result = run({**XL, "instance": {"spot": {}}, "faults": [fault]})
    notices = events(result, "spot.interruption_notice")
    ended = events(result, "spot.interrupted")
    assert list(notices.time) == [120.0, 120.0]
    # The notice comes two minutes before EC2 reclaims the instance (§3).
    assert list(ended.time) == [240.0, 240.0]
    assert set(ended.instance) == set(notices.instance)


def test_spot_rate_sends_notices_over_the_window():
    fault = {"kind": "spot_interruptions", "rate_per_hour": 30, "at": 60, "duration": 300}
    result = run({**XL, "instance": {"spot": {}}, "faults": [fault]})
    notices = events(result, "spot.interruption_notice")
    # Poisson with mean 30/h × 5 min = 2.5 (seeded): some, and only inside the window.
    assert len(notices) >= 1
    assert notices.time.min() >= 60 and notices.time.max() < 360


# --- deploy and bootstrap ------------------------------------------------------------------


def test_rolling_deploy_runs_an_instance_refresh_to_completion():
    fault = {"kind": "deploy", "at": 60, "strategy": "rolling", "instance_warmup": 30}
    result = run({**XL, "duration": 900, "faults": [fault]})
    start, end = events(result, "fault.deploy.start"), events(result, "fault.deploy.end")
    done = events(result, "asg.instance_refresh.done")
    assert start.time.iloc[0] == 60 and end.time.iloc[0] == done.time.iloc[0]
    # MinHealthyPercentage 90 % of 3 keeps 3 in service: one at a time (§2.9).
    assert "min_healthy=90% max_healthy=100%" in start.detail.iloc[0]
    ev = result.events
    initial = set(ev[(ev.kind == "asg.InService") & (ev.time == 0)].instance)
    gone = set(ev[ev.kind == "asg.Terminated"].instance)
    assert len(initial) == 3 and initial <= gone


def test_bootstrap_outage_fails_bootstrapped_launches_only():
    # Scale out from 3 to 6 at minute 2, inside a 10-minute repository outage.
    outage = {"kind": "bootstrap_outage", "at": 60, "duration": 600}
    data = {
        **XL,
        "duration": 1800,
        "faults": [outage],
        "asg": {
            "scheduled_actions": [{"at": 120, "desired_capacity": 6}],
            # The instance completes the hook when its app answers; one that never does is
            # abandoned after 10 minutes (§2.6, §8).
            "lifecycle_hooks": [
                {
                    "transition": "launching",
                    "heartbeat_timeout": "10m",
                    "complete_when_app_ready": True,
                }
            ],
        },
    }
    results = {}
    for ami in ("baked", "bootstrapped"):
        results[ami] = run({**data, "instance": {"type": "m5.xlarge", "ami": ami}})
    baked, boot = results["baked"], results["bootstrapped"]
    assert len(events(baked, "ec2.boot_failed")) == 0
    assert len(events(baked, "asg.InService").query("time > 0")) == 3
    failed = events(boot, "ec2.boot_failed")
    assert len(failed) == 3 and set(failed.detail) == {
        "package_install failed: package repository unreachable"
    }
    # Abandoned when the hook times out, replaced, and the retries after the outage come up.
    ev = boot.events
    later = ev[(ev.kind == "asg.InService") & (ev.time > 660)]
    assert len(later) == 3
