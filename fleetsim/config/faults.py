"""Faults and operations on the timeline."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from fleetsim.config.base import Model, NonNegDuration, PosDuration


class AzOutage(Model):
    """An Availability Zone fails at ``at`` for ``duration`` seconds."""

    kind: Literal["az_outage"] = "az_outage"
    az: str
    at: NonNegDuration
    duration: PosDuration


Fault = Annotated[AzOutage, Field(discriminator="kind")]
