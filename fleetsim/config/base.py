"""The base of every configuration model and the duration types they share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from fleetsim.config.units import Duration

NonNegDuration = Annotated[Duration, Field(ge=0)]
"""A duration in seconds, >= 0."""
PosDuration = Annotated[Duration, Field(gt=0)]
"""A duration in seconds, > 0."""


MAX_TEXT = 1000
"""Longest string accepted in any field unless the field says otherwise (characters)."""
MAX_NAME = 200
"""Longest scenario, variant or component name (characters)."""
MAX_DESCRIPTION = 10_000
"""Longest description (characters)."""
MAX_INSTANCES = 1000
"""Largest group size (min, max, desired) an Auto Scaling group may be given."""
MAX_RATE = 1_000_000.0
"""Largest demand a load shape may ask for, requests per second."""
MAX_SEED = 2**63 - 1
"""Largest seed (seeds are non-negative integers)."""


class Model(BaseModel):
    """Base of every configuration model: unknown keys are errors, values are validated.

    Numbers must be finite (``.inf`` and ``.nan`` are refused everywhere) and strings at most
    :data:`MAX_TEXT` characters, so no field can carry a value the simulator cannot use.
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        allow_inf_nan=False,
        str_max_length=MAX_TEXT,
    )
