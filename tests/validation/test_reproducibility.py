"""Reproducibility: the same seed gives identical results in this process and in fresh ones.

Each run is reduced to a fingerprint — its summary plus SHA-256 digests of its timeline, events
and sessions frames — computed here and in ``ProcessPoolExecutor`` workers started with
``spawn`` (fresh interpreters: different hash seeds, memory layout and import order), so any
dependence on object addresses, set order or process state shows up as a difference.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd
import pytest

import fleetsim

# (variant, seed, overrides): the flagship scenario (15 min), without and with its AZ outage.
STEADY = [
    ("stateful", 3, ["faults=[]"]),
    ("stateless", 3, ["faults=[]"]),
    ("stateful", 4, ["faults=[]"]),
]
OUTAGE = [("stateful", 3, ["faults.0.at=5m"]), ("stateless", 3, ["faults.0.at=5m"])]
PARTS = ("summary", "timeline", "events", "sessions")


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def fingerprint(variant: str, seed: int, overrides: list[str]) -> dict[str, Any]:
    """Run az-outage (15 min) and return its summary and frame digests (picklable)."""
    sc = fleetsim.load_scenario("az-outage", variant, ["duration=15m", *overrides])
    result = fleetsim.simulate(sc, seed=seed)
    return {
        # repr: NaN (a mean over no launches) must compare equal to NaN.
        "summary": repr(result.summary()),
        "timeline": _digest(result.timeline),
        "events": _digest(result.events),
        "sessions": _digest(result.sessions),
    }


def _here_and_there(runs: list[tuple[str, int, list[str]]]) -> tuple[list[Any], list[Any]]:
    here = [fingerprint(*run) for run in runs]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = list(pool.map(fingerprint, *zip(*runs, strict=True)))
    return here, there


@pytest.fixture(scope="module")
def steady() -> tuple[list[Any], list[Any]]:
    return _here_and_there(STEADY)


@pytest.mark.parametrize("part", PARTS)
def test_same_seed_same_results_across_processes(steady, part):
    here, there = steady
    assert [f[part] for f in here] == [f[part] for f in there]
    if part != "events":  # without faults the event log is the same t = 0 fleet for any seed
        # The fingerprint is not trivially constant: another seed gives another run.
        assert here[0][part] != here[2][part]


def test_same_seed_same_results_across_processes_with_an_outage():
    here, there = _here_and_there(OUTAGE)
    assert here == there
