"""Where state lives: sessions (and, later, uploads)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fleetsim.config.base import Model


class StateConfig(Model):
    """Where sessions live: on the instance (stateful) or in an external store (stateless)."""

    sessions: Literal["instance_memory", "ideal"] = Field(
        "instance_memory",
        description=(
            "instance_memory: on the instance that created it; ideal: a perfect external "
            "store (no latency, never fails)"
        ),
    )
