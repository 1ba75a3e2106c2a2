"""ALB CloudWatch metrics per minute (fact sheet §1.4) in ``Result.alb_metrics``."""

import math

import pytest

from fleetsim.record.alb_metrics import request_metrics
from fleetsim.sim.world import simulate
from tests.conftest import make_scenario

OUTAGE_AT = 300.0


@pytest.fixture(scope="module")
def outage():
    fault = {"kind": "az_outage", "az": "b", "at": OUTAGE_AT, "duration": 200}
    return simulate(make_scenario(faults=[fault], record={"requests": True}))


def test_one_row_per_minute_with_every_metric(outage):
    m = outage.alb_metrics
    assert list(m.time) == [60.0 * k for k in range(10)]  # 600 s run, 60 s periods (§1.4)
    for az in ("us-east-1a", "us-east-1b", "us-east-1c"):
        assert f"HealthyHostCount_{az}" in m and f"UnHealthyHostCount_{az}" in m
    assert m.HealthyHostCount.iloc[0] == 3.0 and m.UnHealthyHostCount.iloc[0] == 0.0


def test_request_counts_and_elb_5xx_agree_with_the_request_ledger(outage):
    m, req = outage.alb_metrics, outage.requests
    minute = (req.ended // 60) * 60  # failures and successes are binned when they end
    reached = req[req.outcome != "000 alb_node_down"]
    # RequestCount counts arrivals at a live node; a 000 never reached the ALB.
    arrived_minute = (reached.arrived // 60) * 60
    # Requests still in flight at the end have no row yet; they arrived in the last minute.
    in_flight = outage.summary()["requests_in_flight_at_end"]
    assert m.RequestCount.sum() == len(reached) + in_flight
    counted = [float((arrived_minute == t).sum()) for t in m.time]
    counted[-1] += in_flight
    assert list(m.RequestCount) == counted
    elb = req.outcome.isin(["502 target_reset", "504 target_timeout"])
    assert list(m.HTTPCode_ELB_5XX_Count) == [float((elb & (minute == t)).sum()) for t in m.time]
    assert m.HTTPCode_ELB_5XX_Count.iloc[5] > 100  # the outage minute: 504s to the dead target
    ok = req[req.outcome == "ok"]
    lat = (ok.ended - ok.arrived).groupby((ok.ended // 60) * 60).mean()
    assert m.TargetResponseTime.to_numpy() == pytest.approx(lat.to_numpy())


def test_host_counts_follow_the_target_states_to_the_second(outage):
    m, ev = outage.alb_metrics, outage.events
    gone = float(ev[(ev.kind == "target.unhealthy") & (ev.az == "us-east-1b")].time.iloc[0])
    row = m[m.time == 300.0].iloc[0]
    # Average over the minute of the per-second count: healthy until `gone`, unhealthy after.
    expected = (math.ceil(gone) - 300.0) / 60.0
    assert row["HealthyHostCount_us-east-1b"] == pytest.approx(expected)
    assert row["UnHealthyHostCount_us-east-1b"] == pytest.approx(1.0 - expected)
    assert row["HealthyHostCount_us-east-1a"] == 1.0
    nxt = m[m.time == 360.0].iloc[0]
    assert nxt["RequestCountPerTarget"] == pytest.approx(nxt["RequestCount"] / 2.0)


def test_live_request_metrics_match_the_frame(outage):
    # A CloudWatch model reads each minute from the recorder as it closes; same numbers.
    live = request_metrics(outage.recorder, 300, 360)
    row = outage.alb_metrics.iloc[5]
    assert live["RequestCount"] == row.RequestCount
    assert live["HTTPCode_ELB_5XX_Count"] == row.HTTPCode_ELB_5XX_Count
