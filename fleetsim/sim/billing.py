"""Billing: what a run cost, from the plain figures each instance and store reports at the end.

EC2 bills per second with a 60-second minimum on every entry into ``running`` (fact sheet §3);
the instance counts its own billed seconds, and :func:`bill_ec2` prices them: on-demand at the
type's hourly price, Spot at that price times ``spot.price_factor``, and, for a burstable type in
``unlimited`` mode, the surplus credits not earned back by the end at $0.05 per vCPU-hour (60
credits). A session store prices itself (node hours, provisioned capacity or requests).

Every charge is a :class:`~fleetsim.record.costs.CostItem`; ``Result.cost_usd`` builds its keys
from them in one place (``ec2:<type>``, ``ec2:<type>:spot``, ``ec2:<type>:cpu_credits``,
``elasticache:<node type>``, ``dynamodb:provisioned``, ``dynamodb:requests``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fleetsim.config.catalog import T3_SURPLUS_USD_PER_VCPU_HOUR, instance_type
from fleetsim.record.costs import CPU_CREDITS, SPOT, CostItem


@dataclass(frozen=True)
class InstanceUsage:
    """What one instance reports for billing at the end of a run.

    Attributes:
        itype: its instance type.
        spot: True for a Spot Instance.
        seconds: billed seconds.
        surplus_credits: CPU credits spent beyond the balance and not earned back (burstable
            types in ``unlimited`` mode), else 0.
    """

    itype: str
    spot: bool
    seconds: float
    surplus_credits: float = 0.0

    @property
    def purchase_key(self) -> str:
        """Its key in ``Result.instance_seconds``: ``<type>`` (on-demand) or ``<type>:spot``."""
        return f"{self.itype}:{SPOT}" if self.spot else self.itype


def instance_seconds(usages: Iterable[InstanceUsage]) -> dict[str, float]:
    """Billed seconds by ``<type>`` (on-demand) or ``<type>:spot``, in order of first launch."""
    seconds: dict[str, float] = {}
    for u in usages:
        key = u.purchase_key
        seconds[key] = seconds.get(key, 0.0) + u.seconds
    return seconds


def bill_ec2(usages: list[InstanceUsage], spot_price_factor: float) -> list[CostItem]:
    """Price the instances' usage: per type and purchase option, then surplus CPU credits.

    Args:
        usages: one per instance ever launched, in launch order.
        spot_price_factor: Spot price over the on-demand price.
    """
    # Summed per (type, purchase) first, in order of first launch, then priced once each.
    seconds: dict[tuple[str, bool], float] = {}
    surplus: dict[str, float] = {}
    for u in usages:
        seconds[u.itype, u.spot] = seconds.get((u.itype, u.spot), 0.0) + u.seconds
        if u.surplus_credits > 0:
            surplus[u.itype] = surplus.get(u.itype, 0.0) + u.surplus_credits
    items = []
    for (name, spot), s in seconds.items():
        price = instance_type(name).price_usd_hour * (spot_price_factor if spot else 1.0)
        items.append(CostItem("ec2", name, s / 3600.0 * price, SPOT if spot else ""))
    for name, credits in surplus.items():
        # Surplus credits not earned back: $0.05 per vCPU-hour = per 60 credits.
        items.append(
            CostItem("ec2", name, credits / 60.0 * T3_SURPLUS_USD_PER_VCPU_HOUR, CPU_CREDITS)
        )
    return items
