"""Traffic: load shapes and user behaviour."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from fleetsim.config.base import Model, NonNegDuration
from fleetsim.config.dists import Dist, Exponential, Geometric


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
