"""Benchmark harness: fleetsim against idiomatic SimPy, each case in a fresh subprocess.

(a) Baseline: M/M/c with one SimPy process per customer and a ``simpy.Resource`` (c = 20,
    mu = 10/s, lambda = 160/s), the way a SimPy tutorial would write it.
(b) fleetsim on the reference scenarios in ``bench/scenarios/``: ``bench-steady`` (1 h, 500
    req/s, 20 instances), ``bench-spike`` (1 h, spike to 2,000 req/s, AZ outage, stateful),
    ``bench-long`` (24 h diurnal, ~200 req/s), and ``bench-long`` cut to its first hour, to show
    whether memory grows with simulated duration (per-request records are off).

Every fleetsim case runs twice when the compiled build exists (``make fast`` puts it in
``.venv-fast``): once on the pure-Python package (this interpreter) and once compiled with mypyc
(rows marked ``[compiled]``); the baseline runs on this interpreter (SimPy is pure Python in
both). Every case runs in its own ``python bench/run.py --child ...`` process so that its peak
RSS is its own. Reports simulated requests per wall-clock second, the ratio to the baseline,
peak RSS, RSS growth over the interpreter with everything imported, and both per million
requests; prints a table and writes JSON to ``bench/results/``. Wall-clock figures belong
here, never in tests.

Usage::

    python bench/run.py [--repeat R] [--customers N] [--only NAME ...] [--compiled PYTHON]
    python bench/run.py --profile bench-steady    # cProfile, top costs to stdout and results/
    python bench/run.py --compare bench/results/baseline.json   # ratios now / then per case
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import simpy
from mmc import simpy_mmc

import fleetsim

HERE = Path(__file__).resolve().parent
COMPILED_PYTHON = HERE.parent / ".venv-fast" / "bin" / "python"
SCENARIOS = HERE / "scenarios"
RESULTS = HERE / "results"
# (label, scenario file, overrides)
CASES: list[tuple[str, str, list[str]]] = [
    ("bench-steady", "bench-steady", []),
    ("bench-spike", "bench-spike", []),
    ("bench-long@1h", "bench-long", ["duration=1h"]),
    ("bench-long", "bench-long", []),
]


def _rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def fleetsim_run(name: str, overrides: list[str]) -> dict[str, Any]:
    """Run one bench scenario; return requests, wall seconds and its summary."""
    scenario = fleetsim.load_scenario(SCENARIOS / f"{name}.yaml", None, overrides)
    assert not scenario.record.requests, "benchmarks run with per-request records off"
    start, cpu = time.perf_counter(), time.process_time()
    result = fleetsim.simulate(scenario)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = result.summary()
    assert summary["invariants_ok"]
    return {
        "requests": summary["requests_total"],
        "wall_s": wall,
        "cpu_s": cpu,
        "simulated_s": summary["duration_s"],
        "sessions": summary["sessions_total"],
        "failed": summary["requests_failed"],
        "sessions_lost": summary["sessions_lost"],
    }


def child(kind: str, name: str, overrides: list[str], customers: int, repeat: int) -> None:
    """Run one case in this (fresh) process and print its measurements as JSON."""
    rss_ready = _rss_now_mb()  # interpreter + numpy, pandas, simpy, fleetsim imported
    if kind == "baseline":
        runs = [simpy_mmc(customers, seed=k) for k in range(repeat)]
    else:
        runs = [fleetsim_run(name, overrides) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["wall_s"])
    best["requests_per_s"] = best["requests"] / best["wall_s"]
    # CPU seconds too: on a shared machine, wall time also counts other processes' turns.
    best["requests_per_cpu_s"] = best["requests"] / best["cpu_s"]
    best["rss_ready_mb"] = rss_ready
    best["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(best))


def _spawn(args: list[str], python: str = sys.executable) -> dict[str, Any]:
    # Run from outside the checkout so that the compiled interpreter imports its installed
    # (compiled) fleetsim, not the source tree next to this script; a PYTHONPATH pointing at
    # the sources is kept for this interpreter only.
    env = None if python == sys.executable else _without_pythonpath()
    out = subprocess.run(
        [python, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd="/",
        env=env,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _compiled_build(python: str) -> bool:
    """True if ``python`` imports a fleetsim whose engine is a compiled extension."""
    probe = "import fleetsim.sim.engine as e; print(e.__file__)"
    out = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, cwd="/", env=_without_pythonpath()
    )
    return out.returncode == 0 and not out.stdout.strip().endswith(".py")


def profile(name: str, top: int = 25) -> str:
    """cProfile one scenario in this process; return the top functions by own time."""
    scenario = fleetsim.load_scenario(SCENARIOS / f"{name}.yaml")
    prof = cProfile.Profile()
    prof.enable()
    result = fleetsim.simulate(scenario)
    prof.disable()
    buf = io.StringIO()
    buf.write(f"{name}: {result.summary()['requests_total']:,} requests\n")
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def compare(rows: dict[str, dict[str, Any]], path: Path) -> str:
    """Return a table of this run against a saved results JSON (e.g. ``results/baseline.json``).

    Ratios are now / then: above 1 is faster for the rates, larger for memory. Wall-clock rates
    move with the machine's load; the CPU-second rates and the ratio to the baseline move less.
    """
    then = json.loads(path.read_text())["rows"]
    metrics = [
        ("requests_per_s", "req/s"),
        ("requests_per_cpu_s", "req/cpu-s"),
        ("x_baseline", "x base"),
        ("peak_rss_mb", "peak MB"),
    ]
    header = f"{'case':15} " + " ".join(f"{label + ' now/then':>17}" for _, label in metrics)
    lines = [f"compared with {path}", header, "-" * len(header)]
    for label, row in rows.items():
        old = then.get(label)
        if old is None:
            lines.append(f"{label:15} (not in {path.name})")
            continue
        cells = []
        for key, _ in metrics:
            cells.append(f"{row[key] / old[key]:17.2f}" if old.get(key) else f"{'-':>17}")
        lines.append(f"{label:15} " + " ".join(cells))
    return "\n".join(lines)


def main() -> None:
    """Run the benchmarks and print/save the table (or profile, or be a child)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=300_000, help="baseline customers")
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs per case")
    parser.add_argument("--only", nargs="*", help="case labels to run (default: all)")
    parser.add_argument("--profile", metavar="SCENARIO", help="cProfile one bench scenario")
    parser.add_argument(
        "--compare", metavar="FILE", type=Path, help="diff against a results JSON (baseline.json)"
    )
    parser.add_argument(
        "--compiled",
        metavar="PYTHON",
        default=str(COMPILED_PYTHON),
        help="interpreter with the compiled build (default: .venv-fast/bin/python, from make fast)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, name, *overrides = args.child
        child(kind, name, overrides, args.customers, args.repeat)
        return
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    if args.profile:
        text = profile(args.profile)
        print(text)
        (RESULTS / f"profile-{args.profile}-{stamp}.txt").write_text(text)
        return

    repeat = str(args.repeat)
    rows: dict[str, dict[str, Any]] = {}
    rows["simpy M/M/c baseline"] = _spawn(
        ["baseline", "-", "--customers", str(args.customers), "--repeat", str(max(3, args.repeat))]
    )
    builds = [("", sys.executable)]
    if Path(args.compiled).exists() and _compiled_build(args.compiled):
        builds.append((" [compiled]", args.compiled))
    else:
        print(f"no compiled build at {args.compiled} (make fast builds it): pure Python only")
    for label, name, overrides in CASES:
        if args.only and label not in args.only:
            continue
        for suffix, python in builds:
            rows[label + suffix] = _spawn(
                ["fleetsim", name, *overrides, "--repeat", repeat], python
            )
    baseline = rows["simpy M/M/c baseline"]["requests_per_s"]
    baseline_cpu = rows["simpy M/M/c baseline"]["requests_per_cpu_s"]
    for row in rows.values():
        row["x_baseline"] = row["requests_per_s"] / baseline
        row["x_baseline_cpu"] = row["requests_per_cpu_s"] / baseline_cpu
        millions = row["requests"] / 1e6
        row["peak_rss_mb_per_m_requests"] = row["peak_rss_mb"] / millions
        row["rss_growth_mb"] = row["peak_rss_mb"] - row["rss_ready_mb"]
        row["rss_growth_mb_per_m_requests"] = row["rss_growth_mb"] / millions
    memory_ratio = None
    if "bench-long" in rows and "bench-long@1h" in rows:
        memory_ratio = rows["bench-long"]["peak_rss_mb"] / rows["bench-long@1h"]["peak_rss_mb"]
    compiled_ratio = None
    if "bench-long [compiled]" in rows and "bench-long@1h [compiled]" in rows:
        compiled_ratio = (
            rows["bench-long [compiled]"]["peak_rss_mb"]
            / rows["bench-long@1h [compiled]"]["peak_rss_mb"]
        )

    header = (
        f"{'case':26} {'requests':>11} {'wall s':>6} {'req/s':>8} {'x base':>6} "
        f"{'req/cpu-s':>9} {'x base':>6} {'peak MB':>7} {'growth':>6} {'MB/M req':>8} "
        f"{'growth/M':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, r in rows.items():
        print(
            f"{label:26} {r['requests']:11,} {r['wall_s']:6.1f} {r['requests_per_s']:8,.0f} "
            f"{r['x_baseline']:6.2f} {r['requests_per_cpu_s']:9,.0f} {r['x_baseline_cpu']:6.2f} "
            f"{r['peak_rss_mb']:7.0f} {r['rss_growth_mb']:6.0f} "
            f"{r['peak_rss_mb_per_m_requests']:8.1f} {r['rss_growth_mb_per_m_requests']:8.1f}"
        )
    for build, ratio in (("", memory_ratio), (" [compiled]", compiled_ratio)):
        if ratio is not None:
            verdict = "ok" if ratio <= 1.5 else "OVER the 1.5x target"
            print(f"peak RSS bench-long{build} 24 h / 1 h: {ratio:.2f} ({verdict})")
    payload = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "fleetsim": fleetsim.__version__,
        "simpy": simpy.__version__,
        "baseline_requests_per_s": baseline,
        "load_average_at_end": list(os.getloadavg()),
        "rows": rows,
        "peak_rss_ratio_24h_over_1h": memory_ratio,
        "peak_rss_ratio_24h_over_1h_compiled": compiled_ratio,
    }
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(payload, indent=2) + "\n")
    if args.compare is not None:
        print()
        print(compare(rows, args.compare))


if __name__ == "__main__":
    main()
