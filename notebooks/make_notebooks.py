"""Generate the notebooks, outputs stripped: ``python notebooks/make_notebooks.py``.

The notebooks are code; this script is their source. Edit it, re-run it, commit both.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _nb(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_markdown_cell(src.strip()) if kind == "md" else new_code_cell(src.strip())
        for kind, src in cells
    ]
    return nb


TEACH = [
    (
        "md",
        """
# Lesson: what happens to users when an Availability Zone fails?

**For teachers.** Run top to bottom (under a minute). Every number below is computed by the
simulation, so you can change the scenario and re-run.

## What an AZ is
An AWS *Region* (say `us-east-1`) is made of several *Availability Zones* (AZs): separate data
centres with their own power, cooling and network, a few milliseconds apart. A well-built web
tier spreads its instances over several AZs behind a load balancer, so that losing one AZ loses
only part of the capacity. But capacity is not the only thing on an instance: if users'
**sessions** (who is logged in, what is in the cart) live in an instance's memory, they die
with it.

## The two designs
We compare two designs of the same web tier under the same traffic and the same failure:

* **stateful**: sessions in instance memory, sticky sessions on the load balancer;
* **stateless**: sessions in an external store (here an ideal one that never fails).
""",
    ),
    (
        "code",
        """
import fleetsim
from IPython.display import HTML
from fleetsim.analysis.animate import save_animation
from fleetsim.analysis.compare import run_variants
from fleetsim.analysis.plots import timeline_figure

# 40 minutes cover the failure and the recovery and keep the lesson quick.
SHORT = ["duration=40m"]
scenario = fleetsim.load_scenario("az-outage", variant="stateful", overrides=SHORT)
outage = scenario.faults[0]
print(scenario.description)
print("AZs:", scenario.azs, "| instances:", scenario.asg.desired_capacity, "| fault:", outage)
""",
    ),
    (
        "md",
        """
## The failure
Six instances (two per AZ), 100 requests/s, and AZ `us-east-1b` goes dark at minute 20 for 15
minutes. Both designs see exactly the same users (common random numbers): any difference is the
design.
""",
    ),
    (
        "code",
        """
results = run_variants("az-outage", overrides=SHORT)
summary = {name: r.summary() for name, r in results.items()}
for name, s in summary.items():
    print(f"{name:10} requests failed {s['requests_failed']:6,}   sessions lost "
          f"{s['sessions_lost']:5,}   p99 latency {s['latency_p99_s']:.3f} s")
""",
    ),
    (
        "md",
        """
## Minute by minute
Top: requests per second by outcome. Middle: instances in service per AZ (the Auto Scaling group
replaces the lost ones in the other AZs, then rebalances when `us-east-1b` returns). Bottom:
sessions lost per minute.
""",
    ),
    ("code", "fig = timeline_figure(results)\nfig"),
    (
        "md",
        """
## The animation
The stateful design as the fleet sees it, one frame per simulated minute: each box is an
instance, coloured by its state; the AZ panel turns pink while the AZ is down. Press play.
""",
    ),
    (
        "code",
        """
path = save_animation(results["stateful"], "az-outage-fleet.html", step_s=60, fps=4)
HTML(path.read_text())
""",
    ),
    (
        "md",
        """
## Questions for students
1. *Which requests fail in both designs, and why?*
2. *When exactly does the stateful design lose sessions? Why twice?*
3. *Would more instances have saved the stateful design's sessions?*

The answers the simulation gives follow; hide them before class.
""",
    ),
    (
        "code",
        """
stateful, stateless = results["stateful"], results["stateless"]
causes = {name: set(s["failed_by_cause"]) for name, s in summary.items()}
shared = sorted(causes["stateful"] & causes["stateless"])
print("1. Failure causes seen in both designs:", shared)
for name, s in summary.items():
    print("  ", name, s["failed_by_cause"])
print("   000 = the dead AZ's load-balancer node, still in DNS; 502 = requests in flight on the")
print("   dead instances; 504 = requests sent to them before health checks took them out.")
""",
    ),
    (
        "code",
        """
lost = stateful.sessions[stateful.sessions.outcome == "lost"]
minutes = (lost.end // 60).astype(int)
start, end = outage.at / 60, (outage.at + outage.duration) / 60
during = int(((minutes >= start) & (minutes < end)).sum())
after = int((minutes >= end).sum())
print(f"2. The stateful design loses {len(lost)} sessions: {during} while the AZ is down "
      f"(minutes {start:.0f}-{end:.0f}) and {after} after it returns.")
rebalance = stateful.events[stateful.events.kind.str.startswith("asg.Terminating")]
print("   Instances the group terminates after the AZ returns (rebalancing):",
      int((rebalance.time >= outage.at + outage.duration).sum()))
print("   The losses by cause:", summary["stateful"]["lost_by_cause"])
""",
    ),
    (
        "code",
        """
bigger = run_variants(
    "az-outage", ["stateful"], overrides=[*SHORT, "asg.desired_capacity=12", "asg.max_size=24"]
)["stateful"].summary()
print(f"3. Stateful with 12 instances instead of 6 loses {bigger['sessions_lost']} sessions "
      f"(vs {summary['stateful']['sessions_lost']}); the stateless design loses "
      f"{summary['stateless']['sessions_lost']} with 6. More capacity does not protect state.")
""",
    ),
]

ENGINEER = [
    (
        "md",
        """
# Engineer: baked AMI, bootstrapped AMI or a warm pool under a flash crowd?

A flash crowd (×4 within two minutes) hits three instances with a target-tracking policy on 50 %
CPU (`scenarios/baked-vs-bootstrapped.yaml`). The policy reacts at the same moment in every
variant; what differs is how long a launch takes to take traffic. As in AWS, every new instance
is InService (and registered with the load balancer) as soon as EC2 reports it running; its
bootstrap runs while the ALB health-checks it. A bootstrapped AMI installs and builds at boot
(~5 min), fails its first health checks meanwhile and then needs five passing checks; a baked
AMI only boots (~36 s); a warm pool of stopped, pre-initialised instances resumes in ~21 s.
Compare `time_to_in_service_mean_s` (what the console shows) with `time_to_healthy_mean_s`
(when the instance starts serving).

One run is one draw of the dice. Here each variant runs **R = 3** times on seeds shared by the
variants (common random numbers), and the table gives each variant's 95 % confidence interval
and the paired difference against the first variant. Use more replications for real decisions.
""",
    ),
    (
        "code",
        """
import fleetsim
import matplotlib.pyplot as plt

# 20 minutes cover the crowd's arrival at minute 10 and the scale-out at minute 15. Every new
# instance is InService ~24 s after launch; a bootstrapped one answers its health checks only
# ~9 minutes later, after this window (its time to healthy shows as NaN here).
SHORT = ["duration=20m"]
R = 3
table = fleetsim.compare("baked-vs-bootstrapped", overrides=SHORT, replications=R, seed=7)
metrics = [
    "users_affected",
    "requests_failed",
    "latency_p99_s",
    "time_to_in_service_mean_s",
    "time_to_healthy_mean_s",
    "cost_usd",
]
table.loc[metrics].round(4)
""",
    ),
    (
        "md",
        """
## Failed requests and cost, with their intervals
""",
    ),
    (
        "code",
        """
variants = ["bootstrapped", "baked", "warm-pool"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, metric in zip(axes, ["requests_failed", "cost_usd"]):
    means = [table.loc[metric, (v, "mean")] for v in variants]
    low = [m - table.loc[metric, (v, "ci_low")] for m, v in zip(means, variants)]
    high = [table.loc[metric, (v, "ci_high")] - m for m, v in zip(means, variants)]
    ax.bar(variants, means, yerr=[low, high], capsize=4, color=["#c44", "#48c", "#4a4"])
    ax.set_title(f"{metric} (mean, 95 % CI, R={R})")
fig.tight_layout()
""",
    ),
    (
        "code",
        """
for other in ["baked", "warm-pool"]:
    label = f"bootstrapped - {other}"
    d = table.loc["requests_failed", label]
    print(f"{label}: {d['mean']:,.0f} more failed requests "
          f"[{d['ci_low']:,.0f}, {d['ci_high']:,.0f}], significant: {d['significant']}")
cost = {v: round(float(table.loc["cost_usd", (v, "mean")]), 4) for v in variants}
print("EC2 cost per variant (USD, 20 min):", cost)
""",
    ),
    (
        "md",
        """
The cost row is what each variant paid for EC2 in these 20 minutes, as measured (the EBS
volumes of stopped warm-pool instances are not modelled). Most of the failures left after a
baked AMI or a warm pool are the detection lag (the alarm's three one-minute datapoints plus the
publication delay), which no launch speed removes.

## The replacement loop (variant `replacement-loop`)

The fourth variant is the bootstrapped group with `health_check_type: ELB` and the API's default
grace period of 0 s, a combination that looks harmless and is the classic failure of slow
bootstraps. Follow one new instance: it is InService about 20 s after the launch request, when
EC2 reports it running, and registered as a target in `initial`. The ALB checks it every 30 s;
its app will not answer for about five minutes, so two checks fail and the target is
`unhealthy` roughly a minute after registration. With ELB health checks and no grace period the
group acts on that at its next periodic health evaluation: it terminates the instance and
launches a replacement, which starts the same five-minute bootstrap and meets the same fate a
minute later. The group never gets its new capacity, keeps paying for launches
(`instances_launched`), and every one of them ends up in `launches_never_healthy`, while the
crowd is served by the three original instances alone, so it fails more requests than the plain
bootstrapped variant.

Two documented cures break the loop: a grace period longer than the bootstrap plus the
recovery checks (the group ignores ELB health until it ends), or a launch lifecycle hook that
the user data completes when the app answers (the instance stays in `Pending:Wait`, is
registered only once the app is up, and passes its first check; then a grace period of 0 is
fine). Under `health_check_type: EC2` there is no loop, but a bootstrap that never brings the
app up is never replaced either: the ALB keeps the target unhealthy and the group keeps the
instance.
""",
    ),
]

ANALYST = [
    (
        "md",
        """
# Analyst: scaling curves and the cost-vs-failures frontier

A sweep of the flash-crowd scenario (`baked-vs-bootstrapped`, baked variant): the
target-tracking **target** × the **instance type** × the group's **max size**, full factorial.
Each point runs on the same seeds (common random numbers), so points differ only by their
settings. Short runs and one replication keep this notebook quick; raise `R` for intervals.
""",
    ),
    (
        "code",
        """
import fleetsim
import matplotlib.pyplot as plt
from fleetsim.analysis.plots import sweep_figure

grid = {
    "asg.policies.0.target": [40, 70],
    "instance.type": ["m5.large", "m5.xlarge"],
    "asg.max_size": [6, 12],
}
R = 1
table = fleetsim.sweep(
    "baked-vs-bootstrapped", grid, replications=R, variant="baked", overrides=["duration=20m"]
)
cols = [*grid, "requests_failed", "latency_p99_s", "cost_usd"]
table[cols].sort_values(cols[:3])
""",
    ),
    (
        "md",
        """
## Scaling curves
Failed requests against the target value, one line per instance type (max size 12): a higher
target lets each instance run hotter before the group grows.
""",
    ),
    (
        "code",
        """
big = table[table["asg.max_size"] == 12]
fig = sweep_figure(big, x="asg.policies.0.target", metric="requests_failed", by="instance.type")
fig
""",
    ),
    (
        "md",
        """
## The frontier
Every point by cost and failed requests. A point is on the **Pareto front** if no other point is
both cheaper and fails fewer requests; only those are worth choosing between.
""",
    ),
    (
        "code",
        """
points = table.groupby(list(grid), as_index=False)[["cost_usd", "requests_failed"]].mean()
points = points.sort_values(["cost_usd", "requests_failed"]).reset_index(drop=True)
front, best = [], float("inf")
for i, row in points.iterrows():
    if row.requests_failed < best:
        front.append(i)
        best = row.requests_failed
points["pareto"] = points.index.isin(front)

fig, ax = plt.subplots(figsize=(6, 4))
rest = points[~points.pareto]
ax.scatter(rest.cost_usd, rest.requests_failed, color="#bbb", label="dominated")
pf = points[points.pareto]
ax.plot(pf.cost_usd, pf.requests_failed, "o-", color="#c44", label="Pareto front")
for _, row in pf.iterrows():
    ax.annotate(
        f"{row['instance.type']}, t={row['asg.policies.0.target']}, max={row['asg.max_size']}",
        (row.cost_usd, row.requests_failed), fontsize=7, xytext=(4, 4),
        textcoords="offset points",
    )
ax.set_xlabel("cost (USD, 20 min)")
ax.set_ylabel("failed requests")
ax.legend()
points[points.pareto]
""",
    ),
]


def main() -> None:
    """Write the three notebooks next to this script."""
    for name, cells in (
        ("teach-az-failure", TEACH),
        ("engineer-ami-and-scaling", ENGINEER),
        ("analyst-scaling-curves", ANALYST),
    ):
        nbformat.write(_nb(cells), HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
