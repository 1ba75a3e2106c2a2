"""fleetsim: a discrete-event simulator of an AWS EC2 fleet.

It models an Application Load Balancer, an Auto Scaling group, EC2 instances with real boot times,
Availability-Zone outages and session stores, to compare stateful and stateless designs on lost
sessions, failed requests, latency and cost.

The public names below are loaded on first use (PEP 562), so importing a layer such as
``fleetsim.config`` pays neither for the model (SimPy) nor for the analysis (pandas, scipy,
matplotlib): ``fleetsim validate`` and ``fleetsim schema`` start quickly.

Example:
    >>> import fleetsim
    >>> scenario = fleetsim.load_scenario("az-outage", variant="stateless")
    >>> result = fleetsim.simulate(scenario, seed=1)
    >>> result.summary()["sessions_lost"]
    0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetsim.analysis.compare import compare
    from fleetsim.analysis.sweep import sweep
    from fleetsim.config import ConfigError, Scenario, load_scenario, load_variants
    from fleetsim.record.invariants import InvariantError
    from fleetsim.record.result import Result
    from fleetsim.sim.world import simulate

#: Public name → the module that defines it, imported when the name is first used.
_LAZY = {
    "ConfigError": "fleetsim.config",
    "InvariantError": "fleetsim.record.invariants",
    "Result": "fleetsim.record.result",
    "Scenario": "fleetsim.config",
    "compare": "fleetsim.analysis.compare",
    "load_scenario": "fleetsim.config",
    "load_variants": "fleetsim.config",
    "simulate": "fleetsim.sim.world",
    "sweep": "fleetsim.analysis.sweep",
}

__all__ = [
    "ConfigError",
    "InvariantError",
    "Result",
    "Scenario",
    "__version__",
    "compare",
    "load_scenario",
    "load_variants",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562) and cache the name here."""
    if name == "__version__":
        from fleetsim._version import version

        value: Any = version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'fleetsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
