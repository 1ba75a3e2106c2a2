"""Traffic: load shapes and user behaviour."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from fleetsim.config.base import Model, NonNegDuration
from fleetsim.config.dists import Dist, Exponential, Geometric
from fleetsim.config.shapes import (
    ConstantShape,
    DiurnalShape,
    ProductShape,
    RampShape,
    Shape,
    SpikeShape,
    StepShape,
    SumShape,
)


class RetryConfig(Model):
    """Client retries of a failed request, before the user sees the failure.

    Attempt ``k`` (k = 1, 2, …) waits ``min(cap, base * multiplier**(k-1))`` seconds, with
    ``full`` jitter a uniform draw in [0, that], with ``equal`` jitter half of it plus a uniform
    draw in [0, half] (the AWS Architecture Blog's "Exponential Backoff and Jitter" schemes).
    Retries add load exactly when the fleet is failing: a retry storm is reproducible by
    setting ``count`` high and ``jitter: none``.
    """

    count: int = Field(0, ge=0, le=20, description="retries per request (0: users just reload)")
    base: NonNegDuration = Field(1.0, description="first backoff, seconds")
    multiplier: float = Field(2.0, ge=1)
    cap: NonNegDuration = Field(20.0, description="longest backoff, seconds")
    jitter: Literal["none", "full", "equal"] = "full"


class RequestKind(Model):
    """One kind of request in the mix: how often, how much CPU, how many bytes."""

    weight: float = Field(
        0.0, ge=0, description="relative frequency among a session's requests after its login"
    )
    cpu_time: Dist | None = Field(
        None, description="CPU seconds per request of this kind (default: app.cpu_time)"
    )
    payload_kb: float = Field(
        0.0,
        ge=0,
        description=(
            "kilobytes the worker streams to or from the client (request body or response), "
            "at the mix's client_bandwidth_mbps"
        ),
    )


class RequestMix(Model):
    """What users ask for: a login opens each session, then pages, writes and uploads.

    A ``write`` changes the session (written to an external store); an ``upload`` stores a file
    (see ``state.uploads``) and writes the session; a ``page`` only reads it. The worker is held
    while the payload streams at the client's bandwidth, without using CPU. Each user's kinds are
    drawn with the user's plan, at arrival; a failed request is retried (or reloaded) as the same
    kind.
    """

    login: RequestKind = Field(
        default_factory=lambda: RequestKind(payload_kb=2.0),
        description="the first request of every session (its weight is ignored)",
    )
    page: RequestKind = Field(default_factory=lambda: RequestKind(weight=0.85, payload_kb=40.0))
    write: RequestKind = Field(default_factory=lambda: RequestKind(weight=0.12, payload_kb=4.0))
    upload: RequestKind = Field(default_factory=lambda: RequestKind(weight=0.03, payload_kb=1024.0))
    client_bandwidth_mbps: float = Field(
        50.0, gt=0, description="each client's bandwidth, megabits per second"
    )

    @model_validator(mode="after")
    def _some_weight(self) -> RequestMix:
        if self.page.weight + self.write.weight + self.upload.weight <= 0:
            raise ValueError(
                "traffic.mix: page, write and upload weights are all 0; give at least one a "
                "positive weight (they are relative frequencies, e.g. 0.85, 0.12, 0.03)"
            )
        return self


class TrafficConfig(Model):
    """Users and their behaviour.

    Users arrive as sessions in a non-homogeneous Poisson process whose rate is the shape's demand
    divided by the mean number of requests per session, so that once sessions are under way the
    request rate follows the shape. Each user arrives with a plan — its number of actions
    (``requests_per_session``, the first one the login), the think time before each and, with a
    mix, each one's kind — and makes them one after another, each after the previous response.
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
    session_work_actions: int = Field(
        2,
        ge=0,
        description=(
            "actions whose work a session holds (a cart, a form in progress): after losing "
            "it the user logs in again and redoes the last ones served in it, at most this many"
        ),
    )
    retries: RetryConfig = Field(default_factory=lambda: RetryConfig())
    upload_fraction: float = Field(
        0.0, ge=0, le=1, description="share of requests that upload a file (see state.uploads)"
    )
    mix: RequestMix | None = Field(
        None,
        description=(
            "request kinds (login, page, write, upload) with their own CPU time and payload; "
            "replaces upload_fraction and state.write_fraction"
        ),
    )
    warm_start: bool = Field(
        True,
        description=(
            "start with the users a steady state at the initial rate would have in progress, "
            "instead of an empty system"
        ),
    )

    @model_validator(mode="after")
    def _users_in_progress(self) -> TrafficConfig:
        # Little's law: demand x think time users are in progress at once, each one an object.
        users = _peak_demand(self.shape) * self.think_time.mean()
        if users > MAX_USERS:
            raise ValueError(
                f"traffic: about {users:,.0f} users would be in progress at once (demand up to "
                f"{_peak_demand(self.shape):g} req/s x think time {self.think_time.mean():g} "
                f"s); at most {MAX_USERS:,} are simulated: lower the demand or the think time"
            )
        return self


#: Most users in progress at once (peak demand x mean think time) a scenario may ask for.
MAX_USERS = 1_000_000


def _peak_demand(shape: Shape) -> float:
    """Return an upper bound of an analytic shape's demand (0 for a trace: read at run time)."""
    if isinstance(shape, ConstantShape):
        return shape.rate
    if isinstance(shape, SpikeShape):
        return max(shape.base, shape.peak)
    if isinstance(shape, StepShape):
        return max([shape.initial, *(rate for _, rate in shape.steps)])
    if isinstance(shape, RampShape):
        return max(shape.start_rate, shape.end_rate)
    if isinstance(shape, DiurnalShape):
        return shape.mean * (1 + shape.amplitude)
    if isinstance(shape, SumShape):
        return sum(_peak_demand(part) for part in shape.of)
    if isinstance(shape, ProductShape):
        return math.prod(_peak_demand(part) for part in shape.of)
    return 0.0
