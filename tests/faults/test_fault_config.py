"""Fault validation: each bad fault list gives one paragraph naming the field, value and rule."""

import pytest

from fleetsim.config import ConfigError, load_scenario
from fleetsim.config.faults import FAULT_KINDS
from tests.conftest import BASE, merge


def _error(extra):
    with pytest.raises(ConfigError) as info:
        load_scenario(merge(BASE, extra))
    message = str(info.value)
    assert "\n" not in message  # one paragraph
    return message


def _faults(*faults, **extra):
    return _error({"faults": list(faults), **extra})


def test_every_kind_loads_with_the_documented_yaml_shape():
    faults = [
        {"kind": "az_outage", "az": "a", "at": "1m", "duration": "2m"},
        {"kind": "az_degraded", "az": "b", "at": 60, "duration": 120},
        {"kind": "instance_crash", "at": 30, "count": 1, "az": "c", "mode": "app"},
        {"kind": "instance_crash", "mtbf": "24h", "mode": "host"},
        {"kind": "redis_primary_failure", "at": 100},
        {"kind": "redis_node_failure", "at": 200, "node": "replica-1"},
        {"kind": "redis_node_failure", "at": 300, "node": 0},
        {"kind": "spot_interruptions", "at": 100, "count": 2},
        {"kind": "spot_interruptions", "rate_per_hour": 3},
        {"kind": "deploy", "at": 100, "strategy": "blue_green", "shift": "all_at_once"},
        {"kind": "bootstrap_outage", "at": 10, "duration": 60},
    ]
    sc = load_scenario(
        merge(BASE, {"design": "stateless", "instance": {"spot": {}}, "faults": faults})
    )
    assert {f.kind for f in sc.faults} == set(FAULT_KINDS) - {"deploy"} | {"deploy"}
    degraded = sc.faults[1]
    # The documented defaults of a gray failure.
    assert (degraded.added_latency, degraded.loss_fraction) == (0.2, 0.05)
    assert sc.faults[3].mtbf == 86400.0
    steps = {"steps": [10, 50, 100], "interval": "5m"}
    sc = load_scenario(
        merge(
            BASE,
            {"faults": [{"kind": "deploy", "at": 0, "strategy": "blue_green", "shift": steps}]},
        )
    )
    assert sc.faults[0].shift.interval == 300.0


def test_unknown_az():
    msg = _faults({"kind": "az_degraded", "az": "d", "at": 10, "duration": 10})
    assert "faults.0.az" in msg and "us-east-1d" in msg and "us-east-1a" in msg


def test_zero_and_negative_durations():
    msg = _faults({"kind": "az_outage", "az": "b", "at": 10, "duration": 0})
    assert "faults.0.duration" in msg and "greater than 0" in msg
    msg = _faults({"kind": "bootstrap_outage", "at": 10, "duration": "-5m"})
    assert "faults.0.duration" in msg and "-5m" in msg
    msg = _faults({"kind": "az_degraded", "az": "b", "at": -1, "duration": 10})
    assert "faults.0.at" in msg


def test_a_fault_after_the_run_is_a_warning_not_an_error():
    # Shortening a packaged scenario with --set duration=... must keep it valid.
    with pytest.warns(UserWarning, match=r"faults\.0\.at = 900 s .* never happens"):
        sc = load_scenario(
            merge(BASE, {"faults": [{"kind": "az_outage", "az": "b", "at": 900, "duration": 1}]})
        )
    assert len(sc.faults) == 1


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [
        (
            {"kind": "az_outage", "az": "b", "at": 10, "duration": 100},
            {"kind": "az_outage", "az": "b", "at": 50, "duration": 10},
            "us-east-1b",
        ),
        (
            {"kind": "az_outage", "az": "b", "at": 10, "duration": 100},
            {"kind": "az_degraded", "az": "b", "at": 100, "duration": 10},
            "outage/degradation",
        ),
        (
            {"kind": "deploy", "at": 10},
            {"kind": "deploy", "at": 500, "strategy": "blue_green"},
            "one deploy",
        ),
    ],
)
def test_overlapping_incompatible_faults(first, second, words):
    msg = _faults(first, second)
    assert "faults.0" in msg and "faults.1" in msg and "overlap" in msg and words in msg


def test_compatible_faults_may_overlap():
    faults = [
        {"kind": "az_outage", "az": "b", "at": 10, "duration": 100},
        {"kind": "az_degraded", "az": "c", "at": 50, "duration": 100},
        {"kind": "az_outage", "az": "b", "at": 110, "duration": 10},  # back to back: fine
    ]
    assert len(load_scenario(merge(BASE, {"faults": faults})).faults) == 3


def test_redis_faults_need_redis_sessions():
    msg = _faults({"kind": "redis_primary_failure", "at": 10})
    assert "faults.0.kind" in msg and "redis_primary_failure" in msg
    assert "state.sessions is 'ideal'" in msg or "state.sessions is 'instance_memory'" in msg


def test_redis_node_must_exist():
    msg = _faults({"kind": "redis_node_failure", "at": 10, "node": "replica-3"}, design="stateless")
    assert "faults.0.node = 'replica-3'" in msg and "['primary', 'replica-1']" in msg
    msg = _faults({"kind": "redis_node_failure", "at": 10, "node": 2}, design="stateless")
    assert "faults.0.node = 2" in msg and "0–1" in msg


def test_spot_interruptions_need_spot_instances():
    msg = _faults({"kind": "spot_interruptions", "at": 10, "count": 1})
    assert "faults.0.kind = 'spot_interruptions'" in msg and "instance.spot" in msg


def test_instance_crash_needs_exactly_one_form():
    msg = _faults({"kind": "instance_crash", "at": 10, "mtbf": "1h"})
    assert "faults.0" in msg and "exactly one of 'at'" in msg
    msg = _faults({"kind": "instance_crash"})
    assert "exactly one of 'at'" in msg


def test_deploy_fields_belong_to_their_strategy():
    msg = _faults({"kind": "deploy", "at": 10, "strategy": "blue_green", "instance_warmup": 5})
    assert "instance_warmup" in msg and "'rolling'" in msg
    steps = {"steps": [10, 50], "interval": 60}
    msg = _faults({"kind": "deploy", "at": 10, "strategy": "blue_green", "shift": steps})
    assert "faults.0.shift" in msg and "must be 100" in msg
    msg = _faults(
        {"kind": "deploy", "at": 10, "min_healthy_percentage": 20, "max_healthy_percentage": 150}
    )
    assert "at most min_healthy_percentage + 100 = 120" in msg


def test_unknown_fault_key_gets_a_did_you_mean_without_the_union_tag():
    msg = _faults({"kind": "az_degraded", "az": "b", "at": 1, "duration": 5, "los_fraction": 0.1})
    assert "'faults.0.los_fraction'" in msg and "did you mean 'loss_fraction'" in msg
    assert "added_latency" in msg  # the allowed keys are the fault's own
    assert "az_degraded.los" not in msg


def test_unknown_kind_lists_the_kinds():
    msg = _faults({"kind": "meteor", "at": 10})
    assert "faults.0" in msg and "deploy" in msg


def test_blue_green_needs_a_load_balancer():
    msg = _faults(
        {"kind": "deploy", "at": 10, "strategy": "blue_green"},
        alb={"enabled": False},
        asg={"min_size": 1, "max_size": 1, "desired_capacity": 1},
    )
    assert "faults.0.strategy = 'blue_green'" in msg and "alb.enabled is false" in msg
