"""The request mix: which kind each request is, its CPU time and its payload transfer.

With ``traffic.mix`` every user's first action is a ``login``; each later planned action is a
``page``, a ``write`` or an ``upload``, drawn by weight from a stream of its own (``traffic.mix``)
when the user arrives (it is part of the user's plan), so two variants of a scenario ask for the
same kinds (common random numbers). A login after a lost session is a ``login``; an action redone
because a lost session held its work is a ``write`` (it puts that work back). A kind
with its own ``cpu_time`` draws it from its own stream (``traffic.mix.<kind>.cpu``); otherwise
the instance draws the application's ``app.cpu_time`` as without a mix. The payload streams
between the worker and the client at the client's bandwidth: it holds the worker without using
CPU, like a store round trip, so it is added to the request's ``extra`` time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fleetsim.config.sampler import Uniforms

if TYPE_CHECKING:
    import numpy as np

    from fleetsim.config.traffic import RequestMix
    from fleetsim.sim.entities import Request

KINDS = ("page", "write", "upload")
#: Kinds that change the session (written to an external session store).
WRITING = frozenset({"login", "write", "upload"})


class RequestMixer:
    """Draws request kinds and prepares each request's CPU time and transfer time.

    Args:
        cfg: the scenario's ``traffic.mix``.
        stream: factory of named random streams (``RandomStreams.stream``).
    """

    def __init__(self, cfg: RequestMix, stream: Callable[[str], np.random.Generator]) -> None:
        weights = [getattr(cfg, k).weight for k in KINDS]
        total = sum(weights)
        acc = 0.0
        self._cum: list[float] = []
        for w in weights:
            acc += w / total
            self._cum.append(acc)
        self._cum[-1] = 1.0  # no rounding gap above the last kind
        self._draws = Uniforms(stream("traffic.mix"))
        seconds_per_kb = 8.0 / 1000.0 / cfg.client_bandwidth_mbps  # kilobits → megabits / Mbps
        self._transfer: dict[str, float] = {}
        self._cpu: dict[str, Callable[[], float] | None] = {}
        for name in ("login", *KINDS):
            kind = getattr(cfg, name)
            self._transfer[name] = kind.payload_kb * seconds_per_kb
            dist = kind.cpu_time
            self._cpu[name] = (
                None if dist is None else dist.sampler(stream(f"traffic.mix.{name}.cpu"))
            )

    def next_kind(self) -> str:
        """Draw the kind of a planned action after the login (at the user's arrival)."""
        u = self._draws()
        for kind, edge in zip(KINDS, self._cum, strict=True):
            if u < edge:
                return kind
        return KINDS[-1]

    def prepare(self, req: Request, kind: str) -> None:
        """Give ``req`` its kind, its own CPU time if the kind has one, and its transfer time."""
        req.kind = kind
        sampler = self._cpu[kind]
        if sampler is not None:
            req.cpu = sampler()
        req.extra += self._transfer[kind]

    def transfer_time(self, kind: str) -> float:
        """Seconds the payload of one ``kind`` request holds its worker."""
        return self._transfer[kind]
