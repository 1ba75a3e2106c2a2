"""The request mix: kinds by weight, a login per session, per-kind CPU and payload, retries."""

from __future__ import annotations

import math

import pytest

from fleetsim.config import ConfigError, load_scenario
from fleetsim.sim.world import simulate
from tests.conftest import BASE, make_scenario, merge

MIX = {
    "login": {"cpu_time": {"dist": "constant", "value": 0.02}, "payload_kb": 2},
    "page": {"weight": 0.7, "cpu_time": {"dist": "constant", "value": 0.01}, "payload_kb": 50},
    "write": {"weight": 0.2, "payload_kb": 5},
    "upload": {"weight": 0.1, "cpu_time": {"dist": "constant", "value": 0.3}, "payload_kb": 1000},
    "client_bandwidth_mbps": 8,
}
# payload_kb × 8 / 1000 / 8 Mbit/s: page 0.05 s, upload 1.0 s, login 0.002 s.
TRANSFER = {"login": 0.002, "page": 0.05, "write": 0.005, "upload": 1.0}


@pytest.fixture(scope="module")
def mixed():
    # m5.xlarge: 4 vCPUs for 4 workers, so a request's time in service is its CPU + transfer.
    return simulate(
        make_scenario(
            traffic={"mix": MIX},
            instance={"type": "m5.xlarge"},
            state={"sessions": "ideal", "uploads": "s3"},
            record={"requests": True},
        )
    )


def test_every_session_opens_with_a_login_then_draws_kinds_by_weight(mixed):
    req = mixed.requests
    ok = req[req.outcome == "ok"]
    assert ok.kind.isin(["login", "page", "write", "upload"]).all()
    first = ok.sort_values("request").groupby("user").kind.first()
    assert (first == "login").all()
    # Nothing fails here, so logins = sessions (warm-start sessions logged in before t = 0).
    assert mixed.summary()["requests_failed"] == 0
    later = ok[ok.kind != "login"]
    n = len(later)
    for kind, weight in (("page", 0.7), ("write", 0.2), ("upload", 0.1)):
        share = (later.kind == kind).mean()
        # Binomial sd of a share over n draws; 4 sd fails a correct mixer ~1 in 16,000 seeds.
        assert abs(share - weight) < 4 * math.sqrt(weight * (1 - weight) / n), (kind, share)


def test_each_kind_takes_its_cpu_time_plus_its_payload_transfer(mixed):
    req = mixed.requests
    ok = req[req.outcome == "ok"]
    latency = ok.ended - ok.arrived
    s3 = mixed.scenario["state"]["s3"]["put_latency"]  # the S3 PUT adds to uploads
    # Constant CPU on a free vCPU: the fastest request of each kind is exactly CPU + transfer.
    assert latency[ok.kind == "page"].min() == pytest.approx(0.01 + TRANSFER["page"])
    assert latency[ok.kind == "upload"].min() == pytest.approx(0.3 + TRANSFER["upload"] + s3)
    assert latency[ok.kind == "login"].min() == pytest.approx(0.02 + TRANSFER["login"])
    # write has no cpu_time of its own: the app's exponential draw, so some are much shorter.
    assert latency[ok.kind == "write"].min() < 0.01 + TRANSFER["write"]


def test_uploads_are_the_upload_requests(mixed):
    req = mixed.requests
    assert (
        mixed.summary()["uploads_total"] == ((req.kind == "upload") & (req.outcome == "ok")).sum()
    )


def test_a_failed_request_is_tried_again_as_the_same_kind():
    fault = {"kind": "az_outage", "az": "b", "at": 120, "duration": 120}
    result = simulate(
        make_scenario(
            traffic={"mix": MIX, "retries": {"count": 2}},
            state={"sessions": "ideal"},
            faults=[fault],
            record={"requests": True},
        )
    )
    req = result.requests.sort_values("request")
    nxt = req.groupby("user").shift(-1)
    failed = (req.outcome != "ok") & nxt.kind.notna()
    assert failed.sum() > 50  # the outage fails requests that users then retry
    assert (req.kind[failed] == nxt.kind[failed]).all()


def test_without_a_mix_requests_have_no_kind_and_draws_are_unchanged():
    plain = simulate(make_scenario(record={"requests": True}))
    assert (plain.requests.kind == "").all()


def _error(data) -> str:
    with pytest.raises(ConfigError) as err:
        load_scenario(data)
    return str(err.value)


def test_mix_with_upload_fraction_is_an_error_naming_both():
    msg = _error(merge(BASE, {"traffic": {"mix": MIX, "upload_fraction": 0.1}}))
    assert "traffic.upload_fraction" in msg and "traffic.mix" in msg


def test_mix_with_write_fraction_is_an_error():
    msg = _error(merge(BASE, {"traffic": {"mix": MIX}, "state": {"write_fraction": 0.2}}))
    assert "state.write_fraction" in msg and "traffic.mix.write" in msg


def test_all_zero_weights_is_an_error():
    zero = {k: {"weight": 0} for k in ("page", "write", "upload")}
    msg = _error(merge(BASE, {"traffic": {"mix": zero}}))
    assert "weights are all 0" in msg


def test_negative_payload_is_an_error_naming_the_field():
    msg = _error(merge(BASE, {"traffic": {"mix": {"upload": {"payload_kb": -1}}}}))
    assert "traffic.mix.upload.payload_kb" in msg
