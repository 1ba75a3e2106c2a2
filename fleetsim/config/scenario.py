"""The whole scenario: each component's configuration plus named variants."""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import Field, model_validator

from fleetsim.config.alb import AlbConfig
from fleetsim.config.app import AppConfig, InstanceConfig
from fleetsim.config.asg import AsgConfig
from fleetsim.config.azs import full_az
from fleetsim.config.base import MAX_DESCRIPTION, MAX_NAME, MAX_SEED, Model, PosDuration
from fleetsim.config.faults import Fault, check_faults
from fleetsim.config.state import StateConfig, apply_design, check_state_azs, expand_state_azs
from fleetsim.config.traffic import TrafficConfig


class RecordConfig(Model):
    """What the recorder keeps beyond the per-second timeline."""

    requests: bool = Field(False, description="keep one row per request (memory grows with load)")


class Scenario(Model):
    """A complete, validated scenario: everything one simulation run needs."""

    name: str = Field("scenario", min_length=1, max_length=MAX_NAME)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    duration: PosDuration
    seed: int = Field(0, ge=0, le=MAX_SEED)
    region: str = "us-east-1"
    design: Literal["stateful", "stateless"] | None = Field(
        None,
        description=(
            "preset bundle: stateful = sticky sessions in instance memory + uploads on instance "
            "disk; stateless = Redis Multi-AZ sessions + S3 uploads; fields still override it"
        ),
    )
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
            data["azs"] = [full_az(region, az) for az in data["azs"]]
            if isinstance(data.get("faults"), list):
                data["faults"] = [
                    {**f, "az": full_az(region, f["az"])}
                    if isinstance(f, dict) and "az" in f
                    else f
                    for f in data["faults"]
                ]
        return data

    @model_validator(mode="before")
    @classmethod
    def _design_preset(cls, data: Any) -> Any:
        # The preset goes under the file's own values; AZ letters in state.redis are expanded
        # here too, so this validator does not depend on running after _expand_az_letters.
        if isinstance(data, dict):
            data = apply_design(dict(data))
            expand_state_azs(data, str(data.get("region", "us-east-1")))
        return data

    @model_validator(mode="after")
    def _state_azs(self) -> Scenario:
        check_state_azs(self.state, self.azs)
        return self

    @model_validator(mode="after")
    def _one_way_to_mix(self) -> Scenario:
        # Two ways to say how often requests write or upload would silently disagree.
        if self.traffic.mix is not None:
            if self.traffic.upload_fraction > 0:
                raise ValueError(
                    f"traffic.upload_fraction: {self.traffic.upload_fraction} is set together "
                    "with traffic.mix; with a mix, set the upload weight in traffic.mix.upload "
                    "instead and remove upload_fraction"
                )
            if "write_fraction" in self.state.model_fields_set:
                raise ValueError(
                    f"state.write_fraction: {self.state.write_fraction} is set together with "
                    "traffic.mix; with a mix, set the write weight in traffic.mix.write instead "
                    "and remove write_fraction"
                )
        return self

    @model_validator(mode="after")
    def _direct_needs_one_instance(self) -> Scenario:
        # Without a load balancer clients know one address: the model has nothing to spread
        # them over several instances, nor health checks to feed ELB health checks.
        if not self.alb.enabled:
            if self.asg.max_size != 1:
                raise ValueError(
                    f"alb.enabled is false (clients reach one instance directly), so "
                    f"asg.max_size must be 1, got {self.asg.max_size}"
                )
            if self.asg.health_check_type == "ELB":
                raise ValueError(
                    "alb.enabled is false: asg.health_check_type ELB needs a load balancer; use EC2"
                )
        return self

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
        redis = self.state.redis
        nodes = ["primary", *[f"replica-{k + 1}" for k in range(len(redis.replica_azs))]]
        check_faults(
            self.faults,
            self.azs,
            self.duration,
            self.state.sessions,
            nodes if self.state.sessions == "redis" else [],
            self.instance.spot is not None,
            alb=self.alb.enabled,
        )
        return self

    @model_validator(mode="after")
    def _sessions_need_stickiness(self) -> Scenario:
        # Last, so that only a valid scenario warns. A warning, not an error: a scenario may
        # show the trap on purpose. Defaults are AWS's (stickiness off, §1.2) and the
        # framework's (sessions in instance memory), so a minimal scenario falls into it.
        sessions = self.state.sessions
        if (
            sessions in ("instance_memory", "instance_disk")
            and self.alb.enabled
            and not self.alb.stickiness.enabled
            and self.asg.max_size > 1
        ):
            warnings.warn(
                f"state.sessions is {sessions} but alb.stickiness.enabled is false: the load "
                "balancer spreads each user's requests over the instances, so most of them "
                "find no session and users keep losing theirs; set alb.stickiness.enabled: "
                "true, or keep sessions outside the instances (state.sessions: redis, "
                "dynamodb or ideal)",
                UserWarning,
                stacklevel=2,
            )
        return self
