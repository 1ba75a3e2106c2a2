"""The base of every configuration model and the duration types they share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from fleetsim.config.units import Duration

NonNegDuration = Annotated[Duration, Field(ge=0)]
"""A duration in seconds, >= 0."""
PosDuration = Annotated[Duration, Field(gt=0)]
"""A duration in seconds, > 0."""


class Model(BaseModel):
    """Base of every configuration model: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)
