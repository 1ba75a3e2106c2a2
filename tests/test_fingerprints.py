"""Seeded fingerprints of every packaged scenario: a refactor must leave every result unchanged.

Each variant of each packaged scenario runs for 40 simulated minutes (past every fault and
deploy) on its own seed, and its results are hashed: the summary (wall-clock time left out) and
the timeline, sessions, events and latency frames. The expected digests in
``tests/data/fingerprints.json`` were written by ``python -m tests.test_fingerprints --write``
before the refactor of issue 18; a change that moves any figure for a seed fails here.

One column is left out on purpose: the events' ``scope`` (which component logged a row). It
names the logger, not a result, and the refactor gives the blue/green deploy's second group its
own scope (``asg.green``) instead of logging as the first group.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import fleetsim
from fleetsim.config.loader import packaged_scenarios

MINUTES = 40
EXPECTED = Path(__file__).parent / "data" / "fingerprints.json"


def fingerprint(result: fleetsim.Result) -> str:
    """Return a SHA-256 of a run's summary and frames, without wall time or the event scope."""
    summary = {k: v for k, v in result.summary().items() if k != "wall_s"}
    h = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode())
    events = result.events.drop(columns=["scope"])
    for frame in (result.timeline, result.sessions, events, result.latency):
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def _variants() -> list[tuple[str, str]]:
    folder = resources.files("fleetsim") / "data" / "scenarios"
    out = []
    for name in packaged_scenarios():
        path = str(folder / f"{name}.yaml")
        for variant in fleetsim.load_variants(path, [f"duration={MINUTES}m"]):
            out.append((name, variant))
    return out


def _run(name: str, variant: str) -> str:
    path = str(resources.files("fleetsim") / "data" / "scenarios" / f"{name}.yaml")
    scenario = fleetsim.load_variants(path, [f"duration={MINUTES}m"])[variant]
    return fingerprint(fleetsim.simulate(scenario))


@pytest.mark.parametrize(("name", "variant"), _variants())
def test_seeded_fingerprint_unchanged(name: str, variant: str) -> None:
    expected = json.loads(EXPECTED.read_text())
    assert f"{name}/{variant}" in expected, "a new scenario variant: add its fingerprint"
    assert _run(name, variant) == expected[f"{name}/{variant}"]


def test_every_variant_has_a_fingerprint() -> None:
    expected = json.loads(EXPECTED.read_text())
    assert sorted(expected) == sorted(f"{n}/{v}" for n, v in _variants())


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_fingerprints --write")
    digests = {f"{n}/{v}": _run(n, v) for n, v in _variants()}
    EXPECTED.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(digests)} fingerprints to {EXPECTED}")
