"""Availability Zone names: a single letter is shorthand for ``<region><letter>``.

Scenarios say ``azs: [a, b, c]`` so that they stay portable across regions; every place that
names an AZ (the scenario's AZs, a fault's AZ, the Redis nodes' AZs) expands it here, before
validation, with the scenario's region.
"""

from __future__ import annotations


def full_az(region: str, az: object) -> object:
    """Return ``<region><letter>`` for a one-letter string, anything else unchanged.

    Values that are not strings are returned as they are, for validation to reject by field.
    """
    return f"{region}{az}" if isinstance(az, str) and len(az) == 1 else az
