"""Documented AWS behaviour, measured on seeded runs: one validation-report row per behaviour.

Each test measures what the simulator does in a situation the fact sheet
(``docs/aws-behaviour.md``) documents, states the documented figure, and records both as a row of
``docs/validation.md`` through the ``validation_report`` fixture (which also fails the test when
the row does not pass).
"""

from __future__ import annotations

import pandas as pd
import pytest
import simpy

from fleetsim.config.catalog import instance_type
from fleetsim.config.clients import ClientsConfig
from fleetsim.config.models import AlbConfig
from fleetsim.record.recorder import Recorder
from fleetsim.record.result import Result
from fleetsim.sim.alb import LoadBalancer
from fleetsim.sim.clients import DNS_TTL_S
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Request, User
from fleetsim.sim.instance import BILLING_MINIMUM_S, Instance
from fleetsim.sim.rng import RandomStreams
from fleetsim.sim.target_group import TargetGroup
from fleetsim.sim.world import simulate
from tests.conftest import make_scenario

OUTAGE_AT = 300.0
B = "us-east-1b"
CONNECT = ClientsConfig().connect_timeout  # a client's connect to a dead ALB node


@pytest.fixture(scope="module")
def outage_runs() -> list[Result]:
    """Two AZ-b outages on a fleet of six (two per AZ), with per-request rows."""
    fault = {"kind": "az_outage", "az": "b", "at": OUTAGE_AT, "duration": 600}
    sc = make_scenario(
        duration=1200,
        asg={"min_size": 6, "max_size": 6, "desired_capacity": 6},
        faults=[fault],
        record={"requests": True},
    )
    return [simulate(sc, seed) for seed in (1, 2, 3)]


def _first(ev: pd.DataFrame, kind: str, instance: str) -> float:
    return float(ev[(ev.kind == kind) & (ev.instance == instance)].time.min())


def test_unreachable_target_leaves_rotation_within_35_to_65_s(outage_runs, validation_report):
    # interval 30 s, timeout 5 s, unhealthy threshold 2 (§1.1): the second failed check ends
    # between interval*(threshold-1)+timeout = 35 s and interval*threshold+timeout = 65 s after
    # the target stops answering, depending on where in its interval the outage falls.
    delays = []
    for result in outage_runs:
        ev = result.events
        dead = ev[(ev.az == B) & (ev.kind == "asg.InService") & (ev.time == 0)].instance
        delays += [_first(ev, "target.unhealthy", name) - OUTAGE_AT for name in dead]
    validation_report.aws(
        "An unreachable target leaves rotation",
        "35–65 s (interval 30 s × unhealthy threshold 2, timeout 5 s)",
        "§1.1",
        f"{len(delays)} targets: {min(delays):.1f}–{max(delays):.1f} s",
        len(delays) == 6 and all(35.0 < d <= 65.0 for d in delays),
    )


def test_requests_to_an_unreachable_target_fail_504_after_10_s(outage_runs, validation_report):
    latencies = pd.concat(
        [
            r.requests.query("outcome == '504 target_timeout' and arrived >= @OUTAGE_AT").eval(
                "ended - arrived"
            )
            for r in outage_runs
        ]
    )
    validation_report.aws(
        "A request sent to an unreachable target",
        "connect timeout 10 s (fixed), then 504",
        "§1.3, §1.4",
        f"{len(latencies)} requests 504 target_timeout, latency {latencies.min():g}–"
        f"{latencies.max():g} s (+{CONNECT:g} s for a client's failed connect to the dead node)",
        len(latencies) > 0 and bool(latencies.round(9).isin([10.0, 10.0 + CONNECT]).all()),
    )


def test_a_failed_azs_alb_node_leaves_dns_after_150_s(outage_runs, validation_report):
    removed, windows = [], []
    for r in outage_runs:
        ev, req = r.events, r.requests
        removed.append(float(ev[ev.kind == "alb.dns_removed"].time.iloc[0]) - OUTAGE_AT)
        dead = req[req.outcome == "000 alb_node_down"].arrived - OUTAGE_AT
        windows.append((float(dead.min()), float(dead.max()), len(dead)))
    n = sum(w[2] for w in windows)
    validation_report.aws(
        "A failed AZ's ALB node stays in DNS, then in clients' caches (they get no answer)",
        "≈150 s: Route 53 30 s × 3 checks + 60 s propagation (derived estimate, default); "
        "then at most the 60 s TTL",
        "§6, §8, §9.9",
        f"removed after {min(removed):g}–{max(removed):g} s; {n} requests 000 alb_node_down, "
        f"all sent {min(w[0] for w in windows):.1f}–{max(w[1] for w in windows):.1f} s "
        "after the outage",
        all(x == 150.0 for x in removed)
        and all(w[0] >= 0 and w[1] < 150.0 + DNS_TTL_S for w in windows),
    )


def test_a_new_target_needs_one_passing_check(outage_runs, validation_report):
    # A new target is registered when EC2 reports the instance running, before its app answers
    # (§8); checks at a random phase fail until then. The first check after the app answers
    # (within one interval, 30 s) makes it healthy, and the ALB routes nothing to it before.
    waits, early = [], 0
    for r in outage_runs:
        ev, req = r.events, r.requests
        for name in ev[ev.kind == "target.initial"].instance:
            registered = max(_first(ev, "target.initial", name), _first(ev, "app.ready", name))
            healthy = _first(ev, "target.healthy", name)
            checks = ev[(ev.instance == name) & ev.kind.str.startswith("target.")]
            waits.append(healthy - registered)
            early += int((req[req.instance == name].arrived < healthy).sum())
            early += int((checks.time < healthy).sum() - 1)  # only `initial` before healthy
    validation_report.aws(
        "A newly registered target gets traffic",
        "after one passing health check (state `initial` until then)",
        "§1.1",
        f"{len(waits)} new targets healthy {min(waits):.1f}–{max(waits):.1f} s after "
        f"registration and the app answering (first check, interval 30 s); {early} requests "
        "before",
        len(waits) >= 6 and early == 0 and all(0 <= w < 30.0 for w in waits),
    )


def _instance(env: simpy.Environment, rec: Recorder, name: str, cpu: float) -> Instance:
    def failed(req: Request, now: float, cause: str) -> None:
        req.fail(rec, now, cause)

    inst = Instance(
        env,
        rec,
        name,
        "us-east-1a",
        instance_type("m5.large"),
        4,
        4,
        lambda: cpu,
        lambda r, t: r.succeed(rec, t),
        failed,
    )
    inst.transition("running")
    inst.app_up = True
    return inst


def _lb(
    env: simpy.Environment, rec: Recorder, routed: list[Instance]
) -> tuple[LoadBalancer, TargetGroup]:
    streams = RandomStreams(1)
    lb = LoadBalancer(env, rec, AlbConfig(), streams, ["us-east-1a"])
    tg = TargetGroup(
        env,
        rec,
        AlbConfig(),
        ["us-east-1a"],
        streams,
        "alb",
        lambda req, inst: routed.append(inst),
        lambda req, now, cause: req.fail(rec, now, cause),
    )
    lb.attach(tg)
    return lb, tg


def test_fail_open_routes_to_every_target_when_none_is_healthy(validation_report):
    env, rec, routed = Engine(), Recorder(100), []
    lb, tg = _lb(env, rec, routed)
    insts = [_instance(env, rec, f"i-{k}", 1.0) for k in range(3)]
    for inst in insts:
        tg.register(inst, healthy=True)

    def spread(n: int) -> int:
        routed.clear()
        for k in range(n):
            req = Request(k, User(k, 1), env.now)
            rec.arrival(env.now)
            lb.handle(req)
        return len(set(routed))

    tg.set_health(insts[0], "unhealthy")
    tg.set_health(insts[1], "unhealthy")
    one_healthy = spread(30)
    tg.set_health(insts[2], "unhealthy")
    none_healthy = spread(30)
    validation_report.aws(
        "Every target is unhealthy (fail-open)",
        "route to all targets (minimum_healthy_targets.count default 1)",
        "§1.1",
        f"3 targets: 1 healthy → requests go to {one_healthy}; "
        f"0 healthy → requests go to {none_healthy}",
        AlbConfig().minimum_healthy_targets == 1 and one_healthy == 1 and none_healthy == 3,
    )


def _drain(cpu: float) -> tuple[float, list[tuple[str, float]]]:
    """Deregister at t = 10 a target serving one request of ``cpu`` s; return drain time, fails."""
    env, rec = Engine(), Recorder(2000)
    _, tg = _lb(env, rec, [])
    inst = _instance(env, rec, "i-1", cpu)
    tg.register(inst, healthy=True)
    req = Request(1, User(1, 1), 0.0)
    rec.arrival(0.0)
    inst.accept(req)
    drained: list[float] = []
    env.run(until=10.0)
    tg.deregister(inst, lambda i: drained.append(env.now))
    env.run(until=1500.0)
    fails = [(cause, float(series.index(1))) for cause, series in rec.failed.items()]
    return drained[0] - 10.0, fails


def test_deregistration_delay_default_300_s(validation_report):
    # deregistration_delay default 300 s (§1.2): a request still in flight when it ends fails.
    drain, fails = _drain(cpu=1000.0)
    validation_report.aws(
        "A draining target's in-flight requests",
        "may finish for the deregistration delay, default 300 s; then 5xx",
        "§1.2",
        f"drain ended after {drain:g} s; the request failed {fails[0][0]} at t = {fails[0][1]:g} s",
        AlbConfig().deregistration_delay == 300.0
        and drain == 300.0
        and fails == [("502 deregistration_timeout", 310.0)],
    )


def test_draining_an_idle_target_finishes_at_once(validation_report):
    drain, fails = _drain(cpu=0.5)  # the request finishes at t = 0.5, before deregistration
    validation_report.aws(
        "Draining a target with no requests in flight",
        "deregistration completes at once",
        "§1.2",
        f"drain ended after {drain:g} s (the drain polls once a second)",
        drain <= 1.0 and not fails,
    )


def test_billing_minimum_60_s(validation_report):
    # Per-second billing with a 60 s minimum on every entry into running (§3).
    env = Engine()
    inst = _instance(env, Recorder(1000), "i-1", 1.0)
    env.run(until=10.0)
    inst.transition("stopping")
    inst.transition("stopped")
    short = inst.billed_seconds
    inst.transition("pending")
    inst.transition("running")
    env.run(until=210.0)
    long = inst.bill_until(210.0) - short
    validation_report.aws(
        "Billing of a running period",
        "per second, 60 s minimum per entry into `running`",
        "§3",
        f"10 s running billed {short:g} s; 200 s running billed {long:g} s",
        BILLING_MINIMUM_S == 60.0 and short == 60.0 and long == 200.0,
    )


def test_az_rebalancing_may_exceed_max_by_10_percent_or_1(validation_report):
    # After AZ b returns, the group launches in b before terminating elsewhere (§2.3), so the
    # fleet briefly exceeds max_size, by at most max(1, 10 % of max).
    fault = {"kind": "az_outage", "az": "b", "at": 300, "duration": 600}
    sc = make_scenario(
        duration=1500,
        asg={"min_size": 3, "max_size": 3, "desired_capacity": 3},
        faults=[fault],
    )
    result = simulate(sc, 1)
    tl = result.timeline
    fleet = tl.in_service + tl.pending
    after = tl[tl.time >= 900]
    over = fleet[fleet > 3]
    span = f"{tl.time[over.index].min():g}–{tl.time[over.index].max():g} s" if len(over) else "-"
    validation_report.aws(
        "AZ rebalancing after an AZ returns",
        "launches before terminating; may exceed max by 10 % or 1 instance, whichever is greater",
        "§2.3",
        f"max 3: in service + pending peaked at {fleet.max():g} (at {span}); "
        f"in service never below {int(after.in_service.min())}",
        fleet.max() == 4 and after.in_service.min() >= 3 and (fleet[tl.time < 900] <= 3).all(),
    )
