"""Print a digest of every packaged scenario's results, to compare two builds of fleetsim.

Run under an interpreter (``python tests/build_digest.py [MINUTES [SCENARIO ...]]``). It prints
one JSON object, ``{"engine": <file of fleetsim.sim.engine>, "native_heap": <its NATIVE_HEAP>,
"simpy": <SimPy's version>, "builds": <the builds the results record>, "digests":
{"<scenario>/<variant>": <sha256>}}``, hashing the
summary, timeline, sessions, events and latency of every variant of every scenario shipped with
fleetsim (or of the ones named), each cut to ``MINUTES`` simulated minutes (default 40: past
every scenario's faults and deploys, which start by minute 25). ``tests/test_compiled.py`` runs
it on the pure-Python and the compiled build and requires the same digests;
``tests/test_simpy_api.py`` runs it under several SimPy releases.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources

import pandas as pd
import simpy

import fleetsim
import fleetsim.sim.engine
from fleetsim.config.loader import packaged_scenarios


def digest(result: fleetsim.Result) -> str:
    """Return a hash of everything a run reports (wall-clock time left out)."""
    summary = {k: v for k, v in result.summary().items() if k != "wall_s"}
    h = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode())
    for frame in (result.timeline, result.sessions, result.events, result.latency):
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def main() -> None:
    """Print the digests as JSON on stdout."""
    minutes = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    names = sys.argv[2:] or packaged_scenarios()
    folder = resources.files("fleetsim") / "data" / "scenarios"
    out: dict[str, str] = {}
    builds: set[str] = set()
    for name in names:
        path = str(folder / f"{name}.yaml")
        for variant, scenario in fleetsim.load_variants(path, [f"duration={minutes}m"]).items():
            result = fleetsim.simulate(scenario)
            out[f"{name}/{variant}"] = digest(result)
            builds.add(result.meta["build"])
    engine = fleetsim.sim.engine
    report = {
        "engine": engine.__file__,
        "native_heap": engine.NATIVE_HEAP,
        "simpy": simpy.__version__,
        "builds": sorted(builds),
        "digests": out,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
