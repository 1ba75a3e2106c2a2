"""How clients reach the ALB's nodes: DNS caching, connection reuse, trying the next address.

The ALB's DNS answer lists one address per enabled AZ's node, with a 60 s TTL that AWS fixes
(fact sheet §1.5, §8, §9.9); what users do with it is a property of their clients, not of the
load balancer, and decides how long they keep reaching a node AWS has withdrawn. These settings
describe the mix of clients (``alb.clients``); the model is :mod:`fleetsim.sim.clients`.
"""

from __future__ import annotations

from pydantic import Field

from fleetsim.config.base import Model
from fleetsim.config.units import Duration


class ClientsConfig(Model):
    """The users' clients: DNS caching, keep-alive and connect behaviour (docs/alb.md)."""

    long_cache_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "share (0-1) of clients that keep the ALB's DNS answer longer than its 60 s TTL "
            "(old JVMs with a security manager cache forever, §9.9); the rest keep it 60 s"
        ),
    )
    long_cache: Duration = Field(
        86400.0,
        gt=0,
        description=(
            "how long those clients keep the answer, seconds; default a day: longer than any "
            "session, i.e. 'forever' for the session (§9.9)"
        ),
    )
    next_address_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description=(
            "share (0-1) of clients that, when connecting to one address of their answer "
            "fails, try the next one (browsers, §9.9); the rest fail the request"
        ),
    )
    connect_timeout: Duration = Field(
        21.0,
        gt=0,
        le=600,
        description=(
            "seconds a client waits before a connect to a dead (black-holed) ALB node fails: "
            "the OS's SYN timeout, 21 s on Windows (20-190 s across systems, docs/alb.md)"
        ),
    )
    keep_alive: bool = Field(
        True,
        description=(
            "clients reuse one keep-alive connection to one node while it lives (ALB "
            "idle_timeout and client_keep_alive close it); false: a new connection per request"
        ),
    )
