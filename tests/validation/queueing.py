"""The fleet model reduced to textbook queues, and estimators of its steady-state means.

A :class:`QueueCase` names a textbook system — M/M/1, M/M/c (one instance with ``workers = c``)
or round robin (the ALB dispatching to c single-worker instances, each an E_c/M/1 queue) — at a
utilisation ρ, with c·μ = 100/s so that λ = 100·ρ. :func:`measure` runs one seeded replication
and estimates, over the window after the warm-up:

* W, the mean latency of the requests finishing in the window (per-second latency sums);
* Wq = Lq / λ, from the accept-queue length sampled once a second (Little's law on the queue);
* L, the time-average number of requests in the system, from the recorder's time integral
  (``Recorder.time_average_in_system``) read at the warm-up's end and at the run's end;
* the relative gap between L and λ·W on the same window (Little's law on the whole system).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from fleetsim.analysis.stats import replication_seeds, t_interval
from fleetsim.analysis.theory import QueueMetrics, mm1, mmc, round_robin_ec_m1
from fleetsim.config import Scenario, load_scenario
from fleetsim.sim.world import World

TOTAL_RATE = 100.0  # c·μ, requests per second
WARMUP_S = 50.0  # ≥ 10 relaxation times of every case below (the slowest, M/M/1 at 0.95: ~16 s)
METRICS = ("W", "Wq", "L")


@dataclass(frozen=True)
class QueueCase:
    """A textbook queue at one utilisation.

    Attributes:
        model: ``M/M/1``, ``M/M/c`` or ``RR`` (round robin to c single-worker instances).
        c: number of servers.
        rho: utilisation λ / (cμ).
        total_rate: c·μ (the default keeps λ = 100·ρ).
    """

    model: str
    c: int
    rho: float
    total_rate: float = TOTAL_RATE

    @property
    def mu(self) -> float:
        """Service rate of one server (1/s)."""
        return self.total_rate / self.c

    @property
    def lam(self) -> float:
        """Arrival rate (1/s)."""
        return self.rho * self.total_rate

    @property
    def label(self) -> str:
        """``M/M/c, c=4`` style label for report rows and test ids."""
        kind = {"RR": "round robin → E_c/M/1"}.get(self.model, self.model)
        return kind if self.model == "M/M/1" else f"{kind}, c = {self.c}, μ = {self.mu:g}/s"

    def exact(self) -> QueueMetrics:
        """The exact steady-state means (for round robin: per queue; W and Wq are system-wide)."""
        if self.model == "M/M/1":
            return mm1(self.lam, self.mu)
        if self.model == "M/M/c":
            return mmc(self.lam, self.mu, self.c)
        return round_robin_ec_m1(self.lam, self.mu, self.c)

    def exact_metric(self, metric: str) -> float:
        """The exact value of ``W``, ``Wq`` or ``L`` for the whole system."""
        ex = self.exact()
        if metric == "L":
            return self.lam * ex.W  # system-wide (round robin's ``L`` is per queue)
        return float(getattr(ex, metric))

    def scenario(self, duration: float) -> Scenario:
        """The fleet scenario that reduces to this queue."""
        single = self.model != "RR"
        return load_scenario(
            {
                "name": f"{self.model} rho={self.rho}",
                "duration": duration,
                "azs": ["a"],
                "traffic": {
                    "shape": {"kind": "constant", "rate": self.lam},
                    "requests_per_session": 1,
                    "think_time": 0,
                    "warm_start": False,
                },
                "app": {
                    "cpu_time": {"dist": "exponential", "mean": 1.0 / self.mu},
                    "workers": self.c if single else 1,
                    "queue_size": 1_000_000,
                },
                "asg": {
                    "min_size": 1,
                    "max_size": self.c,
                    "desired_capacity": 1 if single else self.c,
                },
                "state": {"sessions": "ideal"},
                # 32 vCPUs: at most c workers, so no processor sharing, only FIFO servers.
                "instance": {"type": "m5.8xlarge"},
            }
        )


@dataclass(frozen=True)
class Estimate:
    """One replication's estimates over the post-warm-up window."""

    W: float
    Wq: float
    L: float
    little_gap: float  # |L − λ̂·W| / L on the same window
    requests: int


def measure(case: QueueCase, seed: int, duration: float, warmup: float = WARMUP_S) -> Estimate:
    """Run one replication of ``case`` and estimate its means after ``warmup`` seconds."""
    world = World(case.scenario(duration), seed)
    rec = world.rec
    area_at_warmup: list[float] = []
    # A plain timeout callback (public SimPy API) reads the integral when the warm-up ends.
    mark = world.env.timeout(warmup)
    mark.callbacks.append(lambda _: area_at_warmup.append(rec.time_average_in_system(warmup)))
    result = world.run()
    assert result.summary()["requests_failed"] == 0
    lo, hi = int(warmup), math.ceil(duration)
    span = duration - warmup
    done = sum(rec.ok_bins[lo:hi])
    w = math.fsum(rec.latency_sum[lo:hi]) / done
    lam = sum(rec.arrival_bins[lo:hi]) / span
    area = rec.time_average_in_system(duration) * duration - area_at_warmup[0] * warmup
    big_l = area / span
    q = rec.level_columns.index("queued")
    queued = [row[q] for row in rec.levels if row[0] >= warmup]
    wq = math.fsum(queued) / len(queued) / lam
    return Estimate(w, wq, big_l, abs(big_l - lam * w) / big_l, done)


@dataclass(frozen=True)
class CaseResult:
    """All replications of one case."""

    case: QueueCase
    runs: list[Estimate]
    duration: float

    def values(self, metric: str) -> list[float]:
        """The per-replication estimates of ``metric``."""
        return [float(getattr(r, metric)) for r in self.runs]


def replicate(case: QueueCase, reps: int, duration: float, master_seed: int = 2026) -> CaseResult:
    """Run ``reps`` independent seeded replications of ``case``."""
    seeds = replication_seeds(master_seed, reps)
    return CaseResult(case, [measure(case, s, duration) for s in seeds], duration)


def fmt(x: float) -> str:
    """Four significant figures, fixed so the report is byte-stable."""
    return f"{x:.4g}"


def report_rows(
    result: CaseResult,
    family: int,
    precision: float,
    add: Callable[[tuple[str, ...], bool], None],
) -> list[str]:
    """Add one report row per metric; return the metrics whose exact value was missed.

    A row passes when the exact value lies in the Bonferroni interval at family-wise 95 % over
    ``family`` rows (each row's confidence 1 − 0.05/family), and, for W, when the 95 %
    half-width is under ``precision`` × the exact value (the test must have power, not just
    wide intervals).
    """
    case = result.case
    missed = []
    for metric in METRICS:
        exact = case.exact_metric(metric)
        values = result.values(metric)
        ci95 = t_interval(values, 0.95)
        wide = t_interval(values, 1 - 0.05 / family)
        ok = wide.contains(exact)
        if metric == "W":
            ok = ok and ci95.half_width < precision * exact
        if not ok:
            missed.append(metric)
        n = result.runs[0].requests
        add(
            (
                case.label,
                f"{case.rho:.2f}",
                metric + (" (s)" if metric != "L" else ""),
                fmt(exact),
                f"{fmt(ci95.mean)} [{fmt(ci95.low)}, {fmt(ci95.high)}]",
                f"{len(values)} × {result.duration:g} s (~{round(n, -3):,.0f} req)",
            ),
            ok,
        )
    return missed
