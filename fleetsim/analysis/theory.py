"""Exact steady-state results for textbook queues, used to validate the simulator.

When the fleet model is reduced to a textbook case (Poisson arrivals, exponential service,
no scaling, no failures) its long-run averages must match closed-form queueing theory within
the replications' confidence interval. This module provides those reference values: M/M/1,
M/M/c with one shared FIFO queue (Erlang C), round-robin dispatch of a Poisson stream to c
independent single-server FIFO queues (each queue then sees Erlang-c inter-arrival times, so it
is an E_c/M/1 queue solved with GI/M/1 theory), and M/M/1 processor sharing. Throughout,
``lam`` is the total arrival rate and ``mu`` the service rate of one server, both per second;
times are in seconds, and every function requires a stable system (utilisation ρ < 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import brentq

__all__ = [
    "QueueMetrics",
    "erlang_c",
    "mm1",
    "mm1_ps_sojourn",
    "mmc",
    "round_robin_ec_m1",
    "round_robin_sigma",
]


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state means of a queueing system.

    Attributes:
        Wq: Mean time in queue before service starts (s).
        W: Mean sojourn time, queueing plus service (s).
        Lq: Mean number waiting in queue.
        L: Mean number in the system.
        rho: Utilisation of each server, λ/(cμ).
        p_wait: Probability that an arriving customer has to wait.
    """

    Wq: float
    W: float
    Lq: float
    L: float
    rho: float
    p_wait: float


def _require_positive(name: str, value: float) -> None:
    # `not value > 0` also rejects NaN, which would otherwise slip through every comparison.
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _require_servers(c: int) -> None:
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise ValueError(f"c (number of servers) must be an integer >= 1, got {c!r}")


def _require_stable(rho: float) -> None:
    if rho >= 1:
        raise ValueError(
            f"unstable system: utilisation rho = {rho:.6g} >= 1, no steady state exists"
        )


def mm1(lam: float, mu: float) -> QueueMetrics:
    """Steady-state metrics of the M/M/1 FIFO queue.

    Args:
        lam: Arrival rate λ (1/s), positive.
        mu: Service rate μ (1/s), positive.

    Returns:
        Exact means; ``p_wait`` equals ρ.

    Raises:
        ValueError: If a rate is not positive or ρ = λ/μ >= 1.
    """
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    rho = lam / mu
    _require_stable(rho)
    w = 1.0 / (mu - lam)
    wq = rho / (mu - lam)
    return QueueMetrics(Wq=wq, W=w, Lq=lam * wq, L=lam * w, rho=rho, p_wait=rho)


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability that an arrival waits in an M/M/c queue.

    Computed from the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), B(0) = 1, and
    C = B / (1 − ρ(1 − B)), ρ = a/c. Every intermediate stays in [0, 1], so it is stable for
    thousands of servers where the factorial form overflows.

    Args:
        c: Number of servers, integer >= 1.
        a: Offered load a = λ/μ in Erlangs, positive and below ``c``.

    Returns:
        The waiting probability, in (0, 1).

    Raises:
        ValueError: If ``c`` or ``a`` is invalid or a >= c.
    """
    _require_servers(c)
    _require_positive("a", a)
    rho = a / c
    _require_stable(rho)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1.0 - rho * (1.0 - b))


def mmc(lam: float, mu: float, c: int) -> QueueMetrics:
    """Steady-state metrics of the M/M/c queue: one shared FIFO queue feeding c servers.

    Args:
        lam: Total arrival rate λ (1/s), positive.
        mu: Service rate μ of one server (1/s), positive.
        c: Number of servers, integer >= 1.

    Returns:
        Exact means; ``p_wait`` is Erlang C(c, λ/μ).

    Raises:
        ValueError: If an argument is invalid or ρ = λ/(cμ) >= 1.
    """
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    _require_servers(c)
    p_wait = erlang_c(c, lam / mu)
    wq = p_wait / (c * mu - lam)
    w = wq + 1.0 / mu
    return QueueMetrics(Wq=wq, W=w, Lq=lam * wq, L=lam * w, rho=lam / (c * mu), p_wait=p_wait)


def round_robin_sigma(lam: float, mu: float, c: int) -> float:
    """GI/M/1 root σ for one queue behind a round-robin dispatcher.

    σ is the root in (0, 1) of σ = (λ / (λ + μ(1 − σ)))^c. It is also the probability that an
    arrival to the queue finds its server busy.

    Args:
        lam: Total Poisson arrival rate λ before dispatch (1/s), positive.
        mu: Service rate μ of each server (1/s), positive.
        c: Number of queues, integer >= 1.

    Returns:
        σ in [0, 1).

    Raises:
        ValueError: If an argument is invalid, ρ = λ/(cμ) >= 1, or ρ is so close to 1 that the
            root cannot be separated from the trivial root σ = 1 in double precision.
    """
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    _require_servers(c)
    _require_stable(lam / (c * mu))

    # f(σ) = g(σ) − σ is positive at 0, zero at the trivial root σ = 1, and negative between the
    # wanted root and 1. Small roots are solved for σ directly (relative precision of tiny σ).
    def f(sigma: float) -> float:
        return math.exp(-c * math.log1p(mu * (1.0 - sigma) / lam)) - sigma

    if f(0.5) < 0:
        return float(brentq(f, 0.0, 0.5, xtol=1e-300, maxiter=500))

    # Roots near 1 are solved for s = 1 − σ, which keeps full precision as ρ → 1 where σ itself
    # would round to 1; expm1/log1p keep h(s) = f(1 − s) accurate for tiny s.
    def h(s: float) -> float:
        return math.expm1(-c * math.log1p(mu * s / lam)) + s

    # h(1) = g(0) > 0 and h'(0) = 1 − 1/ρ < 0, so h is negative just above the trivial root s = 0;
    # halve towards 0 until such a point brackets the wanted root together with s = 1.
    s_lo = 1.0
    for _ in range(1100):
        s_lo *= 0.5
        if h(s_lo) < 0:
            break
    else:
        raise ValueError("rho is too close to 1 to solve for sigma in double precision")
    # An absolute xtol near zero so that tiny s (rho close to 1) is still fully resolved.
    s = brentq(h, s_lo, 1.0, xtol=1e-300, maxiter=500)
    return 1.0 - float(s)


def round_robin_ec_m1(lam: float, mu: float, c: int) -> QueueMetrics:
    """Per-queue metrics when a Poisson stream is dispatched round robin to c FIFO servers.

    Each queue receives every c-th arrival, so its inter-arrival times are Erlang-c with rate λ
    per phase and it behaves as an E_c/M/1 queue: Wq = σ/(μ(1 − σ)), W = Wq + 1/μ with σ from
    :func:`round_robin_sigma`. This is less variable than Poisson input, so waits are shorter
    than an M/M/1 queue at the same utilisation, yet longer than a shared M/M/c queue.

    Args:
        lam: Total Poisson arrival rate λ before dispatch (1/s), positive.
        mu: Service rate μ of each server (1/s), positive.
        c: Number of queues, integer >= 1.

    Returns:
        Metrics of one queue: ``Lq`` and ``L`` count customers at a single queue (multiply by
        ``c`` for the whole fleet); ``p_wait`` is σ. Since the queues are identical, ``Wq`` and
        ``W`` are also the system-wide means.

    Raises:
        ValueError: If an argument is invalid or ρ = λ/(cμ) >= 1.
    """
    sigma = round_robin_sigma(lam, mu, c)
    wq = sigma / (mu * (1.0 - sigma))
    w = wq + 1.0 / mu
    lam_q = lam / c
    return QueueMetrics(Wq=wq, W=w, Lq=lam_q * wq, L=lam_q * w, rho=lam / (c * mu), p_wait=sigma)


def mm1_ps_sojourn(lam: float, mu: float, x: float | None = None) -> float:
    """Mean sojourn time in an M/M/1 processor-sharing queue.

    Args:
        lam: Arrival rate λ (1/s), positive.
        mu: Service rate μ (1/s), positive; mean job size is 1/μ seconds of work.
        x: Optional job size in seconds of work. If given, returns the conditional mean sojourn
            of a job of that size, x/(1 − ρ); otherwise the overall mean 1/(μ − λ).

    Returns:
        Mean sojourn time (s).

    Raises:
        ValueError: If a rate or ``x`` is not positive, or ρ = λ/μ >= 1.
    """
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    rho = lam / mu
    _require_stable(rho)
    if x is None:
        return 1.0 / (mu - lam)
    _require_positive("x", x)
    return x / (1.0 - rho)
