"""Whole-process bench: ``fleetsim run`` against a SimPy script, each as a user runs it.

``fleetsim run bench/scenarios/bench-steady.yaml --set duration=15m`` (about 450,000 requests)
from the default install (``.venv-fast``, what ``pip install .`` gives: compiled when a C
compiler is at hand) against ``bench/mmc.py``, idiomatic SimPy M/M/c with one process per
customer and a ``simpy.Resource``, run for the same number of requests under the same
interpreter. Each is a fresh process, start-up, imports and summary included; its CPU time (user
+ system) is read from ``RUSAGE_CHILDREN``. The runs are paired and interleaved (the order
alternates within a pair), so that a machine shared with other work loads both sides of a pair
alike; the figure is the median of the per-pair ratios fleetsim / script. ``--pure`` adds the
pure-Python package (the dev ``.venv``'s editable install) to every pair.

Usage::

    python bench/process.py [--pairs N] [--duration 15m] [--python PATH] [--pure PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenarios" / "bench-steady.yaml"
SCRIPT = HERE / "mmc.py"
RESULTS = HERE / "results"
DEFAULT_PYTHON = HERE.parent / ".venv-fast" / "bin" / "python"
PURE_PYTHON = HERE.parent / ".venv" / "bin" / "python"


def cpu_seconds(command: list[str]) -> tuple[float, str]:
    """Run ``command`` to completion; return its CPU seconds (user + system) and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # From outside the checkout, without PYTHONPATH: each interpreter imports its own install.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd="/", env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, out.stdout


def fleetsim_command(python: Path, duration: str) -> list[str]:
    """``fleetsim run`` of bench-steady through the install's own ``fleetsim`` script."""
    script = python.parent / "fleetsim"
    return [str(script), "run", str(SCENARIO), "--set", f"duration={duration}", "--quiet"]


def build_of(python: Path) -> str:
    """``compiled`` or ``pure``: how the install at ``python`` runs fleetsim's engine."""
    probe = "import fleetsim.sim.engine as e; print(e.__file__)"
    _, out = cpu_seconds([str(python), "-c", probe])
    return "pure" if out.strip().endswith(".py") else "compiled"


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the pairs; return every run's CPU seconds and the ratios."""
    default = Path(args.python)
    _, out = cpu_seconds([*fleetsim_command(default, args.duration), "--format", "json"])
    requests = int(json.loads(out)["requests_total"])
    commands = {
        f"fleetsim ({build_of(default)}, default install)": fleetsim_command(
            default, args.duration
        ),
        "simpy script": [str(default), str(SCRIPT), str(requests)],
    }
    if args.pure:
        commands[f"fleetsim ({build_of(Path(args.pure))}, dev .venv)"] = fleetsim_command(
            Path(args.pure), args.duration
        )
    cpu: dict[str, list[float]] = {label: [] for label in commands}
    for pair in range(args.pairs):
        labels = list(commands) if pair % 2 == 0 else list(reversed(commands))
        for label in labels:
            cpu[label].append(cpu_seconds(commands[label])[0])
        row = "  ".join(f"{label}: {cpu[label][-1]:6.2f} s" for label in commands)
        print(f"pair {pair + 1}: {row}", flush=True)
    script = cpu["simpy script"]
    ratios = {
        label: [a / b for a, b in zip(times, script, strict=True)]
        for label, times in cpu.items()
        if label != "simpy script"
    }
    return {"requests": requests, "duration": args.duration, "cpu_s": cpu, "ratios": ratios}


def main() -> None:
    """Measure, print the medians and save the JSON in ``bench/results/``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="paired runs (default 5)")
    parser.add_argument("--duration", default="15m", help="bench-steady's simulated duration")
    parser.add_argument("--python", default=str(DEFAULT_PYTHON), help="the default install")
    parser.add_argument(
        "--pure", nargs="?", const=str(PURE_PYTHON), help="also the pure build (default: .venv)"
    )
    args = parser.parse_args()
    report = measure(args)
    print(f"{report['requests']:,} requests each (bench-steady, {args.duration})")
    for label, times in report["cpu_s"].items():
        print(f"{label:40} median CPU {statistics.median(times):6.2f} s")
    for label, ratios in report["ratios"].items():
        print(
            f"{label:40} CPU / script: median {statistics.median(ratios):.2f} "
            f"(pairs {min(ratios):.2f}-{max(ratios):.2f}; target <= 0.33 for the default install)"
        )
    report["load_average_at_end"] = list(os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"process-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
