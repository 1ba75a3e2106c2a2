"""Statistical validation: the model reduced to M/M/c matches Erlang C.

One instance with c = 20 workers and an unbounded queue, exponential service with mean 0.1 s
(mu = 10/s), Poisson arrivals at lambda = 160/s (rho = 0.8). Exact mean sojourn (queueing.md):
W = 0.1064019 s. Each replication runs 600 simulated seconds (~96k requests) from an empty
system; start-up bias is negligible next to that length (the queue's relaxation time is a few
seconds). The 95 % t-interval over 6 seeded replications must contain W: with a correct model
this fails for 5 % of seed sets, and the seeds are fixed, so the test is deterministic.
"""

from fleetsim.analysis.stats import replication_seeds, t_interval
from fleetsim.analysis.theory import mmc
from fleetsim.config import load_scenario
from fleetsim.sim.world import simulate

MMC = {
    "duration": 600,
    "azs": ["a"],
    "traffic": {
        "shape": {"kind": "constant", "rate": 160},
        "requests_per_session": 1,
        "think_time": 0,
        "warm_start": False,
    },
    "app": {"cpu_time": {"dist": "exponential", "mean": 0.1}, "workers": 20, "queue_size": 100000},
    # 32 vCPUs: the 20 workers never share a vCPU, so the processor-sharing instance is M/M/20.
    "instance": {"type": "m5.8xlarge"},
    "asg": {"min_size": 1, "max_size": 1, "desired_capacity": 1},
    "state": {"sessions": "ideal"},
}


def test_mean_latency_matches_erlang_c():
    exact = mmc(lam=160, mu=10, c=20).W
    assert abs(exact - 0.1064019) < 1e-6
    sc = load_scenario(MMC)
    means = []
    for seed in replication_seeds(2026, 6):
        s = simulate(sc, seed).summary()
        assert s["requests_failed"] == 0
        means.append(s["latency_mean_s"])
    ci = t_interval(means)
    assert ci.contains(exact), (ci, exact)
    # And the interval is tight enough to mean something: under 1 % of W.
    assert ci.half_width < 0.01 * exact
