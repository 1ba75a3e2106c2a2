"""Traffic: load shapes, trace replay, client retries, warm start."""

import math

import numpy as np
import pytest
from scipy import stats

import fleetsim
from fleetsim.config import ConfigError, load_scenario
from fleetsim.config.shapes import DiurnalShape, ProductShape, RampShape
from fleetsim.sim.shapes import build_shape
from fleetsim.traces import load_trace
from tests.conftest import BASE, merge

ROOT_TRACES = "tests/data/traces"


def test_ramp_and_diurnal_shapes():
    ramp = build_shape(RampShape(start_rate=10, end_rate=30, at=100, duration=100))
    assert [ramp.rate(t) for t in (0, 150, 300)] == [10, 20, 30]
    day = build_shape(DiurnalShape(mean=100, amplitude=0.5, peak_hour=14, start_hour=0))
    assert day.rate(14 * 3600) == pytest.approx(150)
    assert day.rate(2 * 3600) == pytest.approx(50)
    assert day.max_rate() == 150


def test_composite_shapes():
    shape = {
        "kind": "sum",
        "of": [
            {"kind": "constant", "rate": 10},
            {"kind": "spike", "base": 0, "peak": 20, "at": 10, "rise": 0},
        ],
    }
    sc = load_scenario(_with_shape(merge(BASE, {}), shape))
    shape = build_shape(sc.traffic.shape)
    assert shape.rate(0) == 10 and shape.rate(20) == 30
    prod = build_shape(
        ProductShape.model_validate(
            {"of": [{"kind": "constant", "rate": 4}, {"kind": "constant", "rate": 0.5}]}
        )
    )
    assert prod.rate(0) == 2


def _with_shape(data, shape):
    data["traffic"]["shape"] = shape
    return data


def _replay(shape, duration):
    data = merge(
        BASE,
        {
            "duration": duration,
            "traffic": {
                "requests_per_session": 1,
                "think_time": 0,
                "warm_start": False,
            },
            "asg": {"min_size": 6, "max_size": 6, "desired_capacity": 6},
            # Enough CPU that no request fails: retries would add to the replayed arrivals.
            "instance": {"type": "m5.xlarge"},
        },
    )
    return fleetsim.simulate(load_scenario(_with_shape(data, shape)))


def test_rate_trace_replay_matches_the_trace_within_poisson_noise():
    # 1 h of the NASA launch-day trace from 09:00, x20: each bin's count is Poisson with mean
    # 20 * trace count. Per-minute simulated arrivals against that mean: a chi-square test at
    # the 0.1 % level (a correct replay fails it once in a thousand seeds; the seed is fixed).
    shape = {"kind": "trace", "file": "nasa-1995-07-13", "scale": 20, "offset": "9h"}
    result = _replay(shape, 3600)
    trace = load_trace(result.scenario["traffic"]["shape"]["file"])
    expected = trace.counts[9 * 3600 : 10 * 3600].reshape(60, 60).sum(axis=1) * 20.0
    observed = result.timeline["arrivals"].to_numpy().reshape(60, 60).sum(axis=1)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert stats.chi2.sf(chi2, df=60) > 0.001, chi2
    assert abs(observed.sum() - expected.sum()) < 4 * math.sqrt(expected.sum())


def test_speedup_compresses_time():
    shape = {"kind": "trace", "file": "nasa-1995-07-13", "scale": 20, "offset": "9h", "speedup": 2}
    result = _replay(shape, 1800)
    trace = load_trace(result.scenario["traffic"]["shape"]["file"])
    expected = trace.counts[9 * 3600 : 10 * 3600].sum() * 20.0
    assert abs(result.summary()["requests_total"] - expected) < 4 * math.sqrt(expected)


def test_request_level_log_replays_every_line_once():
    shape = {
        "kind": "trace",
        "file": f"{ROOT_TRACES}/nasa_19950801_derived_head2000.clf.log",
        "exact": True,
    }
    result = _replay(shape, 6400)
    assert result.summary()["requests_total"] == 2000


def test_missing_trace_file_names_the_field():
    with pytest.raises(ConfigError, match=r"traffic\.shape\.file"):
        load_scenario(_with_shape(merge(BASE, {}), {"kind": "trace", "file": "nope.csv"}))


def test_exact_replay_of_a_rate_trace_is_a_clear_error():
    with pytest.raises(ValueError, match="rate trace"):
        _replay({"kind": "trace", "file": "nasa-1995-07-13", "exact": True}, 10)


def _failing_world(retries):
    # No instance at all: every request fails 503 no_registered_targets at once.
    data = merge(
        BASE,
        {
            "duration": 300,
            "traffic": {
                "shape": {"kind": "constant", "rate": 1},
                "requests_per_session": 5,
                "think_time": 10,
                "warm_start": False,
                "abandon_after_failures": 2,
                "retries": retries,
            },
            "asg": {"min_size": 0, "max_size": 0, "desired_capacity": 0},
            "record": {"requests": True},
        },
    )
    return fleetsim.simulate(load_scenario(data))


def test_client_retries_back_off_exponentially_then_the_user_gives_up():
    result = _failing_world({"count": 3, "base": 1, "multiplier": 2, "jitter": "none"})
    req = result.requests
    assert (req.outcome == "503 no_registered_targets").all()
    finished = req[req.arrived < 200].groupby("user")
    for _, attempts in list(finished)[:20]:
        times = attempts.arrived.to_numpy()
        # 4 attempts (1 + 3 retries) 1, 2, 4 s apart, a think time, 4 more, then abandonment.
        assert len(times) == 8
        assert np.allclose(np.diff(times[:4]), [1, 2, 4])
        assert np.allclose(np.diff(times[4:]), [1, 2, 4])
    assert result.summary()["sessions_total"] == 0  # nobody ever logged in


def test_full_jitter_stays_within_the_backoff():
    result = _failing_world({"count": 1, "base": 4, "jitter": "full"})
    gaps = result.requests.groupby("user").arrived.apply(lambda s: s.iloc[1] - s.iloc[0])
    assert (gaps >= 0).all() and (gaps <= 4).all() and gaps.std() > 0.5


def test_warm_start_begins_with_users_in_progress():
    data = merge(BASE, {"duration": 60, "traffic": {"shape": {"kind": "constant", "rate": 40}}})
    tl = fleetsim.simulate(load_scenario(data)).timeline
    # rate 40 req/s, think 5 s: about 200 users in progress; the first seconds already carry
    # close to the full rate (an empty start would ramp up over a session length).
    assert tl.arrivals.iloc[:10].mean() > 30
