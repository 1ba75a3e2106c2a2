"""What a scenario is: typed, validated configuration models.

A :class:`Scenario` is the whole description of one simulated world — the traffic, the
application, the instances, the load balancer, the Auto Scaling group, where state lives, and the
faults — plus named ``variants`` (sets of dotted overrides) for comparisons. Every model rejects
unknown keys. Defaults are AWS's documented defaults where AWS documents one; each such default
carries a comment citing the project's fact sheet (``docs/aws-behaviour.md`` section numbers).
"""

from fleetsim.config.alb import AlbConfig, HealthCheckConfig, StickinessConfig
from fleetsim.config.app import AppConfig, InstanceConfig
from fleetsim.config.asg import AsgConfig
from fleetsim.config.base import Model, NonNegDuration, PosDuration
from fleetsim.config.faults import (
    AzDegraded,
    AzOutage,
    BootstrapOutage,
    Deploy,
    Fault,
    InstanceCrash,
    RedisNodeFailure,
    RedisPrimaryFailure,
    SpotInterruptions,
)
from fleetsim.config.scenario import RecordConfig, Scenario
from fleetsim.config.shapes import ConstantShape, Shape, SpikeShape, StepShape
from fleetsim.config.state import StateConfig
from fleetsim.config.traffic import RequestKind, RequestMix, RetryConfig, TrafficConfig

__all__ = [
    "AlbConfig",
    "AppConfig",
    "AsgConfig",
    "AzDegraded",
    "AzOutage",
    "BootstrapOutage",
    "ConstantShape",
    "Deploy",
    "Fault",
    "HealthCheckConfig",
    "InstanceConfig",
    "InstanceCrash",
    "Model",
    "NonNegDuration",
    "PosDuration",
    "RecordConfig",
    "RedisNodeFailure",
    "RedisPrimaryFailure",
    "RequestKind",
    "RequestMix",
    "RetryConfig",
    "Scenario",
    "Shape",
    "SpikeShape",
    "SpotInterruptions",
    "StateConfig",
    "StepShape",
    "StickinessConfig",
    "TrafficConfig",
]
