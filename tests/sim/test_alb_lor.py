"""Least outstanding requests against round robin on heterogeneous service times (§1.2)."""

from fleetsim.analysis.stats import paired_difference, replication_seeds
from fleetsim.config import load_scenario
from fleetsim.sim.world import simulate
from tests.conftest import BASE, merge

REPLICATIONS = 8


def _scenario(algorithm: str):
    # Four targets of two workers; 90 % of requests take 20 ms and 10 % take 1 s (mean 0.118 s),
    # 45 requests/s: 66 % utilisation. Round robin keeps sending to a target stuck on 1-second
    # requests; LOR sends to the one with the fewest outstanding.
    data = merge(
        BASE,
        {
            "duration": 300,
            "asg": {"min_size": 4, "max_size": 4, "desired_capacity": 4},
            "alb": {"algorithm": algorithm},
            "state": {"sessions": "ideal"},
        },
    )
    data["traffic"]["shape"] = {"kind": "constant", "rate": 45}
    data["app"] = {
        "cpu_time": {"dist": "empirical", "samples": [0.02] * 9 + [1.0]},
        "workers": 2,
        "queue_size": 64,
    }
    return load_scenario(data)


def test_least_outstanding_requests_gives_a_lower_p99_than_round_robin():
    rr, lor = _scenario("round_robin"), _scenario("least_outstanding_requests")
    seeds = replication_seeds(2024, REPLICATIONS)
    p99_rr = [simulate(rr, seed=s).summary()["latency_p99_s"] for s in seeds]
    p99_lor = [simulate(lor, seed=s).summary()["latency_p99_s"] for s in seeds]
    diff = paired_difference(p99_lor, p99_rr)
    # Paired over 8 seeds (common random numbers: same users, same service-time draws).
    # Measured: p99 1.13 s (LOR) vs 2.16 s (RR); LOR − RR = −1.02 s, 95 % CI [−1.25, −0.79]
    # (the floor is 1 s: a tenth of the requests take that long wherever they go).
    # The claim is the sign: the whole interval must lie below zero.
    assert diff.diff.high < 0, diff
    assert diff.relative < -0.25  # and by a wide margin, not a rounding error
