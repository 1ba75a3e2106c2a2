"""Faults and operations on the timeline: what a scenario's ``faults:`` list may hold.

Each entry is one model of a discriminated union on ``kind`` (see ``docs/faults.md``):

* ``az_outage`` — an Availability Zone fails for ``duration``.
* ``az_degraded`` — a gray failure: the AZ's instances answer ``added_latency`` slower and a
  ``loss_fraction`` of their requests get no answer at all.
* ``instance_crash`` — ``count`` instances crash at ``at`` (optionally in one AZ), or every
  instance crashes after an exponential time with mean ``mtbf``; ``mode`` says how: the host
  fails (impaired, a black hole), the instance stops cleanly, or only the application dies.
* ``redis_primary_failure`` and ``redis_node_failure`` — an ElastiCache node fails.
* ``spot_interruptions`` — a burst of ``count`` two-minute notices at ``at``, or a Poisson stream
  of notices at ``rate_per_hour`` over the group.
* ``deploy`` — a rolling instance refresh or a blue/green switch to a second group.
* ``bootstrap_outage`` — the package repository / S3 is unreachable, so user-data steps fail.

Checks that need the rest of the scenario (known AZs, Redis present, Spot present, overlaps,
faults after the run's end) are in :func:`check_faults`, called by the scenario's validator.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Annotated, Literal

from pydantic import Field, model_validator

from fleetsim.config.base import Model, NonNegDuration, PosDuration


class AzOutage(Model):
    """An Availability Zone fails at ``at`` for ``duration`` seconds."""

    kind: Literal["az_outage"] = "az_outage"
    az: str
    at: NonNegDuration
    duration: PosDuration


class AzDegraded(Model):
    """A gray failure of an AZ: slower answers and some lost requests, health checks passing."""

    kind: Literal["az_degraded"] = "az_degraded"
    az: str
    at: NonNegDuration
    duration: PosDuration
    added_latency: NonNegDuration = Field(
        0.2, description="seconds added to every request served by an instance in the AZ"
    )
    loss_fraction: float = Field(
        0.05,
        ge=0,
        le=1,
        description=(
            "share of the AZ's requests (and health checks) that get no answer: 504 at the "
            "ALB idle timeout"
        ),
    )


class InstanceCrash(Model):
    """Instances crash: ``count`` at ``at`` (optionally in ``az``), or at random with ``mtbf``."""

    kind: Literal["instance_crash"] = "instance_crash"
    at: NonNegDuration | None = Field(None, description="when (the scheduled form)")
    count: int = Field(1, ge=1, description="how many InService instances crash at ``at``")
    az: str | None = Field(None, description="crash only instances in this AZ")
    mtbf: PosDuration | None = Field(
        None, description="random form: mean time between failures per instance (exponential)"
    )
    mode: Literal["host", "stop", "app"] = Field(
        "host",
        description=(
            "host: the host fails, impaired: EC2 state stays running, it answers nothing (504s "
            "until the ALB takes it out; replaced after the group's impaired delay); stop: a "
            "clean stop, the EC2 state leaves running (in-flight 502, replaced at once); app: "
            "the process dies, the host runs on (502 at once; only ELB health checks replace it)"
        ),
    )

    @model_validator(mode="after")
    def _one_form(self) -> InstanceCrash:
        if (self.at is None) == (self.mtbf is None):
            raise ValueError(
                "instance_crash needs exactly one of 'at' (a scheduled crash) or 'mtbf' "
                "(random crashes)"
            )
        return self


class RedisPrimaryFailure(Model):
    """The Redis primary node fails at ``at`` (Multi-AZ failover if a replica can take over)."""

    kind: Literal["redis_primary_failure"] = "redis_primary_failure"
    at: NonNegDuration


class RedisNodeFailure(Model):
    """One Redis node fails at ``at``: ``primary``, ``replica-N`` or an index (0 = primary)."""

    kind: Literal["redis_node_failure"] = "redis_node_failure"
    at: NonNegDuration
    node: str | int = Field(description="node name as created (primary, replica-1, …) or index")


class SpotInterruptions(Model):
    """Spot interruption notices: ``count`` at ``at``, or ``rate_per_hour`` over the group."""

    kind: Literal["spot_interruptions"] = "spot_interruptions"
    at: NonNegDuration | None = Field(
        None, description="burst: when the notices come; rate: when the stream starts (0)"
    )
    count: int | None = Field(None, ge=1, description="burst: how many instances get a notice")
    rate_per_hour: float | None = Field(
        None, gt=0, description="notices per hour over the whole group (Poisson)"
    )
    duration: PosDuration | None = Field(
        None, description="rate form: how long the stream lasts (default: to the end)"
    )

    @model_validator(mode="after")
    def _one_form(self) -> SpotInterruptions:
        burst = self.count is not None
        rate = self.rate_per_hour is not None
        if burst == rate:
            raise ValueError(
                "spot_interruptions needs either 'at' and 'count' (a burst) or 'rate_per_hour'"
            )
        if burst and self.at is None:
            raise ValueError("spot_interruptions: a burst of 'count' notices needs 'at'")
        if burst and self.duration is not None:
            raise ValueError("spot_interruptions: 'duration' applies only to 'rate_per_hour'")
        return self


class ShiftSteps(Model):
    """Weighted traffic shift: green's share goes through ``steps`` %, ``interval`` apart."""

    steps: list[int] = Field(min_length=1, description="green's share in %, rising, ending 100")
    interval: PosDuration = Field(description="time between two steps")

    @model_validator(mode="after")
    def _rising_to_100(self) -> ShiftSteps:
        s = self.steps
        if any(not 0 < x <= 100 for x in s) or any(b <= a for a, b in itertools.pairwise(s)):
            raise ValueError(f"steps {s}: must rise strictly, each in 1–100")
        if s[-1] != 100:
            raise ValueError(f"steps {s}: the last step must be 100 (all traffic on green)")
        return self


class Deploy(Model):
    """A deployment: a rolling instance refresh or a blue/green switch to a second group."""

    kind: Literal["deploy"] = "deploy"
    at: NonNegDuration
    strategy: Literal["rolling", "blue_green"] = "rolling"
    min_healthy_percentage: int | None = Field(
        None, ge=0, le=100, description="rolling: default the group's preference (90, §2.9)"
    )
    max_healthy_percentage: int | None = Field(
        None, ge=100, le=200, description="rolling: default the group's preference (100, §2.9)"
    )
    instance_warmup: NonNegDuration | None = Field(
        None, description="rolling: seconds each batch waits after InService (§2.9 default)"
    )
    shift: Literal["all_at_once"] | ShiftSteps = Field(
        "all_at_once", description="blue_green: all at once, or {steps: [10, 50, 100], interval}"
    )

    @model_validator(mode="after")
    def _strategy_fields(self) -> Deploy:
        if self.strategy == "blue_green":
            rolling = [
                name
                for name in ("min_healthy_percentage", "max_healthy_percentage", "instance_warmup")
                if getattr(self, name) is not None
            ]
            if rolling:
                raise ValueError(
                    f"deploy: {', '.join(rolling)} apply only to strategy 'rolling', "
                    "not 'blue_green'"
                )
        elif self.shift != "all_at_once":
            raise ValueError("deploy: 'shift' applies only to strategy 'blue_green'")
        lo, hi = self.min_healthy_percentage, self.max_healthy_percentage
        if lo is not None and hi is not None and hi > lo + 100:
            # MaxHealthyPercentage must be ≤ MinHealthyPercentage + 100 (§2.9).
            raise ValueError(
                f"deploy: max_healthy_percentage {hi} must be at most min_healthy_percentage "
                f"+ 100 = {lo + 100}"
            )
        return self


class BootstrapOutage(Model):
    """The package repository / S3 is unreachable: user-data steps in the window fail."""

    kind: Literal["bootstrap_outage"] = "bootstrap_outage"
    at: NonNegDuration
    duration: PosDuration


AnyFault = (
    AzOutage
    | AzDegraded
    | InstanceCrash
    | RedisPrimaryFailure
    | RedisNodeFailure
    | SpotInterruptions
    | Deploy
    | BootstrapOutage
)
"""Any one fault or operation."""

Fault = Annotated[AnyFault, Field(discriminator="kind")]
"""A fault list entry: the union discriminated on ``kind``."""


def fault_window(fault: AnyFault, run_end: float) -> tuple[float, float] | None:
    """Return ``(start, end)`` of a fault with a known extent, or None (random or instant)."""
    at = getattr(fault, "at", None)
    if at is None:
        return None
    duration = getattr(fault, "duration", None)
    if duration is not None:
        return at, at + duration
    if isinstance(fault, SpotInterruptions) and fault.rate_per_hour is not None:
        return at, run_end
    return at, at


def check_faults(
    faults: list[AnyFault],
    azs: list[str],
    duration: float,
    sessions: str,
    redis_nodes: list[str],
    spot: bool,
    alb: bool = True,
) -> None:
    """Check the faults against the rest of the scenario.

    Args:
        faults: the scenario's fault list.
        azs: the scenario's AZs.
        duration: the run's length in seconds.
        sessions: ``state.sessions``.
        redis_nodes: Redis node names in index order (primary first), empty without Redis.
        spot: whether the group runs on Spot Instances.
        alb: whether the scenario has a load balancer (``alb.enabled``).

    Raises:
        ValueError: naming the field (``faults.<i>.<field>``), the value and what is allowed.
    """
    for i, fault in enumerate(faults):
        _check_fault(i, fault, azs, duration, sessions, redis_nodes, spot, alb)
    _check_overlaps(faults, duration)


def _check_fault(
    i: int,
    fault: AnyFault,
    azs: list[str],
    duration: float,
    sessions: str,
    redis_nodes: list[str],
    spot: bool,
    alb: bool,
) -> None:
    # One fault against the rest of the scenario (see check_faults).
    az = getattr(fault, "az", None)
    if az is not None and az not in azs:
        raise ValueError(
            f"faults.{i}.az: {az!r} is not one of the scenario's AZs {azs} "
            "(a fault can only hit an AZ the scenario runs in)"
        )
    at = getattr(fault, "at", None)
    if at is not None and at >= duration:
        # A warning, not an error: shortening a run with --set duration=... must not make a
        # packaged scenario invalid; the fault simply never happens.
        warnings.warn(
            f"faults.{i}.at = {at:g} s is at or after the end of the run ({duration:g} s): "
            f"the {fault.kind} fault never happens",
            UserWarning,
            stacklevel=3,
        )
    if fault.kind.startswith("redis_") and sessions != "redis":
        raise ValueError(
            f"faults.{i}.kind = {fault.kind!r} needs Redis sessions, but state.sessions is "
            f"{sessions!r} (set state.sessions: redis, or remove the fault)"
        )
    if isinstance(fault, RedisNodeFailure):
        node = fault.node
        known = 0 <= node < len(redis_nodes) if isinstance(node, int) else node in redis_nodes
        if not known:
            raise ValueError(
                f"faults.{i}.node = {node!r} is not a Redis node: use one of {redis_nodes} "
                f"or an index 0–{len(redis_nodes) - 1}"
            )
    if isinstance(fault, SpotInterruptions) and not spot:
        raise ValueError(
            f"faults.{i}.kind = 'spot_interruptions' needs Spot Instances, but "
            "instance.spot is not set (add instance.spot: {}, or remove the fault)"
        )
    if isinstance(fault, Deploy) and fault.strategy == "blue_green" and not alb:
        raise ValueError(
            f"faults.{i}.strategy = 'blue_green' needs a load balancer to shift traffic, but "
            "alb.enabled is false (use strategy: rolling, or enable the ALB)"
        )


def _incompatible(a: AnyFault, b: AnyFault) -> str | None:
    """Why two faults may not overlap in time, or None if they may."""
    kinds = {a.kind, b.kind}
    zonal = AzOutage | AzDegraded
    if isinstance(a, zonal) and isinstance(b, zonal) and a.az == b.az:
        return f"an AZ cannot be in two outage/degradation faults at once ({a.az})"
    if kinds == {"deploy"}:
        # A deploy's end is known only when it runs, so two deploys always count as overlapping.
        return "a deploy's end is not known before the run, so a scenario holds one deploy"
    if kinds == {"bootstrap_outage"}:
        return "two bootstrap outages overlap (merge them into one)"
    return None


def _check_overlaps(faults: list[AnyFault], duration: float) -> None:
    windows = [(i, f, fault_window(f, duration)) for i, f in enumerate(faults)]
    for (i, a, wa), (j, b, wb) in itertools.combinations(windows, 2):
        if wa is None or wb is None:
            continue
        why = _incompatible(a, b)
        if why is None:
            continue
        # A deploy has no known end: it overlaps anything that starts at or after it.
        end_a = duration if a.kind == "deploy" else wa[1]
        end_b = duration if b.kind == "deploy" else wb[1]
        if (wa[0] < end_b and wb[0] < end_a) or wa[0] == wb[0]:
            raise ValueError(
                f"faults.{i} ({a.kind} at {wa[0]:g} s) and faults.{j} ({b.kind} at {wb[0]:g} s) "
                f"overlap: {why}"
            )


FAULT_MODELS: dict[str, type[Model]] = {
    "az_outage": AzOutage,
    "az_degraded": AzDegraded,
    "instance_crash": InstanceCrash,
    "redis_primary_failure": RedisPrimaryFailure,
    "redis_node_failure": RedisNodeFailure,
    "spot_interruptions": SpotInterruptions,
    "deploy": Deploy,
    "bootstrap_outage": BootstrapOutage,
}
"""The model of each fault ``kind`` (error messages look up a fault's known fields here)."""

FAULT_KINDS = tuple(FAULT_MODELS)
"""Every ``kind`` a fault may have."""
