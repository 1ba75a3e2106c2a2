"""Availability Zones: whether each AZ is up or in a gray failure, and who must hear of a change.

An outage (``az_outage``) sets the zone down: every listener hears it, in the order they were
registered (the world's build phase states that order). A gray failure (``az_degraded``) is a
:class:`Degradation` the zone carries while it lasts; the application and the health checks look
it up per request and per check rather than being told.
"""

from __future__ import annotations

from collections.abc import Callable


class Degradation:
    """A gray failure of one AZ: added latency and a share of requests that get no answer.

    Args:
        added_latency: seconds added to each request served in the AZ.
        loss_fraction: share of requests (and health checks) lost.
        uniform: uniform draws in [0, 1).
    """

    __slots__ = ("added_latency", "loss_fraction", "uniform")

    def __init__(
        self, added_latency: float, loss_fraction: float, uniform: Callable[[], float]
    ) -> None:
        self.added_latency = added_latency
        self.loss_fraction = loss_fraction
        self.uniform = uniform

    def lost(self) -> bool:
        """True if this request (or health check) gets no answer."""
        return self.loss_fraction > 0.0 and self.uniform() < self.loss_fraction


class Zone:
    """One Availability Zone.

    Attributes:
        name: e.g. ``us-east-1b``.
        up: False during an outage (nothing in it answers, nothing can launch in it).
        degradation: the gray failure under way in the AZ, if any.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.up = True
        self.degradation: Degradation | None = None
        self.listeners: list[Callable[[Zone], None]] = []

    def set_up(self, up: bool) -> None:
        """Change the AZ's state and tell every listener."""
        if self.up == up:
            return
        self.up = up
        for listener in self.listeners:
            listener(self)
