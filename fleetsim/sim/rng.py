"""Named random streams.

One ``numpy.random.SeedSequence`` per run; each component asks for a stream by a dotted name
(``"traffic.arrivals"``) and gets a generator derived from the seed and that name only. Two
variants of a scenario therefore draw the same arrivals, session lengths and think times — common
random numbers — and adding a component never shifts another component's draws.
"""

from __future__ import annotations

import hashlib

import numpy as np


class RandomStreams:
    """Factory of independent, reproducible generators keyed by name.

    Args:
        seed: the run's seed.

    Raises:
        ValueError: from :meth:`stream` if a name is asked for twice (two components would
            otherwise silently share draws).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._taken: set[str] = set()

    def stream(self, name: str) -> np.random.Generator:
        """Return the generator for ``name``; each name may be taken once per run."""
        if name in self._taken:
            raise ValueError(f"random stream {name!r} was already taken by another component")
        self._taken.add(name)
        digest = hashlib.sha256(name.encode()).digest()
        key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key))
        )
