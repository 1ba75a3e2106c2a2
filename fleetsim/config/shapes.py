"""Load shapes: the demand curve, in requests per second, that traffic follows.

Shapes are ``constant``, ``step``, ``ramp``, ``spike`` (rise, hold, decay), ``diurnal`` (a
sinusoid with a peak hour), ``trace`` (a rate read from a file, scaled and time-compressed) and the
composites ``sum`` and ``product`` of other shapes. Every shape is a model with a ``kind`` tag.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator, model_validator

from fleetsim.config.base import MAX_RATE, Model, NonNegDuration, PosDuration


class ConstantShape(Model):
    """A constant demand of ``rate`` requests per second."""

    kind: Literal["constant"] = "constant"
    rate: float = Field(ge=0, le=MAX_RATE, description="demand in requests per second")


class SpikeShape(Model):
    """A base demand with one spike: linear rise to ``peak``, hold, linear decay to ``base``."""

    kind: Literal["spike"] = "spike"
    base: float = Field(
        ge=0, le=MAX_RATE, description="demand outside the spike, requests per second"
    )
    peak: float = Field(
        ge=0, le=MAX_RATE, description="demand at the top of the spike, requests per second"
    )
    at: NonNegDuration = Field(description="when the rise starts")
    rise: NonNegDuration = 60.0
    hold: NonNegDuration = 300.0
    decay: NonNegDuration = 300.0


class StepShape(Model):
    """Piecewise-constant demand: ``initial`` until the first step, then each step's rate."""

    kind: Literal["step"] = "step"
    initial: float = Field(ge=0, le=MAX_RATE)
    steps: list[tuple[NonNegDuration, Annotated[float, Field(ge=0, le=MAX_RATE)]]] = Field(
        default_factory=list, description="[time, rate] pairs in increasing time order"
    )

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
        times = [t for t, _ in steps]
        if times != sorted(times):
            raise ValueError(f"step times must increase, got {times}")
        return steps


class RampShape(Model):
    """Linear change from ``start_rate`` to ``end_rate`` over [``at``, ``at + duration``]."""

    kind: Literal["ramp"] = "ramp"
    start_rate: float = Field(ge=0, le=MAX_RATE)
    end_rate: float = Field(ge=0, le=MAX_RATE)
    at: NonNegDuration = 0.0
    duration: PosDuration


class DiurnalShape(Model):
    """A daily sinusoid: ``mean * (1 + amplitude * cos(2π (hour - peak_hour) / 24))``.

    ``start_hour`` is the clock hour at simulated time 0, so a run can start at night.
    """

    kind: Literal["diurnal"] = "diurnal"
    mean: float = Field(ge=0, le=MAX_RATE, description="daily mean demand, requests per second")
    amplitude: float = Field(0.5, ge=0, le=1, description="relative swing around the mean")
    peak_hour: float = Field(14.0, ge=0, lt=24)
    start_hour: float = Field(0.0, ge=0, lt=24)
    period: PosDuration = 86400.0


class TraceShape(Model):
    """Demand read from a rate trace file, each bin's count spread as Poisson within the bin.

    ``file`` is a path (relative paths are relative to the scenario file) or the name of a
    packaged trace (``nasa-1995-07-13``). The rate is multiplied by ``scale``; ``speedup``
    compresses time (2 plays an hour of trace in 30 simulated minutes, doubling the rate), and
    ``offset`` skips the start of the trace (trace time at simulated time 0); ``start`` and
    ``end`` choose the window by timestamps instead. The reader options (``time_column``,
    ``count_column``, ``tz``, ``bin_seconds``) are those of :func:`fleetsim.traces.load_trace`.
    """

    kind: Literal["trace"] = "trace"
    file: str
    format: Literal["auto", "rate_csv", "cloudwatch", "requests_csv", "clf", "alb"] = "auto"
    scale: float = Field(1.0, gt=0, le=MAX_RATE)
    speedup: float = Field(1.0, gt=0, le=MAX_RATE)
    offset: NonNegDuration = 0.0
    bin: PosDuration | None = Field(
        None, description="seconds per bin when binning a request-level file (default 1)"
    )
    on_error: Literal["raise", "skip"] = "raise"
    time_column: str | int | None = Field(
        None, description="table files: the time column, by header name or 0-based index"
    )
    count_column: str | int | None = Field(
        None,
        description="rate tables: the count column, by header name or 0-based index (naming "
        "it also tells format detection that the file is a rate table)",
    )
    tz: str | None = Field(
        None, description="time zone of timestamps without an offset (IANA name; default UTC)"
    )
    bin_seconds: PosDuration | None = Field(
        None, description="rate tables: sum rows into bins of this width (reader option)"
    )
    start: str | None = Field(
        None,
        description="ISO 8601 timestamp played at simulated time 0 (instead of offset); naive "
        "times are in tz",
    )
    end: str | None = Field(
        None, description="ISO 8601 timestamp at which the replay stops (no demand after it)"
    )
    exact: bool = Field(
        False,
        description=(
            "request-level files only: replay every line as one single-request visit at its "
            "own time instead of drawing Poisson arrivals from the binned rate"
        ),
    )

    @model_validator(mode="after")
    def _exact_needs_scale_one(self) -> TraceShape:
        if self.exact and self.scale != 1:
            raise ValueError("exact replay sends each logged request once: scale must be 1")
        if self.start is not None and "offset" in self.model_fields_set:
            raise ValueError(
                "traffic.shape: start and offset both say where the replay begins; keep one"
            )
        return self

    @field_validator("start", "end")
    @classmethod
    def _timestamp(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checked here as text; the trace reader places it against the file's own times.
        if value is not None:
            try:
                datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an ISO 8601 timestamp (e.g. 1995-07-13T09:41:55-04:00)"
                ) from None
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> TraceShape:
        if self.start is not None and self.end is not None:
            zone = _zone(self.tz)
            if _moment(self.end, zone) <= _moment(self.start, zone):
                raise ValueError(
                    f"traffic.shape: end ({self.end}) is not after start ({self.start})"
                )
        return self

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            _zone(value)
        return value

    @field_validator("file")
    @classmethod
    def _resolve(cls, value: str, info: ValidationInfo) -> str:
        from fleetsim.data import find_packaged_trace

        packaged = find_packaged_trace(value)
        if packaged is not None:
            return str(packaged)
        path = Path(value).expanduser()
        base = (info.context or {}).get("base_dir")
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not path.is_file():
            raise ValueError(f"trace file {value!r} not found (looked at {path})")
        return str(path)


def _zone(name: str | None) -> tzinfo:
    """Return the zone a trace's naive timestamps are in (``None``, ``UTC``, an IANA name)."""
    if name is None or name.strip().upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'America/New_York' or 'UTC'"
        ) from None


def _moment(text: str, zone: tzinfo) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


class SumShape(Model):
    """The sum of several shapes (e.g. a diurnal base plus a spike)."""

    kind: Literal["sum"] = "sum"
    of: list[Shape] = Field(min_length=1)


class ProductShape(Model):
    """The product of several shapes (e.g. a trace modulated by a 0–1 multiplier)."""

    kind: Literal["product"] = "product"
    of: list[Shape] = Field(min_length=1)


Shape = Annotated[
    ConstantShape
    | SpikeShape
    | StepShape
    | RampShape
    | DiurnalShape
    | TraceShape
    | SumShape
    | ProductShape,
    Field(discriminator="kind"),
]
"""Any load shape."""

SumShape.model_rebuild()
ProductShape.model_rebuild()


__all__ = [
    "ConstantShape",
    "DiurnalShape",
    "ProductShape",
    "RampShape",
    "Shape",
    "SpikeShape",
    "StepShape",
    "SumShape",
    "TraceShape",
]
