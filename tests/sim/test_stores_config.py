"""State configuration: bad input names the field; documented defaults; design presets."""

from __future__ import annotations

import pytest

from fleetsim.config import ConfigError, load_scenario
from tests.conftest import BASE, merge


def _error(state):
    with pytest.raises(ConfigError) as info:
        load_scenario(merge(BASE, {"state": state}))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_more_than_five_replicas_is_rejected():
    # Cluster mode disabled: 1 shard with 0–5 replicas (§4).
    message = _error({"sessions": "redis", "redis": {"replica_azs": ["a", "b", "c"] * 2}})
    assert "state.redis.replica_azs" in message and "at most 5 replicas" in message
    assert "got 6" in message


def test_a_replica_outside_the_scenarios_azs_is_rejected():
    message = _error({"sessions": "redis", "redis": {"replica_azs": ["b", "d"]}})
    assert "state.redis.replica_azs.1" in message and "'us-east-1d'" in message


def test_a_primary_outside_the_scenarios_azs_is_rejected():
    message = _error({"redis": {"primary_az": "us-west-2a"}})
    assert "state.redis.primary_az" in message and "us-west-2a" in message


@pytest.mark.parametrize("bad", [0, -1, "0mb"])
def test_maxmemory_must_be_positive(bad):
    message = _error({"sessions": "redis", "redis": {"maxmemory": bad}})
    assert "state.redis.maxmemory" in message and "greater than 0" in message


def test_maxmemory_accepts_units():
    sc = load_scenario(merge(BASE, {"state": {"redis": {"maxmemory": "512mb"}}}))
    assert sc.state.redis.maxmemory == 512 * 1024**2


def test_multi_az_needs_a_replica():
    # Multi-AZ prerequisite: at least 1 replica per shard (§4).
    message = _error({"sessions": "redis", "redis": {"multi_az": True}})
    assert "state.redis" in message and "at least one replica" in message


def test_unknown_eviction_policy_is_rejected():
    message = _error({"redis": {"maxmemory_policy": "lru"}})
    assert "state.redis.maxmemory_policy" in message and "volatile-lru" in message


def test_documented_defaults():
    state = load_scenario({"duration": 60}).state
    assert state.redis.maxmemory_policy == "volatile-lru"  # maxmemory-policy default (§4)
    assert state.redis.reserved_memory_percent == 25  # reserved-memory-percent (§4)
    assert state.redis.multi_az is False  # AutomaticFailoverEnabled API default (§4)
    assert state.dynamodb.consistent_reads is False  # eventually consistent by default (§5)
    assert state.dynamodb.read_latency < 0.01 and state.dynamodb.write_latency < 0.01  # §5
    assert state.redis.memory_bytes == int(13.07 * 1024**3)  # cache.r7g.large


def test_stateless_design_gives_the_coherent_bundle():
    sc = load_scenario(merge(BASE, {"design": "stateless"}))
    assert sc.design == "stateless"
    assert sc.alb.stickiness.enabled is False
    assert sc.state.sessions == "redis" and sc.state.uploads == "s3"
    assert sc.state.redis.multi_az is True
    assert sc.state.redis.primary_az == "us-east-1a"
    assert sc.state.redis.replica_azs == ["us-east-1b"]


def test_stateful_design_gives_the_coherent_bundle():
    sc = load_scenario(merge(BASE, {"design": "stateful"}))
    assert sc.alb.stickiness.enabled is True
    assert sc.state.sessions == "instance_memory" and sc.state.uploads == "instance_disk"


def test_a_design_is_overridable_field_by_field():
    sc = load_scenario(
        merge(BASE, {"design": "stateless", "state": {"uploads": "instance_disk"}}),
        overrides=["state.redis.replica_azs=[c]"],
    )
    assert sc.state.sessions == "redis"  # from the preset
    assert sc.state.uploads == "instance_disk"  # the file's own value
    assert sc.state.redis.replica_azs == ["us-east-1c"]  # the override
    sc2 = load_scenario(
        merge(BASE, {"design": "stateful"}), overrides=["alb.stickiness.enabled=false"]
    )
    assert sc2.alb.stickiness.enabled is False


def test_unknown_design_is_rejected():
    with pytest.raises(ConfigError) as info:
        load_scenario(merge(BASE, {"design": "serverless"}))
    assert "design" in str(info.value) and "stateless" in str(info.value)
