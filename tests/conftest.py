"""Shared helpers: small scenarios built from dicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleetsim.config import Scenario, load_scenario

# The validation report (docs/validation.md) collects rows from any test module.
pytest_plugins = ["tests.validation.plugin"]

BASE: dict[str, Any] = {
    "duration": 600,
    "seed": 7,
    "azs": ["a", "b", "c"],
    "traffic": {
        "shape": {"kind": "constant", "rate": 30},
        "requests_per_session": {"dist": "geometric", "mean": 10},
        "think_time": {"dist": "exponential", "mean": 5},
    },
    "app": {"cpu_time": {"dist": "exponential", "mean": 0.05}, "workers": 4, "queue_size": 32},
    "asg": {"min_size": 3, "max_size": 6, "desired_capacity": 3},
}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make_scenario(**extra: Any) -> Scenario:
    """A small valid scenario; keyword arguments are deep-merged into BASE."""
    return load_scenario(merge(BASE, extra))


@pytest.fixture
def scenario_factory():  # type: ignore[no-untyped-def]
    return make_scenario
