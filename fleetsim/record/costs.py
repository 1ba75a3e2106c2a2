"""Cost items: one typed charge of a run, from which every view of the bill is built.

The simulator prices what a run used (:mod:`fleetsim.sim.billing` for instances, each session
store for its nodes or requests) as :class:`CostItem` values; the
:class:`~fleetsim.record.result.Result` keeps them and builds ``cost_usd`` (USD by item key)
and the ``costs`` frame from their fields. A key is built from an item, never split back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SPOT = "spot"
CPU_CREDITS = "cpu_credits"


@dataclass(frozen=True)
class CostItem:
    """One charge of a run.

    Attributes:
        service: the AWS service (``ec2``, ``elasticache``, ``dynamodb``).
        item: what is charged: an instance or node type, ``provisioned``, ``requests``.
        usd: the charge in USD.
        charge: how it is charged when that is not the item's plain price: ``spot``,
            ``cpu_credits`` (empty for on-demand and store charges).
    """

    service: str
    item: str
    usd: float
    charge: str = ""

    @property
    def key(self) -> str:
        """The item's key in ``Result.cost_usd``."""
        return f"{self.service}:{self.item}" + (f":{self.charge}" if self.charge else "")

    @property
    def instance_key(self) -> str:
        """For ``ec2`` items: the key of their billed seconds in ``Result.instance_seconds``."""
        return f"{self.item}:{self.charge}" if self.charge else self.item


def cost_usd(items: Iterable[CostItem]) -> dict[str, float]:
    """``Result.cost_usd``: USD by item key, in the items' order."""
    cost: dict[str, float] = {}
    for item in items:
        cost[item.key] = item.usd
    return cost
