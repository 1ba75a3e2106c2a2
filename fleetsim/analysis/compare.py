"""Comparing the variants of a scenario on the same random numbers.

Every variant is run with the same seed, so the users, their arrivals, their think times and the
requests' CPU times are drawn from the same named streams: the differences between variants come
from the design, not from the dice (common random numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fleetsim.config import load_variants
from fleetsim.record.result import Result
from fleetsim.sim.world import simulate

#: Summary keys shown by default when variants are put side by side.
HEADLINE = [
    "requests_total",
    "requests_failed",
    "failed_ratio",
    "sessions_total",
    "sessions_lost",
    "sessions_abandoned",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "instances_launched",
    "instance_hours",
    "cost_usd",
    "invariants_ok",
]


def run_variants(
    source: str | Path | dict[str, Any],
    variants: list[str] | None = None,
    seed: int | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Result]:
    """Run the chosen variants (all by default) of a scenario with one seed; return Results by name.

    Raises:
        ConfigError: if a variant is unknown or invalid.
    """
    scenarios = load_variants(source, overrides)
    if variants:
        unknown = [v for v in variants if v not in scenarios]
        if unknown:
            from fleetsim.config import ConfigError

            raise ConfigError(
                f"unknown variant(s) {', '.join(unknown)}; variants: {', '.join(scenarios)}."
            )
        scenarios = {v: scenarios[v] for v in variants}
    return {name: simulate(sc, seed) for name, sc in scenarios.items()}


def compare(
    source: str | Path | dict[str, Any],
    variants: list[str] | None = None,
    seed: int | None = None,
    overrides: list[str] | None = None,
) -> pd.DataFrame:
    """Run variants on common random numbers and return their summaries side by side.

    Args:
        source: a scenario file, packaged scenario name or dict.
        variants: which variants (default: all).
        seed: the seed every variant uses (default: the scenario's).
        overrides: ``key=value`` overrides applied to every variant.

    Returns:
        A DataFrame indexed by summary key, one column per variant.
    """
    results = run_variants(source, variants, seed, overrides)
    return summaries_frame(results)


def summaries_frame(results: dict[str, Result]) -> pd.DataFrame:
    """Put the summaries of several Results side by side (rows: summary keys)."""
    return pd.DataFrame({name: r.summary() for name, r in results.items()})
