"""End-to-end behaviour of the flagship scenario and reproducibility."""

import pytest

import fleetsim
from fleetsim.analysis.compare import run_variants

OUTAGE_AT = 1200.0  # az-outage.yaml: AZ b down at 20 minutes


@pytest.fixture(scope="module")
def az_outage():
    return run_variants("az-outage", overrides=["record.requests=true"])


def test_stateful_loses_sessions_and_stateless_loses_none(az_outage):
    stateful = az_outage["stateful"].summary()
    stateless = az_outage["stateless"].summary()
    assert stateful["sessions_lost"] > 100
    assert stateful["lost_by_cause"]["instance_terminated"] > 100
    assert stateless["sessions_lost"] == 0


def test_both_designs_black_hole_the_requests_in_flight_in_the_dead_az(az_outage):
    for result in az_outage.values():
        req = result.requests
        # Every request in flight at the outage on AZ b gets no answer and no reset: 504 at the
        # idle timeout (§8).
        b = {
            name
            for name, az in result.events[["instance", "az"]].itertuples(index=False)
            if az == "us-east-1b"
        }
        in_flight = req[
            (req.arrived <= OUTAGE_AT) & (req.ended >= OUTAGE_AT) & req.instance.isin(b)
        ]
        assert len(in_flight) >= 1
        assert set(in_flight.outcome) == {"504 target_timeout"}
        assert (in_flight.ended - in_flight.arrived).to_numpy() == pytest.approx(60.0)
        assert not (req.outcome == "502 target_reset").any()
        assert result.summary()["failed_by_cause"]["000 alb_node_down"] > 0


def test_invariants_hold(az_outage):
    for result in az_outage.values():
        assert result.summary()["invariants_ok"]
        assert all(c.ok for c in result.checks)


def test_same_seed_same_summary_different_seed_different():
    sc = fleetsim.load_scenario("az-outage", "stateful", ["duration=10m"])
    a = fleetsim.simulate(sc, seed=5).summary()
    b = fleetsim.simulate(sc, seed=5).summary()
    c = fleetsim.simulate(sc, seed=6).summary()
    assert a == b
    assert a != c


def test_variants_share_arrivals():
    # Common random numbers: with no fault the two designs see the same users.
    results = run_variants("az-outage", overrides=["duration=5m", "faults=[]"])
    totals = {name: r.summary()["sessions_total"] for name, r in results.items()}
    assert totals["stateful"] == totals["stateless"]


def test_timeline_columns_and_units(az_outage):
    tl = az_outage["stateless"].timeline
    assert len(tl) == 3600
    for col in ("time", "arrivals", "ok", "failed", "latency_mean_s", "in_service", "pending"):
        assert col in tl.columns
    assert tl["arrivals"].sum() == az_outage["stateless"].summary()["requests_total"]
    assert (tl["in_service_us-east-1b"].iloc[:1200] == 2).all()
