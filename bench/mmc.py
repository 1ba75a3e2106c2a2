"""The SimPy baseline: M/M/c the way a SimPy tutorial writes it, as a function and as a script.

One SimPy process per customer and a ``simpy.Resource`` of c = 20 servers (mu = 10/s,
lambda = 160/s). ``bench/run.py`` times :func:`simpy_mmc` inside a process; ``bench/process.py``
runs this file as a whole process (``python bench/mmc.py CUSTOMERS``), start-up included,
against ``fleetsim run``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import simpy


def simpy_mmc(customers: int, seed: int = 1) -> dict[str, float]:
    """Run the idiomatic M/M/c baseline; return customers, wall and CPU seconds."""
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
    start, cpu = time.perf_counter(), time.process_time()
    env.run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(waits) == customers
    return {"requests": customers, "wall_s": wall, "cpu_s": cpu}


if __name__ == "__main__":
    result = simpy_mmc(int(sys.argv[1]))
    print(f"{result['requests']} customers in {result['cpu_s']:.2f} CPU s")
