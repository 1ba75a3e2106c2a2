"""Load shapes: demand in requests per second as a function of simulated time."""

from __future__ import annotations

import bisect
from typing import Protocol

from fleetsim.config.models import ConstantShape, SpikeShape, StepShape


class LoadShape(Protocol):
    """A demand curve: ``rate(t)`` in requests/s and an upper bound for thinning."""

    def rate(self, t: float) -> float:
        """Return the demand at time ``t`` (requests per second)."""
        ...

    def max_rate(self) -> float:
        """Return an upper bound of :meth:`rate` over all times."""
        ...


class Constant:
    """Constant demand."""

    def __init__(self, cfg: ConstantShape) -> None:
        self._rate = cfg.rate

    def rate(self, t: float) -> float:
        """Return the constant rate."""
        return self._rate

    def max_rate(self) -> float:
        """Return the constant rate."""
        return self._rate


class Spike:
    """Base demand with a trapezoidal spike (linear rise, hold, linear decay)."""

    def __init__(self, cfg: SpikeShape) -> None:
        self.cfg = cfg
        self._t1 = cfg.at + cfg.rise
        self._t2 = self._t1 + cfg.hold
        self._t3 = self._t2 + cfg.decay

    def rate(self, t: float) -> float:
        """Return the demand at ``t``."""
        c = self.cfg
        if t < c.at or t >= self._t3:
            return c.base
        if t < self._t1:
            return c.base + (c.peak - c.base) * (t - c.at) / c.rise
        if t < self._t2:
            return c.peak
        return c.peak + (c.base - c.peak) * (t - self._t2) / c.decay

    def max_rate(self) -> float:
        """Return max(base, peak)."""
        return max(self.cfg.base, self.cfg.peak)


class Step:
    """Piecewise-constant demand."""

    def __init__(self, cfg: StepShape) -> None:
        self._times = [t for t, _ in cfg.steps]
        self._rates = [cfg.initial] + [r for _, r in cfg.steps]

    def rate(self, t: float) -> float:
        """Return the rate of the step in force at ``t``."""
        return self._rates[bisect.bisect_right(self._times, t)]

    def max_rate(self) -> float:
        """Return the largest step."""
        return max(self._rates)


def build_shape(cfg: ConstantShape | SpikeShape | StepShape) -> LoadShape:
    """Build the load shape described by a shape config."""
    if isinstance(cfg, ConstantShape):
        return Constant(cfg)
    if isinstance(cfg, SpikeShape):
        return Spike(cfg)
    return Step(cfg)
