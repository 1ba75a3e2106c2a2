"""The base of every simulated component: where it runs, where it writes, what it is called.

As in desmod, a component is a node of the world's tree with a dotted **scope** (``alb``,
``alb.tg.blue``, ``asg.blue``, ``asg.green``, ``store.redis``, ``ec2``…) and is built in an
explicit phase before the clock starts: :class:`~fleetsim.sim.world.World` constructs every
component, wires the callbacks between them, then starts them. A component owns its state and
takes its random draws from named streams (see :mod:`fleetsim.sim.rng`), so a component added to
the world never shifts another component's draws.

:class:`Component` holds the four things every component was given by hand before (the engine,
the recorder, the scope and the streams) and writes event rows under its own scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.rng import RandomStreams


class Component:
    """A simulated part of the world.

    Args:
        env: the engine the component runs on.
        rec: the recorder it appends rows to (plain values only).
        scope: its unique dotted name, the ``scope`` column of the events it logs.
        streams: the run's named random streams.
    """

    def __init__(self, env: Engine, rec: Recorder, scope: str, streams: RandomStreams) -> None:
        self.env = env
        self.rec = rec
        self.scope = scope
        self.streams = streams

    def stream(self, name: str) -> np.random.Generator:
        """Return the run's random stream called ``name`` (each name is taken once per run)."""
        return self.streams.stream(name)

    def log(
        self, kind: str, az: str | None = None, instance: str | None = None, detail: str = ""
    ) -> None:
        """Append an event row at the current time under this component's scope."""
        self.rec.event(self.env.now, kind, self.scope, az, instance, detail)
