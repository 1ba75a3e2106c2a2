"""alb.enabled false: clients reach the group's single instance directly."""

from __future__ import annotations

import pytest

from fleetsim.config import ConfigError, load_scenario
from fleetsim.sim.world import simulate

BASE = {
    "duration": 600,
    "seed": 3,
    "azs": ["a"],
    "traffic": {"shape": {"kind": "constant", "rate": 10}},
    "app": {"cpu_time": {"dist": "exponential", "mean": 0.05}, "workers": 2},
    "instance": {"type": "m5.large"},
    "alb": {"enabled": False},
    "asg": {"min_size": 1, "max_size": 1, "desired_capacity": 1},
    "state": {"sessions": "instance_disk", "uploads": "instance_disk"},
}


def test_a_direct_instance_serves_without_health_checks():
    result = simulate(load_scenario(BASE))
    s = result.summary()
    assert s["requests_failed"] == 0 and s["requests_ok"] > 5000
    # No load balancer: no health-check transitions, no ALB nodes.
    kinds = set(result.events.kind)
    assert not any(k.startswith(("target.", "alb.")) for k in kinds)


def test_requests_fail_instance_down_while_its_az_is_out():
    data = {**BASE, "faults": [{"kind": "az_outage", "az": "a", "at": 200, "duration": 100}]}
    result = simulate(load_scenario(data, overrides={"record.requests": True}))
    reqs = result.requests
    down = reqs[reqs.outcome == "000 instance_down"]
    assert len(down) > 0
    # Only while the AZ is out (and the replacement boots after it): none before the outage.
    assert down.ended.min() >= 200
    assert "000 alb_node_down" not in set(reqs.outcome)
    assert not reqs[reqs.ended < 200].outcome.ne("ok").any()


@pytest.mark.parametrize(
    ("override", "field"),
    [({"asg.max_size": 2}, "asg.max_size"), ({"asg.health_check_type": "ELB"}, "ELB")],
)
def test_direct_needs_one_instance_and_ec2_checks(override, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_scenario(BASE, overrides=override)
