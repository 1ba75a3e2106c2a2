"""fleetsim: a discrete-event simulator of an AWS EC2 fleet.

It models an Application Load Balancer, an Auto Scaling group, EC2 instances with real boot times,
Availability-Zone outages and session stores, to compare stateful and stateless designs on lost
sessions, failed requests, latency and cost.

Example:
    >>> import fleetsim
    >>> scenario = fleetsim.load_scenario("az-outage", variant="stateless")
    >>> result = fleetsim.simulate(scenario, seed=1)
    >>> result.summary()["sessions_lost"]
    0
"""

from fleetsim.analysis.compare import compare
from fleetsim.analysis.sweep import sweep
from fleetsim.config import ConfigError, Scenario, load_scenario, load_variants
from fleetsim.record.invariants import InvariantError
from fleetsim.record.result import Result
from fleetsim.sim.world import simulate

__version__ = "0.1.0"

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
