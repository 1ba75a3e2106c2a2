"""Stores end to end: the redis-failover and scale-in-sessions scenarios, expiry, the ledger."""

from __future__ import annotations

import pytest

import fleetsim
from fleetsim.analysis.compare import run_variants
from fleetsim.sim.world import World
from tests.conftest import make_scenario

OUTAGE_AT = 600.0  # redis-failover.yaml: AZ a (the Redis primary) fails at 10 minutes
FAILOVER_S = 40.0  # default detection 20 + promotion 10 + DNS refresh 10 s


@pytest.fixture(scope="module")
def failover():
    return run_variants("redis-failover", overrides=["record.requests=true"])


def _ledger_balances(summary):
    return summary["sessions_total"] == (
        summary["sessions_completed"]
        + summary["sessions_lost"]
        + summary["sessions_abandoned"]
        + summary["sessions_expired"]
        + summary["sessions_active_at_end"]
    )


def test_single_node_loses_every_session_and_fails_until_recreated(failover):
    result = failover["single-node"]
    summary = result.summary()
    assert set(summary["lost_by_cause"]) == {"store_down"}
    # Every session that started before the outage and was still going is lost (a handful whose
    # last request was already in service at the outage complete).
    s = result.sessions
    open_at_outage = s[(s.start < OUTAGE_AT) & (s.end > OUTAGE_AT)]
    assert (open_at_outage.outcome == "lost").mean() > 0.98
    req = result.requests
    down = req[req.outcome == "500 store_unavailable"]
    # The node comes back empty 300 s after its AZ (down 10 min) returns.
    assert down.ended.min() == pytest.approx(OUTAGE_AT, abs=1.0)
    assert down.ended.max() < OUTAGE_AT + 600 + 300
    assert down.ended.max() > OUTAGE_AT + 600 + 300 - 5
    events = result.events
    assert events[events.kind == "store.recreated"].time.tolist() == [1500.0]


def test_multi_az_loses_only_the_lag_window_and_fails_only_during_failover(failover):
    result = failover["multi-az"]
    summary = result.summary()
    assert set(summary["lost_by_cause"]) == {"store_failover"}
    assert 0 < summary["sessions_lost"] < 50
    req = result.requests
    down = req[req.outcome == "500 store_unavailable"]
    assert len(down) > 0
    assert down.ended.min() >= OUTAGE_AT
    assert down.ended.max() < OUTAGE_AT + FAILOVER_S
    events = result.events.set_index("kind").time
    assert events["store.primary_lost"] == OUTAGE_AT
    assert events["store.failover_detected"] == OUTAGE_AT + 20
    assert events["store.promoted"] == OUTAGE_AT + 30
    assert events["store.writes_resumed"] == OUTAGE_AT + 40


def test_dynamodb_loses_nothing(failover):
    summary = failover["dynamodb"].summary()
    assert summary["sessions_lost"] == 0
    assert not any(c.startswith("500") for c in summary["failed_by_cause"])


def test_ledger_balances_in_every_variant(failover):
    for result in failover.values():
        summary = result.summary()
        assert summary["invariants_ok"]
        assert _ledger_balances(summary)
        assert summary["uploads_lost"] == 0  # S3 (design: stateless)


def test_lag_window_loses_the_keys_created_there_and_leaves_updated_ones_stale():
    sc = fleetsim.load_scenario("redis-failover", "multi-az", ["duration=13m"])
    world = World(sc)
    world.asg.start()
    world.traffic.start()
    world.faults.start()
    world.env.run(until=OUTAGE_AT)  # stops before the outage event at 600 s
    store = world.store
    window = store.lag(store.replicas[0])
    since = OUTAGE_AT - window
    written = [s for s in store.data.values() if not s.ended and s.written > since]
    created = {s.id for s in written if s.created > since}
    updated = {s.id for s in written if s.created <= since}
    assert created and updated
    world.env.run(until=OUTAGE_AT + 1)
    marked = {s.id for s in world.sessions.values() if s.lost == "store_failover"}
    ended_lost = {
        row[0] for row in world.rec.session_rows if row[4] == "lost" and row[5] == "store_failover"
    }
    assert marked | ended_lost == created
    assert updated <= set(store.data)  # updated keys survive, with their older value
    # Their users come back (the store answers again 40 s after the loss): stale reads.
    world.env.run(until=OUTAGE_AT + 120)
    assert 0 < world.rec.sessions_stale <= len(updated)


def test_multi_az_reports_stale_reads_and_the_others_none(failover):
    assert failover["multi-az"].summary()["sessions_stale"] > 0
    assert failover["single-node"].summary()["sessions_stale"] == 0
    assert failover["dynamodb"].summary()["sessions_stale"] == 0


def test_scale_in_loses_stateful_sessions_and_uploads_but_no_stateless_ones():
    # 50 min: the peak ends at 25 min and scale-in needs 15 low one-minute datapoints.
    results = run_variants("scale-in-sessions", overrides=["duration=50m"])
    stateful = results["stateful"].summary()
    stateless = results["stateless"].summary()
    # Sticky users of a scale-in victim lose their session: mostly "rerouted", as they come back
    # while it drains (about 75 s of keep-alive, §9.10), the rest after it is terminated.
    lost = stateful["lost_by_cause"]
    assert lost["rerouted"] + lost["instance_terminated"] > 100
    assert set(lost) == {"rerouted", "instance_terminated"}
    assert stateful["uploads_lost"] > 100
    assert stateless["sessions_lost"] == 0 and stateless["uploads_lost"] == 0
    assert stateless["uploads_total"] > 1000
    # Target tracking scaled out during the peak and the instances were terminated by scale-in.
    events = results["stateful"].events
    scaling = events[events.kind == "asg.scaling"]
    assert scaling.detail.str.contains("AlarmHigh").any()
    scale_in = scaling[scaling.detail.str.contains("AlarmLow")]
    assert len(scale_in) > 0 and (scale_in.time > 25 * 60 + 15 * 60).all()
    ended = events[(events.kind == "asg.Terminating") & events.detail.str.contains("AlarmLow")]
    assert len(ended) > 0
    for result in results.values():
        assert result.summary()["requests_failed"] < 0.001 * result.summary()["requests_total"]
        assert _ledger_balances(result.summary())


def test_idle_sessions_expire_after_the_timeout():
    # Think 90 s > timeout 60 s: the second request always finds its session expired, which ends
    # at last use + 60 s; the user sees the login page and logs in again (relogin 1.0).
    sc = make_scenario(
        duration=900,
        traffic={
            "requests_per_session": 2,
            "think_time": 90,
            "relogin_probability": 1.0,
        },
        state={"session_timeout": 60},
    )
    result = fleetsim.simulate(sc)
    s = result.sessions
    expired = s[s.outcome == "expired"]
    assert len(expired) > 100
    assert (expired.end - expired.start - 60.0).abs().max() < 1e-9
    assert (expired.requests == 1).all()
    assert _ledger_balances(result.summary())
    # With think 30 s < timeout, nothing expires.
    sc2 = make_scenario(
        duration=900,
        traffic={
            "requests_per_session": 2,
            "think_time": 30,
        },
        state={"session_timeout": 60},
    )
    assert fleetsim.simulate(sc2).summary()["sessions_expired"] == 0


def test_redis_adds_its_latency_and_cost():
    base = {"duration": 300, "traffic": {"shape": {"kind": "constant", "rate": 20}}}
    ideal = fleetsim.simulate(make_scenario(**base, state={"sessions": "ideal"})).summary()
    slow = fleetsim.simulate(
        make_scenario(
            **base,
            state={
                "sessions": "redis",
                "redis": {"latency_same_az": 0.05, "latency_cross_az": 0.05},
            },
        )
    ).summary()
    # Every request does at least one 50 ms round trip: the mean rises by 50–110 ms.
    assert 0.05 <= slow["latency_mean_s"] - ideal["latency_mean_s"] <= 0.11
    # One cache.r7g.large for 300 s at $0.219/h.
    assert slow["cost_usd"] - ideal["cost_usd"] == pytest.approx(0.219 * 300 / 3600, rel=0.02)


def test_dynamodb_throttles_when_provisioned_capacity_is_exceeded():
    state = {
        "sessions": "dynamodb",
        "write_fraction": 1.0,
        "dynamodb": {"capacity_mode": "provisioned", "write_capacity": 20},
    }
    summary = fleetsim.simulate(make_scenario(duration=300, state=state)).summary()
    # 30 requests/s, each writing a 2 KB session (2 WCU): ~60 WCU/s wanted, 20 allowed.
    assert summary["failed_by_cause"]["500 store_throttled"] > 1000
    assert summary["invariants_ok"]
