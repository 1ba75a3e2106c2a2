"""The default termination policy: which instance a scale-in (or rebalancing) terminates.

A pure function of the candidates' membership records, the group's instances per AZ, the time and
a random generator (§2.4): the AZ with the most instances among those holding a candidate, then
the oldest launch template, then the instance closest to its next billing hour, then random. Ties
between AZs are broken at random too. Protection from scale-in is the caller's business: it
passes only unprotected candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from fleetsim.sim.asg.membership import Membership
    from fleetsim.sim.instance import Instance

BILLING_HOUR_S = 3600.0


def pick_victim(
    candidates: Sequence[Membership],
    az_counts: Mapping[str, int],
    now: float,
    rng: np.random.Generator,
) -> Instance | None:
    """Return the instance the default termination policy terminates (§2.4).

    Args:
        candidates: records of the instances that may go (unprotected), in launch order.
        az_counts: the group's active instances per AZ.
        now: the current simulated time.
        rng: draws the random tie-breaks: one per candidate AZ (sorted by name), then one per
            candidate left in the chosen AZ.

    Returns:
        The victim, or None without candidates.
    """
    if not candidates:
        return None
    # 1. the AZ with the most instances that has an unprotected one (ties at random).
    azs = sorted({m.instance.az for m in candidates})
    draws = {az: rng.random() for az in azs}
    az = max(azs, key=lambda a: (az_counts[a], draws[a]))
    pool = [m for m in candidates if m.instance.az == az]
    # 2. the oldest launch template.
    oldest = min(m.template for m in pool)
    pool = [m for m in pool if m.template == oldest]
    # 3. closest to the next billing hour; 4. random.
    scores = [((now - m.instance.launched) % BILLING_HOUR_S, rng.random()) for m in pool]
    return pool[max(range(len(pool)), key=lambda k: scores[k])].instance
