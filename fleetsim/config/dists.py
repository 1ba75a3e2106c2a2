"""Probability distributions that scenario files can name.

A distribution is written in YAML either as a bare number (a constant) or as a mapping with a
``dist`` key: ``{dist: exponential, mean: 0.05}``, ``{dist: lognormal, median: 20, sigma: 0.3}``,
``{dist: uniform, low: 10, high: 30}``, ``{dist: normal, mean: 25, sd: 3}`` (truncated at 0),
``{dist: empirical, samples: [21.2, 25.8, 29.1]}`` or ``{dist: geometric, mean: 8}`` (integers
>= 1). Each is a pydantic model with :meth:`mean` and :meth:`sampler`; the sampler draws in blocks
from a named numpy generator, because a numpy call per draw would dominate the per-request cost.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fleetsim.config.sampler import ConstantSampler, Sampler
from fleetsim.config.units import MAX_DURATION_S

#: Largest parameter or mean of any distribution: 400 days in seconds (every distribution in a
#: scenario is a time or a count of requests; larger values overflow the simulator's draws).
MAX_DIST_VALUE = MAX_DURATION_S


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded(self) -> _Dist:
        for name in type(self).model_fields:
            value = getattr(self, name)
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, float) and abs(v) > MAX_DIST_VALUE for v in values):
                raise ValueError(
                    f"{name.rstrip('_')} is larger than {MAX_DIST_VALUE:,.0f} (400 days in "
                    "seconds), the largest value a distribution may have"
                )
        with np.errstate(over="ignore"):
            mean = self.mean()
        if not (math.isfinite(mean) and mean <= MAX_DIST_VALUE):
            raise ValueError(
                f"the distribution's mean ({mean:g}) is not a finite number up to "
                f"{MAX_DIST_VALUE:,.0f} (400 days in seconds)"
            )
        return self

    def mean(self) -> float:
        """Return the distribution's mean."""
        raise NotImplementedError

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def sampler(self, gen: np.random.Generator) -> Sampler:
        """Return a zero-argument callable drawing one value per call from ``gen``.

        Values are drawn ``4096`` at a time; the sequence depends only on the generator.
        """
        return Sampler(partial(self._draw, gen))


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: float = Field(ge=0)

    def mean(self) -> float:
        """Return the value."""
        return self.value

    def sampler(self, gen: np.random.Generator) -> Sampler:
        """Return a callable returning the constant (draws nothing from ``gen``)."""
        return ConstantSampler(self.value)


class Exponential(_Dist):
    """Exponential with the given mean (memoryless service or think times)."""

    dist: Literal["exponential"] = "exponential"
    mean_: float = Field(gt=0, alias="mean")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def mean(self) -> float:
        """Return the mean."""
        return self.mean_

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.exponential(self.mean_, n)


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def mean(self) -> float:
        """Return (low + high) / 2."""
        return (self.low + self.high) / 2

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.uniform(self.low, self.high, n)


class Normal(_Dist):
    """Normal truncated at zero by clipping (times cannot be negative)."""

    dist: Literal["normal"] = "normal"
    mean_: float = Field(ge=0, alias="mean")
    sd: float = Field(ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def mean(self) -> float:
        """Return the mean of the untruncated normal (clipping matters only if sd ~ mean)."""
        return self.mean_

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return np.maximum(gen.normal(self.mean_, self.sd, n), 0.0)


class LogNormal(_Dist):
    """Log-normal given its median and the sigma of the underlying normal (skewed boot times)."""

    dist: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def mean(self) -> float:
        """Return median * exp(sigma^2 / 2)."""
        return float(self.median * np.exp(self.sigma**2 / 2))

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.lognormal(np.log(self.median), self.sigma, n)


class Empirical(_Dist):
    """Resampling (with replacement) from measured values."""

    dist: Literal["empirical"] = "empirical"
    samples: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _non_negative(self) -> Empirical:
        if min(self.samples) < 0:
            raise ValueError("samples must all be >= 0")
        return self

    def mean(self) -> float:
        """Return the sample mean."""
        return float(np.mean(self.samples))

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.choice(np.asarray(self.samples, dtype=float), n)


class Geometric(_Dist):
    """Geometric on 1, 2, 3, … with the given mean (number of requests in a session)."""

    dist: Literal["geometric"] = "geometric"
    mean_: float = Field(ge=1, alias="mean")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def mean(self) -> float:
        """Return the mean."""
        return self.mean_

    def _draw(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.geometric(1.0 / self.mean_, n).astype(float)


def _coerce(value: Any) -> Any:
    # A bare number in YAML means a constant: `cpu_time: 0.05`.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    return value


Dist = Annotated[
    Constant | Exponential | Uniform | Normal | LogNormal | Empirical | Geometric,
    Field(discriminator="dist"),
    BeforeValidator(_coerce),
]
"""Any distribution; a bare number is accepted as a constant."""
