"""Samplers: one value per call, drawn in blocks from a named numpy generator.

A numpy call per draw would dominate the per-request cost, so a sampler asks its generator for
``4096`` values at a time and hands them out one by one. This is the one place where draws are
buffered: distributions' samplers, uniform draws (:class:`Uniforms`: routing, writes, uploads,
the request mix, retry jitter) and the arrival process's candidate gaps all use
:class:`Sampler`. The sequence depends only on the generator and on the hand-out order, which a
sampler fixes when it is made: in the generator's order (distributions) or last-drawn first
(uniform draws and arrival gaps, as they were first written; kept so that results for a seed
do not move). They are small classes rather than closures so that the compiled build calls
them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

BLOCK = 4096


class Sampler:
    """Draws values ``BLOCK`` at a time from ``block(n)`` and returns one per call.

    Args:
        block: returns ``n`` values (a numpy array) from the sampler's generator.
        in_order: hand values out in the generator's order; if False, each block is handed
            out last-drawn first.
    """

    def __init__(self, block: Callable[[int], Any], *, in_order: bool = True) -> None:
        self._block = block
        self._in_order = in_order
        self._buf: list[float] = []

    def __call__(self) -> float:
        """Return the next value."""
        buf = self._buf
        if not buf:
            values: list[float] = self._block(BLOCK).tolist()
            if self._in_order:
                values.reverse()  # popped from the end
            buf.extend(values)
        return buf.pop()


class Uniforms(Sampler):
    """Uniform draws in [0, 1), a block at a time, handed out last-drawn first.

    Args:
        rng: the generator to draw from.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng.random, in_order=False)


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
