"""Benchmark harness: fleetsim against idiomatic SimPy, in one process run.

(a) Baseline: M/M/c with one SimPy process per customer and a ``simpy.Resource`` (c = 20,
    mu = 10/s, lambda = 160/s), the way a SimPy tutorial would write it.
(b) fleetsim on the flagship ``az-outage`` scenario (both variants).

Reports simulated requests per wall-clock second and the ratio to the baseline, as a table on
stdout and JSON in ``bench/results/``. Wall-clock figures belong here, never in tests.

Usage: ``python bench/run.py [--customers N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

import numpy as np
import simpy

import fleetsim


def simpy_mmc(customers: int, seed: int = 1) -> float:
    """Run the idiomatic M/M/c baseline; return customers per wall second."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=20)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / 160, customers)
    services = rng.exponential(0.1, customers)
    waits: list[float] = []

    def customer(service: float):  # type: ignore[no-untyped-def]
        arrived = env.now
        with server.request() as req:
            yield req
            yield env.timeout(service)
        waits.append(env.now - arrived)

    def source():  # type: ignore[no-untyped-def]
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    start = time.perf_counter()
    env.run()
    wall = time.perf_counter() - start
    assert len(waits) == customers
    return customers / wall


def fleetsim_run(name: str, variant: str | None, overrides: list[str]) -> dict[str, float]:
    """Run a packaged scenario; return requests, wall seconds and requests per wall second."""
    scenario = fleetsim.load_scenario(name, variant, overrides)
    start = time.perf_counter()
    result = fleetsim.simulate(scenario)
    wall = time.perf_counter() - start
    n = result.summary()["requests_total"]
    return {"requests": n, "wall_s": wall, "requests_per_s": n / wall}


def main() -> None:
    """Run the benchmarks and print/save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs")
    args = parser.parse_args()

    baseline = max(simpy_mmc(args.customers, seed=k) for k in range(args.repeat))
    rows = {"simpy M/M/c (process per customer, Resource)": {"requests_per_s": baseline}}
    for variant in ("stateful", "stateless"):
        runs = [fleetsim_run("az-outage", variant, []) for _ in range(args.repeat)]
        best = max(runs, key=lambda r: r["requests_per_s"])
        rows[f"fleetsim az-outage/{variant}"] = best
    print(f"{'benchmark':52} {'requests/s':>12} {'x baseline':>10}")
    for label, row in rows.items():
        rate = row["requests_per_s"]
        print(f"{label:52} {rate:12,.0f} {rate / baseline:10.2f}")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_rss_mb:.0f} MB")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    payload = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "fleetsim": fleetsim.__version__,
        "baseline_requests_per_s": baseline,
        "rows": rows,
        "ratios": {k: v["requests_per_s"] / baseline for k, v in rows.items()},
        "peak_rss_mb": peak_rss_mb,
    }
    (out / f"bench-{stamp}.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
