"""Clients reaching the ALB's nodes: a DNS answer cached per client, one keep-alive connection.

AWS hands out the ALB's nodes as A records with a 60 s TTL and withdraws an impaired AZ's node
from them (fact sheet §1.5, §8, §9.9). How long a user keeps reaching a dead node then depends
on the user's client, so each user carries a :class:`Client`, drawn when the user arrives:

* **DNS cache.** The client resolves at its first connection and keeps the answer for the TTL,
  or, for a share of clients (old JVMs, resolvers that keep answers), for ``long_cache``
  seconds; it resolves again at the first connection after that. Route 53 answers in a varying
  order: each resolution starts the client's list at a different address (a per-client offset
  drawn at arrival, turned by the golden ratio at each resolution).
* **Keep-alive.** The client keeps one connection to the node it connected to and sends every
  request on it until the ALB closes it: idle for ``idle_timeout`` (counted from the last request
  sent) or older than ``client_keep_alive`` (§9.9). A pinned client ignores DNS meanwhile. When
  the node dies under the connection, the next request sent on it fails.
* **Connecting.** The client connects to the first address of its answer. A dead node answers
  nothing, so the attempt fails after ``connect_timeout``; a share of clients (browsers, §9.9)
  then tries the next address, the rest fail the request (``000 alb_node_down``).

Every client takes the same three draws from the ``alb.clients`` stream at arrival, whatever the
shares, so variants of a scenario share them (common random numbers) and raising a share only
turns more of the same clients into that kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from fleetsim.config.sampler import Uniforms

if TYPE_CHECKING:
    import numpy as np

    from fleetsim.config.clients import ClientsConfig

DNS_TTL_S: Final = 60.0  # the ALB's A records carry a 60 s TTL (§1.5, §8, §9.9)
_GOLDEN: Final = 0.6180339887498949  # spreads successive answer orders evenly


class Client:
    """One user's client: its cached DNS answer and its keep-alive connection to one node.

    Args:
        cache_s: how long it keeps a DNS answer, seconds.
        next_address: True if it tries the next address after a failed connect.
        turn: where in the answer its first resolution starts, in [0, 1).

    Attributes:
        answer: the cached list of node AZs (empty before the first resolution).
        expires: when the cached answer runs out.
        node: the AZ of the node its keep-alive connection is open to, or None.
        opened: when that connection was opened.
        used: when the last request was sent on it.
    """

    __slots__ = (
        "answer",
        "cache_s",
        "expires",
        "first",
        "next_address",
        "node",
        "opened",
        "resolves",
        "turn",
        "used",
    )

    def __init__(self, cache_s: float, next_address: bool, turn: float) -> None:
        self.cache_s = cache_s
        self.next_address = next_address
        self.turn = turn
        self.answer: tuple[str, ...] = ()
        self.first = 0
        self.resolves = 0
        self.expires = -1.0
        self.node: str | None = None
        self.opened = 0.0
        self.used = 0.0

    def resolve(self, now: float, answer: tuple[str, ...]) -> None:
        """Take a fresh DNS ``answer`` if the cached one has run out."""
        if now < self.expires:
            return
        offset = self.turn + self.resolves * _GOLDEN
        self.first = int((offset - int(offset)) * len(answer))
        self.answer = answer
        self.resolves += 1
        self.expires = now + self.cache_s


class Attempt:
    """One request's way through its client's answer: the answer as it was, the next address.

    Args:
        answer: the client's cached answer when the request started connecting.
        first: where in it the client starts.

    Attributes:
        tried: addresses tried so far (each a failed connect).
    """

    __slots__ = ("answer", "first", "tried")

    def __init__(self, answer: tuple[str, ...], first: int) -> None:
        self.answer = answer
        self.first = first
        self.tried = 0

    def address(self) -> str:
        """The address to try now."""
        answer = self.answer
        return answer[(self.first + self.tried) % len(answer)]


class ClientModel:
    """Draws each user's client and keeps its connection's life by the ALB's timeouts.

    Args:
        cfg: the clients' settings.
        rng: the ``alb.clients`` stream.
        idle_timeout: the ALB's connection idle timeout, seconds.
        keep_alive: the ALB's client keep-alive (longest connection life), seconds.
    """

    def __init__(
        self, cfg: ClientsConfig, rng: np.random.Generator, idle_timeout: float, keep_alive: float
    ) -> None:
        self._uniform = Uniforms(rng)
        self._long_share = cfg.long_cache_share
        self._long_s = cfg.long_cache
        self._next_share = cfg.next_address_share
        self._reuse = cfg.keep_alive
        self._idle = idle_timeout
        self._life = keep_alive
        #: Seconds a connect to a dead node takes to fail.
        self.connect_timeout = cfg.connect_timeout

    def new_client(self) -> Client:
        """Draw a new user's client (three draws, whatever the shares)."""
        cache = self._uniform() < self._long_share
        next_address = self._uniform() < self._next_share
        turn = self._uniform()
        return Client(self._long_s if cache else DNS_TTL_S, next_address, turn)

    def pinned(self, client: Client, now: float) -> str | None:
        """The node of the client's live keep-alive connection (marked used now), or None."""
        node = client.node
        if node is None:
            return None
        if now - client.used > self._idle or now - client.opened >= self._life:
            client.node = None  # the ALB closed it
            return None
        client.used = now
        return node

    def connected(self, client: Client, az: str, now: float) -> None:
        """The client opened a connection to the node in ``az``."""
        if self._reuse:
            client.node = az
            client.opened = now
            client.used = now
