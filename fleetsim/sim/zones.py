"""Availability Zones: whether each AZ is up, and who must hear when that changes."""

from __future__ import annotations

from collections.abc import Callable


class Zone:
    """One Availability Zone.

    Attributes:
        name: e.g. ``us-east-1b``.
        up: False during an outage (nothing in it answers, nothing can launch in it).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.up = True
        self.listeners: list[Callable[[Zone], None]] = []

    def set_up(self, up: bool) -> None:
        """Change the AZ's state and tell every listener."""
        if self.up == up:
            return
        self.up = up
        for listener in self.listeners:
            listener(self)
