import pytest

from fleetsim.config import ConfigError, load_scenario, load_variants
from fleetsim.config.dists import Exponential, Geometric
from fleetsim.config.units import parse_duration
from tests.conftest import BASE, merge


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90.0), (1.5, 1.5), ("90s", 90.0), ("15m", 900.0), ("2h", 7200.0), ("250ms", 0.25)],
)
def test_durations_accept_units(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["-5m", "soon", "5 parsecs", True])
def test_bad_durations_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_bare_number_is_a_constant_distribution():
    sc = load_scenario(merge(BASE, {"app": {"cpu_time": 0.2}}))
    assert sc.app.cpu_time.dist == "constant"
    assert sc.app.cpu_time.mean() == 0.2


def test_distribution_sampler_is_reproducible_and_has_the_right_mean():
    import numpy as np

    d = Exponential(mean=2.0)
    a = d.sampler(np.random.default_rng(1))
    b = d.sampler(np.random.default_rng(1))
    xs = [a() for _ in range(20000)]
    assert xs[:100] == [b() for _ in range(100)]
    # 20k exponential draws: sd of the mean = 2/sqrt(20000) = 0.014; 5 sd tolerance.
    assert abs(sum(xs) / len(xs) - 2.0) < 0.07
    g = Geometric(mean=4).sampler(np.random.default_rng(2))
    ys = [g() for _ in range(20000)]
    assert min(ys) >= 1 and abs(sum(ys) / len(ys) - 4) < 0.15


def test_defaults_are_aws_documented_values():
    sc = load_scenario({"duration": 60})
    hc = sc.alb.health_check
    assert (hc.interval, hc.timeout, hc.healthy_threshold, hc.unhealthy_threshold) == (30, 5, 5, 2)
    assert sc.alb.deregistration_delay == 300
    assert sc.alb.stickiness.duration == 86400
    assert sc.alb.idle_timeout == 60
    assert sc.asg.health_check_type == "EC2"
    assert sc.asg.health_check_grace_period == 0
    assert sc.azs == ["us-east-1a", "us-east-1b", "us-east-1c"]


def _error(data):
    with pytest.raises(ConfigError) as info:
        load_scenario(data)
    message = str(info.value)
    assert "\n" not in message  # one paragraph
    return message


def test_unknown_key_names_the_field_and_suggests():
    message = _error(merge(BASE, {"asg": {"mn_size": 3}}))
    assert "asg.mn_size" in message and "did you mean 'min_size'" in message


def test_negative_capacity_names_the_field():
    message = _error(merge(BASE, {"asg": {"desired_capacity": -2}}))
    assert "asg.desired_capacity" in message and "-2" in message


def test_min_above_max_is_rejected():
    message = _error(merge(BASE, {"asg": {"min_size": 5, "max_size": 2, "desired_capacity": 3}}))
    assert "min_size (5) must be <= max_size (2)" in message


def test_unknown_az_in_a_fault_is_rejected():
    fault = {"kind": "az_outage", "az": "d", "at": 10, "duration": 10}
    message = _error(merge(BASE, {"faults": [fault]}))
    assert "faults.0.az" in message and "us-east-1d" in message


def test_az_outside_region_is_rejected():
    message = _error(merge(BASE, {"azs": ["eu-west-1a"]}))
    assert "eu-west-1a" in message and "us-east-1" in message


def test_overlapping_outages_in_one_az_are_rejected():
    faults = [
        {"kind": "az_outage", "az": "b", "at": 10, "duration": 100},
        {"kind": "az_outage", "az": "b", "at": 50, "duration": 10},
    ]
    assert "overlap" in _error(merge(BASE, {"faults": faults}))


def test_health_check_timeout_must_be_below_interval():
    message = _error(merge(BASE, {"alb": {"health_check": {"interval": 5, "timeout": 6}}}))
    assert "alb.health_check" in message and "less than interval" in message


def test_unknown_instance_type_lists_known_ones():
    message = _error(merge(BASE, {"instance": {"type": "m9.huge"}}))
    assert "m9.huge" in message and "m5.large" in message


def test_overrides_and_variants():
    data = merge(BASE, {"variants": {"big": {"asg.desired_capacity": 6}}})
    sc = load_scenario(data, "big", ["asg.max_size=10", "alb.stickiness.enabled=true"])
    assert sc.asg.desired_capacity == 6 and sc.asg.max_size == 10
    assert sc.alb.stickiness.enabled is True
    assert sc.name.endswith("/big")
    with pytest.raises(ConfigError, match="unknown variant 'small'"):
        load_scenario(data, "small")
    with pytest.raises(ConfigError, match=r"asg\.desired_capacity"):
        load_scenario(data, None, ["asg.desired_capacity=oops"])
    assert list(load_variants(data)) == ["big"]


def test_packaged_scenario_loads_by_name():
    sc = load_scenario("az-outage", "stateless")
    assert sc.state.sessions == "redis" and sc.state.redis.multi_az  # issue 20: like with like
    with pytest.raises(ConfigError, match="packaged"):
        load_scenario("no-such-scenario")
