"""Coverage of the replication confidence interval against an exact M/M/c mean.

The model reduced to M/M/c (the reduction of tests/validation/test_mmc.py): one instance with
c = 4 workers on 4 vCPUs and an unbounded FIFO queue, exponential service with mean 0.1 s
(mu = 10/s), Poisson arrivals at lambda = 20/s (rho = 0.5), so the exact mean sojourn is
W = 0.1086957 s (Erlang C). Each replication runs 100 simulated seconds from an empty system
(~2,000 requests) with the first 10 s deleted as warm-up (the queue relaxes in well under a
second at rho = 0.5).

One experiment = R = 5 replications (seeds spawned from a master seed) → one 95 % t interval
of the mean latency. Over N = 200 independent experiments (master seeds 1000…1199) the number
of intervals covering W is Binomial(200, 0.95) if the machinery is honest: mean 190, sd 3.08.
We accept 95 % ± 4.6 points (3 sd, i.e. 181…199 of 200), which a correct implementation fails
with probability < 0.3 %; the seeds are fixed, so the test is deterministic. Measured: 193/200
(96.5 %); 1,000 runs, ~15 s on an idle core.
"""

from fleetsim.analysis.replicate import replicate
from fleetsim.analysis.stats import t_interval
from fleetsim.analysis.theory import mmc
from fleetsim.config import load_scenario

MMC = {
    "duration": 100,
    "azs": ["a"],
    "traffic": {
        "shape": {"kind": "constant", "rate": 20},
        "requests_per_session": 1,
        "think_time": 0,
        "warm_start": False,
    },
    "app": {"cpu_time": {"dist": "exponential", "mean": 0.1}, "workers": 4, "queue_size": 100000},
    # 4 vCPUs for 4 workers: no processor sharing, so the instance is exactly 4 FIFO servers.
    "instance": {"type": "m5.xlarge"},
    "asg": {"min_size": 1, "max_size": 1, "desired_capacity": 1},
    "state": {"sessions": "ideal"},
}
EXPERIMENTS = 200
REPLICATIONS = 5


def test_95_percent_interval_covers_the_exact_mean_95_percent_of_the_time():
    exact = mmc(lam=20, mu=10, c=4).W
    assert abs(exact - 0.1086957) < 1e-6
    sc = load_scenario(MMC)
    covered = 0
    for k in range(EXPERIMENTS):
        reps = replicate(sc, REPLICATIONS, seed=1000 + k, warmup_s=10)
        assert all(s["requests_failed"] == 0 for s in reps.summaries)
        ci = t_interval([s["latency_mean_s"] for s in reps.summaries])
        covered += ci.contains(exact)
    # Binomial(200, 0.95): 3 sd = 3 * sqrt(0.95 * 0.05 / 200) = 4.6 points of coverage.
    assert 181 <= covered <= 199, covered
