"""Type aliases shared by the simulated components."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

Process = Generator[simpy.Event, Any, None]
"""A SimPy process generator, as given to ``env.process``."""
