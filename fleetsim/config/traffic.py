"""Traffic: load shapes and user behaviour."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fleetsim.config.base import Model, NonNegDuration
from fleetsim.config.dists import Dist, Exponential, Geometric
from fleetsim.config.shapes import ConstantShape, Shape


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
    retries: RetryConfig = Field(default_factory=lambda: RetryConfig())
    upload_fraction: float = Field(
        0.0, ge=0, le=1, description="share of requests that upload a file (see state.uploads)"
    )
    warm_start: bool = Field(
        True,
        description=(
            "start with the users a steady state at the initial rate would have in progress, "
            "instead of an empty system"
        ),
    )
