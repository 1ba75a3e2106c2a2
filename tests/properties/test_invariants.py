"""Property-based tests: every random valid scenario keeps the model's invariants.

Hypothesis draws scenarios over fleet sizes, 1–3 AZs, AZ outages (including every AZ at once),
load shapes and levels, worker pools and accept queues, instance-memory or ideal sessions,
stickiness, and EC2 or ELB health checks. Whatever it draws, a run must:

* balance its ledger (request and session conservation, ``Result.checks``; a broken ledger
  raises ``InvariantError`` before a Result exists);
* make only legal lifecycle changes (an illegal EC2 transition raises, so a completed run proves
  it; the ASG's ``Pending → InService → Terminating → Terminated`` order is checked from events);
* keep in-service + pending within [min, max], above max only by the rebalancing allowance
  (10 % or one instance, after an AZ returns, §2.3) and below min only while no AZ can launch;
* never show a negative queue, and agree with the recorder's time integral of requests in system;
* bill a non-negative cost that does not decrease when the same run is simulated longer.

Examples are derandomised (deterministic) and few enough to keep the module under ~30 s.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fleetsim.config import load_scenario
from fleetsim.sim.instance import EC2_TRANSITIONS
from fleetsim.sim.world import simulate

ASG_ORDER = ("Pending", "InService", "Terminating", "Terminated")
SETTINGS = settings(
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid scenario, as the dict a YAML file would hold."""
    duration = draw(st.integers(120, 900))
    azs = ["a", "b", "c"][: draw(st.integers(1, 3))]
    desired = draw(st.integers(1, 6))
    min_size = draw(st.integers(0, desired))
    max_size = draw(st.integers(desired, desired + 4))
    rate = draw(st.floats(1.0, 40.0))
    shape = draw(
        st.sampled_from(
            [
                {"kind": "constant", "rate": rate},
                {"kind": "spike", "base": rate, "peak": 2 * rate, "at": duration / 3, "rise": 30},
                {"kind": "step", "initial": rate, "steps": [[duration / 2, rate / 2]]},
            ]
        )
    )
    faults = []
    for az in azs:
        if draw(st.booleans()):
            at = draw(st.integers(0, duration - 1))
            faults.append(
                {"kind": "az_outage", "az": az, "at": at, "duration": draw(st.integers(1, 600))}
            )
    sessions = draw(st.sampled_from(["instance_memory", "ideal"]))
    return {
        "duration": duration,
        "seed": draw(st.integers(0, 2**32)),
        "azs": azs,
        "traffic": {
            "shape": shape,
            "requests_per_session": {"dist": "geometric", "mean": draw(st.floats(1.0, 20.0))},
            "think_time": {"dist": "exponential", "mean": draw(st.floats(0.5, 10.0))},
            "abandon_after_failures": draw(st.integers(1, 5)),
            "warm_start": draw(st.booleans()),
        },
        "app": {
            "cpu_time": {"dist": "exponential", "mean": draw(st.floats(0.005, 0.3))},
            "workers": draw(st.integers(1, 8)),
            "queue_size": draw(st.integers(0, 64)),
        },
        "asg": {
            "min_size": min_size,
            "max_size": max_size,
            "desired_capacity": desired,
            "health_check_type": draw(st.sampled_from(["EC2", "ELB"])),
            "health_check_grace_period": draw(st.sampled_from([0, 60, 300])),
        },
        "alb": {"stickiness": {"enabled": draw(st.booleans())}},
        "state": {"sessions": sessions},
        "faults": faults,
        "record": {"requests": True},
    }


def _all_down(data: dict[str, Any], t: float) -> bool:
    """True if every AZ is in an outage at time ``t`` (no AZ can launch)."""
    down = {f["az"] for f in data["faults"] if f["at"] <= t < f["at"] + f["duration"]}
    return len(down) == len(data["azs"])


@SETTINGS
@given(scenarios())
def test_every_run_keeps_the_invariants(data: dict[str, Any]) -> None:
    scenario = load_scenario(data)
    # Coverage labels (shown by --hypothesis-show-statistics).
    event(f"{len(data['azs'])} AZs, {len(data['faults'])} outages")
    event(
        "every AZ down at some time"
        if any(_all_down(data, f["at"]) for f in data["faults"])
        else "some AZ always up"
    )
    result = simulate(scenario)  # raises on an unbalanced ledger or an illegal EC2 transition
    assert all(c.ok for c in result.checks)
    summary = result.summary()
    assert summary["invariants_ok"]

    # Lifecycles, from the event log.
    ev = result.events
    for _, rows in ev[ev.kind.str.startswith("asg.")].groupby("instance"):
        states = [k.removeprefix("asg.") for k in rows.kind if k != "asg.launch_failed"]
        assert states == sorted(states, key=ASG_ORDER.index), states
        assert states[0] == "Pending" and len(set(states)) == len(states)
    for _, rows in ev[ev.kind.str.startswith("ec2.")].groupby("instance"):
        state = "pending"
        for kind in rows.kind:
            new = kind.removeprefix("ec2.")
            assert new in EC2_TRANSITIONS[state], (state, new)
            state = new

    # Fleet size within [min, max], with the documented exceptions.
    tl = result.timeline
    asg = data["asg"]
    fleet = tl.in_service + tl.pending
    ceiling = asg["max_size"] + max(1, int(0.1 * asg["max_size"]))  # §2.3
    assert (fleet <= ceiling).all()
    first_recovery = min((f["at"] + f["duration"] for f in data["faults"]), default=math.inf)
    assert (fleet[tl.time < first_recovery] <= asg["max_size"]).all()
    for t, n in zip(tl.time, fleet, strict=True):
        # Levels are sampled once a second: allow the sample taken just before a recovery.
        if n < asg["min_size"]:
            assert _all_down(data, t) or _all_down(data, t - 1.0), (t, n)

    # No negative levels; the recorder's integral agrees with the per-request rows.
    assert (tl.queued >= 0).all() and (tl.busy_workers >= 0).all()
    assert (tl.sessions_active >= 0).all()
    rec, duration = result.recorder, float(data["duration"])
    area = rec.time_average_in_system(duration) * duration
    finished = math.fsum(result.requests.ended - result.requests.arrived)
    # The gap is the time in system of the requests still in flight at the end: in [0, n·T].
    assert -1e-6 * max(1.0, area) <= area - finished <= rec.in_system * duration + 1e-6

    # Costs are non-negative and do not decrease with simulated time (same seed, same prefix).
    assert summary["cost_usd"] >= 0 and summary["instance_hours"] >= 0
    shorter = simulate(load_scenario({**data, "duration": data["duration"] // 2}))
    assert shorter.summary()["cost_usd"] <= summary["cost_usd"] + 1e-12
