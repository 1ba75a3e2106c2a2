"""Sweep throughput: points per minute with 1 and 2 worker processes (and in-process serial).

A point is one grid setting run for R replications. The sweep is the packaged ``az-outage``
scenario (stateless variant, shortened to ``--duration``) over
``asg.desired_capacity × app.workers``; the wall time includes starting the process pool (spawn),
which is what a user waits for. Results (table on stdout, JSON in ``bench/results/``) are
wall-clock figures and belong here, never in tests.

Usage: ``python bench/sweep_bench.py [--duration 10m] [--replications 2] [--workers 1 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import fleetsim
from fleetsim.analysis.executors import ProcessExecutor, SerialExecutor
from fleetsim.analysis.sweep import sweep

GRID = ["asg.desired_capacity=6,7,8,9", "app.workers=4,8"]


def timed_sweep(executor: object, duration: str, replications: int) -> tuple[float, int]:
    """Run the benchmark sweep; return (wall seconds, points)."""
    start = time.perf_counter()
    table = sweep(
        "az-outage",
        GRID,
        replications=replications,
        variant="stateless",
        overrides=[f"duration={duration}", "faults.0.at=5m"],  # the outage inside the run
        executor=executor,  # type: ignore[arg-type]
    )
    return time.perf_counter() - start, int(table["point"].nunique())


def main() -> None:
    """Run the sweep serially and on each pool size; print and save points per minute."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10m", help="simulated length of each run")
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rows: dict[str, dict[str, float]] = {}
    wall, points = timed_sweep(SerialExecutor(), args.duration, args.replications)
    rows["serial (in process)"] = {"wall_s": wall, "points": points}
    for n in args.workers:
        with ProcessExecutor(n) as ex:
            wall, points = timed_sweep(ex, args.duration, args.replications)
        rows[f"processes={n}"] = {"wall_s": wall, "points": points}
    print(
        f"az-outage/stateless, duration {args.duration}, {points} points x "
        f"{args.replications} replications, {os.cpu_count()} cores"
    )
    print(f"{'executor':24} {'wall s':>8} {'points/min':>11}")
    for label, row in rows.items():
        row["points_per_min"] = row["points"] / row["wall_s"] * 60
        print(f"{label:24} {row['wall_s']:8.1f} {row['points_per_min']:11.1f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    payload = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
        "fleetsim": fleetsim.__version__,
        "duration": args.duration,
        "replications": args.replications,
        "rows": rows,
    }
    (out / f"sweep-{stamp}.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
