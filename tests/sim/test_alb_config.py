"""ALB configuration: AWS defaults and ranges, and clear errors through ``load_scenario``."""

import pytest

from fleetsim.config import ConfigError, load_scenario
from tests.conftest import BASE, merge


def _error(alb):
    with pytest.raises(ConfigError) as info:
        load_scenario(merge(BASE, {"alb": alb}))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults_are_the_documented_ones():
    alb = load_scenario({"duration": 60}).alb
    assert alb.algorithm == "round_robin"  # §1.2
    assert alb.slow_start == 0 and alb.cross_zone is True  # §1.2, §1.3
    assert alb.stickiness.type == "lb_cookie" and alb.stickiness.duration == 86400  # §1.2
    assert alb.minimum_healthy_targets == 1 and alb.minimum_healthy_percentage is None  # §1.1
    assert alb.idle_timeout == 60 and alb.dns_withdrawal_delay == 150  # §1.3, §6
    assert alb.client_keep_alive == 3600  # §9.9
    clients = alb.clients  # docs/alb.md, "Clients and DNS"
    assert clients.long_cache_share == 0 and clients.next_address_share == 1
    assert clients.connect_timeout == 21 and clients.keep_alive is True
    # Checks are HTTP requests through the accept queue (§8); they cost no worker time.
    assert alb.health_check.through_queue is True and alb.health_check.cost == 0


@pytest.mark.parametrize("old", [True, False])
def test_the_removed_fails_when_saturated_points_to_through_queue(old):
    message = _error({"health_check": {"fails_when_saturated": old}})
    assert message.startswith(
        "scenario: field 'alb.health_check.fails_when_saturated' was removed: checks now go"
    )
    assert "through_queue: false" in message and "§8" in message


def test_timeout_not_below_interval_is_rejected():
    message = _error({"health_check": {"interval": 10, "timeout": 10}})
    assert "alb.health_check" in message
    assert "timeout (10 s) must be less than interval (10 s)" in message


@pytest.mark.parametrize("field", ["healthy_threshold", "unhealthy_threshold"])
@pytest.mark.parametrize("value", [1, 11])
def test_thresholds_outside_2_to_10_are_rejected(field, value):
    message = _error({"health_check": {field: value}})
    assert f"alb.health_check.{field}" in message and str(value) in message


def test_interval_outside_5_to_300_is_rejected():
    assert "alb.health_check.interval" in _error({"health_check": {"interval": 301}})


def test_slow_start_with_least_outstanding_requests_is_rejected():
    message = _error({"algorithm": "least_outstanding_requests", "slow_start": 60})
    assert "field 'alb'" in message
    assert "slow_start (60 s) cannot be combined with algorithm least_outstanding_requests" in (
        message
    )


@pytest.mark.parametrize("value", [10, 901])
def test_slow_start_outside_30_to_900_is_rejected(value):
    assert "slow_start" in _error({"slow_start": value})


def test_stickiness_needs_cross_zone():
    message = _error({"cross_zone": False, "stickiness": {"enabled": True}})
    assert "stickiness.enabled needs cross_zone on" in message


def test_unknown_algorithm_names_the_choices():
    message = _error({"algorithm": "least_connections"})
    assert "alb.algorithm" in message and "least_outstanding_requests" in message


def test_minimum_healthy_percentage_range():
    assert "alb.minimum_healthy_percentage" in _error({"minimum_healthy_percentage": 0})
    sc = load_scenario(merge(BASE, {"alb": {"minimum_healthy_percentage": 50}}))
    assert sc.alb.minimum_healthy_percentage == 50


@pytest.mark.parametrize("field", ["long_cache_share", "next_address_share"])
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_client_shares_outside_0_to_1_are_rejected(field, value):
    message = _error({"clients": {field: value}})
    assert f"alb.clients.{field}" in message and str(value) in message


def test_the_removed_dns_failover_delay_points_to_the_new_settings():
    message = _error({"dns_failover_delay": 150})
    assert "field 'alb.dns_failover_delay' was removed" in message
    assert "alb.dns_withdrawal_delay" in message and "alb.clients" in message
