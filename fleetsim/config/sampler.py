"""Samplers: one value per call, drawn in blocks from a named numpy generator.

A numpy call per draw would dominate the per-request cost, so a sampler asks its generator for
``4096`` values at a time and hands them out one by one; the sequence depends only on the
generator. They are small classes rather than closures so that the compiled build calls them
directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BLOCK = 4096


class Sampler:
    """Draws values ``BLOCK`` at a time from ``block(n)`` and returns one per call.

    Args:
        block: returns ``n`` values (a numpy array) from the sampler's generator.
    """

    def __init__(self, block: Callable[[int], Any]) -> None:
        self._block = block
        self._buf: list[float] = []

    def __call__(self) -> float:
        """Return the next value."""
        buf = self._buf
        if not buf:
            values: list[float] = self._block(BLOCK).tolist()
            values.reverse()  # popped from the end: handed out in the generator's order
            buf.extend(values)
        return buf.pop()


class ConstantSampler(Sampler):
    """Always returns ``value``; draws nothing.

    Args:
        value: the constant.
    """

    def __init__(self, value: float) -> None:
        super().__init__(lambda n: None)
        self.value = value

    def __call__(self) -> float:
        """Return the constant."""
        return self.value
