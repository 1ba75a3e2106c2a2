"""What a scenario is: typed, validated configuration models.

A :class:`Scenario` is the whole description of one simulated world — the traffic, the
application, the instances, the load balancer, the Auto Scaling group, where state lives, and the
faults — plus named ``variants`` (sets of dotted overrides) for comparisons. Every model rejects
unknown keys. Defaults are AWS's documented defaults where AWS documents one; each such default
carries a comment citing the project's fact sheet (``docs/aws-behaviour.md`` section numbers).
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fleetsim.config.catalog import INSTANCE_TYPES
from fleetsim.config.dists import Dist, Exponential, Geometric
from fleetsim.config.units import Duration

NonNegDuration = Annotated[Duration, Field(ge=0)]
PosDuration = Annotated[Duration, Field(gt=0)]


class Model(BaseModel):
    """Base of every configuration model: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)


# --- traffic -------------------------------------------------------------------------------


class ConstantShape(Model):
    """A constant demand of ``rate`` requests per second."""

    kind: Literal["constant"] = "constant"
    rate: float = Field(ge=0, description="demand in requests per second")


class SpikeShape(Model):
    """A base demand with one spike: linear rise to ``peak``, hold, linear decay to ``base``."""

    kind: Literal["spike"] = "spike"
    base: float = Field(ge=0, description="demand outside the spike, requests per second")
    peak: float = Field(ge=0, description="demand at the top of the spike, requests per second")
    at: NonNegDuration = Field(description="when the rise starts")
    rise: NonNegDuration = 60.0
    hold: NonNegDuration = 300.0
    decay: NonNegDuration = 300.0


class StepShape(Model):
    """Piecewise-constant demand: ``initial`` until the first step, then each step's rate."""

    kind: Literal["step"] = "step"
    initial: float = Field(ge=0)
    steps: list[tuple[NonNegDuration, Annotated[float, Field(ge=0)]]] = Field(
        default_factory=list, description="[time, rate] pairs in increasing time order"
    )

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
        times = [t for t, _ in steps]
        if times != sorted(times):
            raise ValueError(f"step times must increase, got {times}")
        return steps


Shape = Annotated[ConstantShape | SpikeShape | StepShape, Field(discriminator="kind")]


class TrafficConfig(Model):
    """Users and their behaviour.

    Users arrive as sessions in a non-homogeneous Poisson process whose rate is the shape's demand
    divided by the mean number of requests per session, so that once sessions are under way the
    request rate follows the shape. Each session makes its requests one after another, with a
    think time between a response and the next request.
    """

    shape: Shape = Field(default_factory=lambda: ConstantShape(rate=50.0))
    requests_per_session: Dist = Field(default_factory=lambda: Geometric(mean_=10))
    think_time: Dist = Field(default_factory=lambda: Exponential(mean_=5.0))
    abandon_after_failures: int = Field(
        3, ge=1, description="consecutive failed requests after which a user gives up"
    )
    relogin_probability: float = Field(
        0.8, ge=0, le=1, description="chance a user whose session was lost logs in again"
    )
    warm_start: bool = Field(
        True,
        description=(
            "start with the users a steady state at the initial rate would have in progress, "
            "instead of an empty system"
        ),
    )


class AppConfig(Model):
    """The application served by each instance: per-request CPU time and the worker pool."""

    cpu_time: Dist = Field(
        default_factory=lambda: Exponential(mean_=0.05),
        description="CPU seconds per request on a speed-1.0 vCPU",
    )
    workers: int = Field(8, ge=1, description="concurrent requests per instance (worker pool)")
    queue_size: int = Field(128, ge=0, description="accept queue length; beyond it 503")


class InstanceConfig(Model):
    """What the Auto Scaling group launches: type, AMI profile and boot times."""

    type: str = "m5.large"
    ami: Literal["baked", "bootstrapped"] = "baked"
    pending_time: Dist | None = Field(
        None, description="launch request to EC2 'running' (not billed); default from measured"
    )
    boot_time: Dist | None = Field(
        None, description="'running' to the app answering; default from the AMI profile"
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in INSTANCE_TYPES:
            raise ValueError(
                f"unknown instance type {value!r}; known types: {', '.join(sorted(INSTANCE_TYPES))}"
            )
        return value


class HealthCheckConfig(Model):
    """ALB target-group health check (fact sheet §1.1; ALB/target-group-health-checks.md)."""

    interval: Duration = Field(30.0, ge=5, le=300)  # HealthCheckIntervalSeconds default 30, 5–300
    timeout: Duration = Field(5.0, ge=2, le=120)  # HealthCheckTimeoutSeconds, HTTP: 5 (D1)
    healthy_threshold: int = Field(5, ge=2, le=10)  # HealthyThresholdCount default 5
    unhealthy_threshold: int = Field(2, ge=2, le=10)  # UnhealthyThresholdCount default 2

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        if self.timeout >= self.interval:
            raise ValueError(
                f"timeout ({self.timeout:g} s) must be less than interval ({self.interval:g} s)"
            )
        return self


class StickinessConfig(Model):
    """Sticky sessions (fact sheet §1.2; ALB/sticky-sessions.md)."""

    enabled: bool = False  # stickiness.enabled default false
    duration: Duration = Field(86400.0, ge=1, le=604800)  # lb_cookie.duration_seconds 86400


class AlbConfig(Model):
    """The Application Load Balancer and its target group."""

    algorithm: Literal["round_robin"] = "round_robin"  # load_balancing.algorithm.type default
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    stickiness: StickinessConfig = Field(default_factory=StickinessConfig)
    deregistration_delay: Duration = Field(300.0, ge=0, le=3600)  # fact sheet §1.2, default 300
    idle_timeout: Duration = Field(60.0, ge=1, le=4000)  # idle_timeout.timeout_seconds 60
    minimum_healthy_targets: int = Field(1, ge=1)  # fail-open threshold, default count 1 (§1.1)
    dns_failover_delay: Duration = Field(
        150.0,
        ge=0,
        description=(
            "seconds a failed AZ's ALB node stays in DNS; default 150 = Route 53 detection "
            "30 s x 3 checks + 60 s propagation (fact sheet §6, derived estimate)"
        ),
    )


class AsgConfig(Model):
    """The Auto Scaling group's size and health checks (fact sheet §2.1)."""

    min_size: int = Field(1, ge=0)
    max_size: int = Field(10, ge=0)
    desired_capacity: int = Field(2, ge=0)
    health_check_type: Literal["EC2", "ELB"] = "EC2"  # HealthCheckType default EC2
    health_check_grace_period: Duration = Field(0.0, ge=0)  # API default 0 (console: 300), D3
    impaired_replacement_delay: Duration = Field(
        180.0,
        ge=0,
        description=(
            "how long an EC2-health-checked group waits before replacing an impaired "
            "(unreachable) instance; AWS says 'a few minutes' (fact sheet §2.2)"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> AsgConfig:
        if self.min_size > self.max_size:
            raise ValueError(f"min_size ({self.min_size}) must be <= max_size ({self.max_size})")
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"desired_capacity ({self.desired_capacity}) must be between min_size "
                f"({self.min_size}) and max_size ({self.max_size})"
            )
        return self


class StateConfig(Model):
    """Where sessions live: on the instance (stateful) or in an external store (stateless)."""

    sessions: Literal["instance_memory", "ideal"] = Field(
        "instance_memory",
        description=(
            "instance_memory: on the instance that created it; ideal: a perfect external "
            "store (no latency, never fails)"
        ),
    )


class AzOutage(Model):
    """An Availability Zone fails at ``at`` for ``duration`` seconds."""

    kind: Literal["az_outage"] = "az_outage"
    az: str
    at: NonNegDuration
    duration: PosDuration


Fault = Annotated[AzOutage, Field(discriminator="kind")]


class RecordConfig(Model):
    """What the recorder keeps beyond the per-second timeline."""

    requests: bool = Field(False, description="keep one row per request (memory grows with load)")


class Scenario(Model):
    """A complete, validated scenario: everything one simulation run needs."""

    name: str = "scenario"
    description: str = ""
    duration: PosDuration
    seed: int = Field(0, ge=0)
    region: str = "us-east-1"
    azs: list[str] = Field(
        default_factory=lambda: ["us-east-1a", "us-east-1b", "us-east-1c"],
        min_length=1,
        description="Availability Zones; a single letter means '<region><letter>'",
    )
    traffic: TrafficConfig = Field(default_factory=TrafficConfig)
    app: AppConfig = Field(default_factory=AppConfig)
    instance: InstanceConfig = Field(default_factory=InstanceConfig)
    alb: AlbConfig = Field(default_factory=AlbConfig)
    asg: AsgConfig = Field(default_factory=AsgConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    faults: list[Fault] = Field(default_factory=list)
    record: RecordConfig = Field(default_factory=RecordConfig)
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="named sets of dotted overrides, e.g. asg.min_size: 4"
    )

    @model_validator(mode="before")
    @classmethod
    def _expand_az_letters(cls, data: Any) -> Any:
        # "a" is shorthand for "<region>a": scenarios stay portable across regions.
        if isinstance(data, dict):
            data = dict(data)
            region = data.get("region", "us-east-1")
            data.setdefault("azs", ["a", "b", "c"])
        if isinstance(data, dict) and isinstance(data.get("azs"), list):
            data["azs"] = [
                f"{region}{az}" if isinstance(az, str) and len(az) == 1 else az
                for az in data["azs"]
            ]
            if isinstance(data.get("faults"), list):
                data["faults"] = [
                    {**f, "az": f"{region}{f['az']}"}
                    if isinstance(f, dict) and isinstance(f.get("az"), str) and len(f["az"]) == 1
                    else f
                    for f in data["faults"]
                ]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        for az in self.azs:
            if not az.startswith(self.region) or len(az) != len(self.region) + 1:
                raise ValueError(
                    f"azs: {az!r} is not an Availability Zone of region {self.region!r} "
                    f"(expected e.g. {self.region}a)"
                )
        if len(set(self.azs)) != len(self.azs):
            raise ValueError(f"azs: duplicate Availability Zones in {self.azs}")
        for i, fault in enumerate(self.faults):
            if fault.az not in self.azs:
                raise ValueError(
                    f"faults.{i}.az: {fault.az!r} is not one of the scenario's AZs {self.azs}"
                )
        outages = sorted((f for f in self.faults if f.kind == "az_outage"), key=lambda f: f.at)
        for a, b in itertools.pairwise(outages):
            if a.az == b.az and b.at < a.at + a.duration:
                raise ValueError(
                    f"faults: two az_outage faults overlap in {a.az} "
                    f"({a.at:g}–{a.at + a.duration:g} s and {b.at:g}–{b.at + b.duration:g} s)"
                )
        return self
