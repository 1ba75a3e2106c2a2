"""Load shapes: demand in requests per second as a function of simulated time."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from fleetsim.config.shapes import (
    ConstantShape,
    DiurnalShape,
    ProductShape,
    RampShape,
    SpikeShape,
    StepShape,
    SumShape,
    TraceShape,
)


class LoadShape(Protocol):
    """A demand curve: ``rate(t)`` in requests/s and an upper bound for thinning."""

    def rate(self, t: float) -> float:
        """Return the demand at time ``t`` (requests per second)."""
        ...

    def max_rate(self) -> float:
        """Return an upper bound of :meth:`rate` over all times."""
        ...

    def warm_rate(self, span: float) -> float:
        """Return the demand whose users are already in progress at time 0 (warm start).

        Args:
            span: mean time a user stays, seconds (requests per visit x think time).
        """
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

    def warm_rate(self, span: float) -> float:
        """Return the demand at time 0: a steady state at it has users in progress."""
        return self.rate(0.0)


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

    def warm_rate(self, span: float) -> float:
        """Return the demand at time 0: a steady state at it has users in progress."""
        return self.rate(0.0)


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

    def warm_rate(self, span: float) -> float:
        """Return the demand at time 0: a steady state at it has users in progress."""
        return self.rate(0.0)


class Ramp:
    """Linear change between two rates."""

    def __init__(self, cfg: RampShape) -> None:
        self.cfg = cfg

    def rate(self, t: float) -> float:
        """Return the demand at ``t``."""
        c = self.cfg
        if t <= c.at:
            return c.start_rate
        if t >= c.at + c.duration:
            return c.end_rate
        return c.start_rate + (c.end_rate - c.start_rate) * (t - c.at) / c.duration

    def max_rate(self) -> float:
        """Return the larger end."""
        return max(self.cfg.start_rate, self.cfg.end_rate)

    def warm_rate(self, span: float) -> float:
        """Return the demand at time 0: a steady state at it has users in progress."""
        return self.rate(0.0)


class Diurnal:
    """A daily sinusoid around a mean."""

    def __init__(self, cfg: DiurnalShape) -> None:
        self.cfg = cfg
        self._omega = 2 * math.pi / cfg.period
        self._phase = (cfg.start_hour - cfg.peak_hour) * 3600.0

    def rate(self, t: float) -> float:
        """Return the demand at ``t``."""
        c = self.cfg
        return c.mean * (1 + c.amplitude * math.cos(self._omega * (t + self._phase)))

    def max_rate(self) -> float:
        """Return mean * (1 + amplitude)."""
        return self.cfg.mean * (1 + self.cfg.amplitude)

    def warm_rate(self, span: float) -> float:
        """Return the demand at time 0: a steady state at it has users in progress."""
        return self.rate(0.0)


def _reader_options(cfg: TraceShape) -> dict[str, Any]:
    """The reader options a trace shape sets (those left out keep the reader's default)."""
    options = {
        "time_column": cfg.time_column,
        "count_column": cfg.count_column,
        "tz": cfg.tz,
        "bin_seconds": cfg.bin_seconds,
    }
    return {k: v for k, v in options.items() if v is not None}


def _window(cfg: TraceShape, origin: datetime) -> tuple[float, float]:
    """Return (trace time at simulated time 0, trace time at which the replay stops)."""
    from fleetsim.traces.window import window_seconds

    lo, hi = window_seconds(origin, cfg.start, cfg.end, cfg.tz, cfg.file)
    return (lo if cfg.start is not None else cfg.offset), hi


def _history_rate(
    starts: np.ndarray, counts: np.ndarray, bin_s: float, offset: float, speedup: float, tau: float
) -> float:
    """Return the trace's rate before ``offset``, weighted by how many of its users remain.

    A user who arrived ``a`` simulated seconds before time 0 is still in progress with
    probability ``exp(-a / tau)`` (geometric visits of exponential think times); the rate of
    the bin at trace time ``offset - a * speedup`` is weighted by ``exp(-a / tau) / tau``.
    """
    ends = np.minimum(starts + bin_s, offset)
    before = starts < offset
    a_lo = (offset - ends[before]) / speedup
    a_hi = (offset - starts[before]) / speedup
    weight = np.exp(-a_lo / tau) - np.exp(-a_hi / tau)
    return float(np.sum(counts[before] / bin_s * weight))


class Trace:
    """A rate read from a trace file: piecewise constant per bin, scaled and sped up.

    A request-level file is binned (``bin``, default 1 s) sparsely when its span is long and its
    requests few (:func:`fleetsim.traces.sparse.binned_rate`): memory follows the bins needed.
    """

    def __init__(self, cfg: TraceShape) -> None:
        from fleetsim.traces import RateTrace, load_trace
        from fleetsim.traces.sparse import binned_rate

        loaded = load_trace(
            cfg.file, format=cfg.format, on_error=cfg.on_error, **_reader_options(cfg)
        )
        trace = loaded if isinstance(loaded, RateTrace) else binned_rate(loaded, cfg.bin or 1.0)
        self.trace = trace
        self.cfg = cfg
        self._factor = cfg.scale * cfg.speedup
        self._offset, self._stop = _window(cfg, trace.start)
        if isinstance(trace, RateTrace):
            self._peak = float(trace.counts.max()) / trace.bin_seconds
        else:
            self._peak = trace.peak()[0]

    def rate(self, t: float) -> float:
        """Return the scaled rate of the trace bin that simulated time ``t`` falls in."""
        at = self._offset + t * self.cfg.speedup
        if at >= self._stop:
            return 0.0
        return self._factor * self.trace.rate_at(at)

    def max_rate(self) -> float:
        """Return the scaled rate of the busiest bin."""
        return self._factor * self._peak

    def warm_rate(self, span: float) -> float:
        """Return the demand of the users in progress at time 0, from the trace's own history.

        The trace before the replay's start says how many users are in progress at time 0:
        none when the replay starts at the trace's beginning (a warm start must not invent
        demand the trace does not have), and about the recent rate in a steady stretch
        (rather than the rate of the single bin at time 0, which for a per-second trace is
        mostly noise).

        Args:
            span: mean time a user stays, seconds (requests per visit x think time).
        """
        from fleetsim.traces import RateTrace

        trace = self.trace
        if isinstance(trace, RateTrace):
            starts = np.arange(trace.counts.size, dtype=np.float64) * trace.bin_seconds
        else:
            starts = (trace.bins - trace.first).astype(np.float64) * trace.bin_seconds
        history = _history_rate(
            starts, trace.counts, trace.bin_seconds, self._offset, self.cfg.speedup, max(span, 1e-9)
        )
        return self._factor * history


def replay_times(cfg: TraceShape) -> Iterator[float]:
    """Yield the simulated arrival times of a request-level trace replayed exactly, in order.

    Trace time ``offset + t * speedup`` (or the ``start`` timestamp) plays at simulated time
    ``t``; requests before it, and at or after ``end``, are skipped. Out-of-order log lines (up
    to a minute late) are put back in order.

    Raises:
        TraceError: if the file is a rate trace (it has no individual requests to replay).
    """
    from fleetsim.traces import RequestTrace, TraceError, load_trace

    trace = load_trace(cfg.file, format=cfg.format, on_error=cfg.on_error, **_reader_options(cfg))
    if not isinstance(trace, RequestTrace):
        raise TraceError(
            path=cfg.file,
            line=None,
            field="traffic.shape.exact",
            value="true",
            problem="is a rate trace, not a request-level log",
            allowed="set exact: false to draw Poisson arrivals from its rates",
        )
    offset, stop = _window(cfg, trace.start)
    speedup = cfg.speedup
    # Loaded here, eagerly, so a bad file fails when the world is built, not inside the run.
    return (
        (t - offset) / speedup
        for t in itertools.takewhile(lambda t: t < stop, trace.iter_sorted(max_lag=60.0))
        if t >= offset
    )


class Sum:
    """The sum of several shapes."""

    def __init__(self, parts: list[LoadShape]) -> None:
        self.parts = parts

    def rate(self, t: float) -> float:
        """Return the sum of the parts' rates."""
        return sum(p.rate(t) for p in self.parts)

    def max_rate(self) -> float:
        """Return the sum of the parts' bounds (a valid, possibly loose, bound)."""
        return sum(p.max_rate() for p in self.parts)

    def warm_rate(self, span: float) -> float:
        """Return the sum of the parts' warm-start demands."""
        return sum(p.warm_rate(span) for p in self.parts)


class Product:
    """The product of several shapes."""

    def __init__(self, parts: list[LoadShape]) -> None:
        self.parts = parts

    def rate(self, t: float) -> float:
        """Return the product of the parts' rates."""
        return math.prod(p.rate(t) for p in self.parts)

    def max_rate(self) -> float:
        """Return the product of the parts' bounds."""
        return math.prod(p.max_rate() for p in self.parts)

    def warm_rate(self, span: float) -> float:
        """Return the product of the parts' warm-start demands."""
        return math.prod(p.warm_rate(span) for p in self.parts)


AnyShape = (
    ConstantShape
    | SpikeShape
    | StepShape
    | RampShape
    | DiurnalShape
    | TraceShape
    | SumShape
    | ProductShape
)


def build_shape(cfg: AnyShape) -> LoadShape:
    """Build the load shape described by a shape config."""
    if isinstance(cfg, ConstantShape):
        return Constant(cfg)
    if isinstance(cfg, SpikeShape):
        return Spike(cfg)
    if isinstance(cfg, StepShape):
        return Step(cfg)
    if isinstance(cfg, RampShape):
        return Ramp(cfg)
    if isinstance(cfg, DiurnalShape):
        return Diurnal(cfg)
    if isinstance(cfg, TraceShape):
        return Trace(cfg)
    parts = [build_shape(part) for part in cfg.of]
    return Sum(parts) if isinstance(cfg, SumShape) else Product(parts)
