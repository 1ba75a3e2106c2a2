import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetsim.analysis.theory import (
    QueueMetrics,
    erlang_c,
    mm1,
    mm1_ps_sojourn,
    mmc,
    round_robin_ec_m1,
    round_robin_sigma,
)


def assert_metrics_close(a: QueueMetrics, b: QueueMetrics, rel: float = 1e-9) -> None:
    for field in ("Wq", "W", "Lq", "L", "rho", "p_wait"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=rel), field


def test_mm1_textbook_values() -> None:
    expected = QueueMetrics(Wq=0.4, W=0.5, Lq=3.2, L=4.0, rho=0.8, p_wait=0.8)
    assert_metrics_close(mm1(8.0, 10.0), expected)


def test_erlang_c_reference_check_value() -> None:
    m = mmc(160.0, 10.0, 20)
    assert m.rho == pytest.approx(0.8)
    assert (m.Wq, m.W) == pytest.approx((0.0064019, 0.1064019), abs=5e-8)
    assert math.isclose(m.L, 160.0 * m.W)  # Little's law


def test_erlang_c_matches_factorial_formula() -> None:
    c, a = 5, 3.7
    rho = a / c
    tail = a**c / math.factorial(c) / (1 - rho)
    expected = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-12)


def test_mmc_with_one_server_is_mm1() -> None:
    assert_metrics_close(mmc(8.0, 10.0, 1), mm1(8.0, 10.0))


def test_round_robin_reference_check_value() -> None:
    assert round_robin_sigma(160.0, 10.0, 20) == pytest.approx(0.64380, abs=5e-6)
    m = round_robin_ec_m1(160.0, 10.0, 20)
    assert (m.Wq, m.W) == pytest.approx((0.18074, 0.28074), abs=5e-6)
    assert math.isclose(m.L, 160.0 / 20 * m.W)  # Little's law at one queue


def test_round_robin_with_one_queue_is_mm1() -> None:
    assert_metrics_close(round_robin_ec_m1(8.0, 10.0, 1), mm1(8.0, 10.0))


@pytest.mark.parametrize("c", [500, 1000])
def test_large_c_is_finite(c: int) -> None:
    mu = 10.0
    lam = 0.95 * c * mu
    shared = mmc(lam, mu, c)
    rr = round_robin_ec_m1(lam, mu, c)
    for m in (shared, rr):
        assert all(math.isfinite(v) for v in (m.Wq, m.W, m.Lq, m.L))
        assert 0 < m.p_wait < 1
    # Pooling beats round robin, which beats independent M/M/1 queues.
    assert shared.Wq < rr.Wq < mm1(lam / c, mu).Wq


def test_round_robin_near_saturation_matches_heavy_traffic() -> None:
    # Kingman: Wq ~ (ca^2 + cs^2)/2 * rho/(1-rho) / mu, with ca^2 = 1/c for Erlang-c arrivals.
    c, mu, rho = 4, 1.0, 1 - 1e-7
    wq = round_robin_ec_m1(rho * c * mu, mu, c).Wq
    assert wq == pytest.approx((1 / c + 1) / 2 * rho / (1 - rho) / mu, rel=1e-5)


@given(
    c=st.integers(min_value=1, max_value=200),
    rho=st.floats(min_value=0.01, max_value=0.99),
    mu=st.floats(min_value=0.1, max_value=100.0),
)
def test_round_robin_sigma_solves_its_equation(c: int, rho: float, mu: float) -> None:
    lam = rho * c * mu
    sigma = round_robin_sigma(lam, mu, c)
    assert 0 <= sigma < 1
    assert sigma == pytest.approx((lam / (lam + mu * (1 - sigma))) ** c, rel=1e-9, abs=1e-300)
    assert round_robin_ec_m1(lam, mu, c).Wq <= mm1(lam / c, mu).Wq * (1 + 1e-9)


def test_processor_sharing() -> None:
    assert mm1_ps_sojourn(8.0, 10.0) == pytest.approx(0.5)
    assert mm1_ps_sojourn(8.0, 10.0, x=0.3) == pytest.approx(1.5)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mm1(10.0, 10.0),
        lambda: mm1(0.0, 10.0),
        lambda: mm1(1.0, -1.0),
        lambda: mm1(float("nan"), 1.0),
        lambda: mmc(200.0, 10.0, 20),
        lambda: mmc(1.0, 10.0, 0),
        lambda: erlang_c(3, 3.0),
        lambda: round_robin_ec_m1(200.0, 10.0, 20),
        lambda: round_robin_ec_m1(1.0, 10.0, 0),
        lambda: mm1_ps_sojourn(12.0, 10.0),
        lambda: mm1_ps_sojourn(1.0, 10.0, x=0.0),
    ],
)
def test_invalid_arguments_raise(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()
