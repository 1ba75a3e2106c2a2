"""The "what happened" story: sentences with minute marks from event rows and counts."""

from __future__ import annotations

import fleetsim
from fleetsim.analysis.report import story_lines
from fleetsim.analysis.story import GAP_S, Line, tell
from fleetsim.record.rows import EventRow
from fleetsim.sim.world import simulate


def ev(time: float, kind: str, az: str | None = None, inst: str | None = None, detail: str = ""):  # type: ignore[no-untyped-def]
    scope = kind.split(".")[0]
    return EventRow(time, kind, scope, az, inst, detail)


def initial_fleet() -> list[EventRow]:
    rows = []
    for k, az in enumerate(["a", "b"], start=1):
        inst = f"i-{k}"
        rows += [
            ev(0, "asg.Pending", az, inst, "initial fleet"),
            ev(0, "ec2.running", az, inst),
            ev(0, "asg.InService", az, inst),
            ev(0, "target.healthy", az, inst),
        ]
    return rows


def sentences(lines: list[Line]) -> list[str]:
    return [line.sentence for line in lines]


def test_the_initial_fleet_is_not_told() -> None:
    assert tell(initial_fleet()) == []


def test_an_outage_is_told_in_order_with_its_minutes() -> None:
    rows = [
        *initial_fleet(),
        ev(600, "fault.az_outage.start", "b", detail="duration=300"),
        ev(600, "alb.node_down", "b"),
        ev(630, "target.unhealthy", "b", "i-2"),
        ev(700, "alb.dns_removed", "b"),
        ev(720, "asg.Terminating", "b", "i-2", "EC2 status check: impaired"),
        ev(720, "asg.Pending", "a", "i-3", "replacing i-2"),
        ev(750, "ec2.running", "a", "i-3"),  # a lifecycle step: not told
        ev(790, "target.healthy", "a", "i-3"),
        ev(900, "fault.az_outage.end", "b"),
    ]
    told = sentences(tell(rows))
    assert told == [
        "Minute 10: Availability Zone b goes down for 5 minutes: its instances and its load "
        "balancer node stop answering.",
        "Minute 10: The load balancer's node in b is down with its zone; clients that DNS still "
        "sends there fail.",
        "Minute 10: The load balancer's health checks mark 1 instance in b unhealthy (i-2) and "
        "stop sending them requests.",
        "Minute 11: DNS stops handing out the load balancer's address in b; clients move to the "
        "other zones as their cached answers expire.",
        "Minute 12: The Auto Scaling group terminates 1 instance in b (EC2 status check: "
        "impaired).",
        "Minute 12: The Auto Scaling group launches 1 replacement in a (i-3).",
        "Minute 13: 1 replacement in a passes its health checks and takes requests (i-3).",
        "Minute 15: Availability Zone b comes back: its instances and network answer again.",
    ]


def test_a_burst_of_one_topic_is_one_sentence_and_a_gap_starts_another() -> None:
    rows = [
        ev(100, "target.unhealthy", "a", "i-1"),
        ev(100 + GAP_S, "target.unhealthy", "b", "i-2"),  # within the gap of the last one
        ev(100 + 2 * GAP_S + 1, "target.unhealthy", "b", "i-3"),  # beyond it: a new burst
    ]
    lines = tell(rows)
    assert [(line.start, line.end) for line in lines] == [
        (100, 100 + GAP_S),
        (100 + 2 * GAP_S + 1, 100 + 2 * GAP_S + 1),
    ]
    assert lines[0].mark == "Minutes 1–3"
    assert "2 instances in a (1) and b (1) unhealthy (i-1, i-2)" in lines[0].text


def test_rebalancing_launches_and_terminations_are_one_sentence() -> None:
    rows = [
        ev(2100, "asg.Pending", "b", "i-9", "AZ rebalancing"),
        ev(2140, "asg.Terminating", "a", "i-1", "AZ rebalancing"),
        ev(2140, "asg.Pending", "b", "i-10", "AZ rebalancing"),
        ev(2160, "target.healthy", "b", "i-9"),
        ev(2180, "asg.Terminating", "c", "i-3", "AZ rebalancing"),
    ]
    told = sentences(tell(rows))
    assert told == [
        "Minutes 35–36: The Auto Scaling group rebalances its zones: it launches 2 instances in b "
        "and terminates 2 in a (1) and c (1).",
        "Minute 36: 1 rebalancing instance in b passes its health checks and takes requests (i-9).",
    ]


def test_a_target_that_recovers_is_told_as_healthy_again() -> None:
    rows = [
        *initial_fleet(),
        ev(60, "target.unhealthy", "a", "i-1"),
        ev(400, "target.healthy", "a", "i-1"),
    ]
    told = sentences(tell(rows))
    assert told[-1] == "Minute 6: 1 instance in a passes its health checks again (i-1)."


def test_an_unknown_fault_is_told_generically_and_other_unknown_kinds_not_at_all() -> None:
    rows = [
        ev(120, "fault.cosmic_ray.start", "a"),
        ev(130, "something.else", "a"),
        ev(180, "fault.cosmic_ray.end", "a"),
    ]
    assert sentences(tell(rows)) == [
        "Minute 2: Fault 'cosmic ray' in a begins.",
        "Minute 3: Fault 'cosmic ray' ends.",
    ]


def test_lost_sessions_and_failures_are_counted_per_run_of_minutes() -> None:
    lost = [(61.0, "instance_terminated"), (125.0, "instance_terminated"), (130.0, "rerouted")]
    lost += [(600.0, "instance_terminated")]  # minute 10: a separate run
    failed = [(60.0, "000 alb_node_down", 5), (61.0, "504 target_timeout", 2), (62.0, "x", 0)]
    lines = tell([], lost, failed)
    assert sentences(lines) == [
        "Minute 1: 7 requests fail (5: sent to a load balancer node that is down; 2: timed out "
        "waiting for an instance).",
        "Minutes 1–2: 3 users lose their session and must log in again (2: the instance holding "
        "it went down or was terminated; 1: the load balancer sent the user to another "
        "instance).",
        "Minute 10: 1 user loses their session and must log in again (the instance holding it "
        "went down or was terminated).",
    ]


def test_a_real_az_outage_tells_the_failure_and_its_recovery_at_the_scenario_minutes() -> None:
    fault = fleetsim.load_scenario("az-outage", "stateful").faults[0]
    down, up = fault.at / 60, (fault.at + fault.duration) / 60
    # Cut the run five minutes after the recovery (the faults' times stay the file's).
    cut = [f"duration={fault.at + fault.duration + 300:g}"]
    result = simulate(fleetsim.load_scenario("az-outage", "stateful", cut))
    told = sentences(story_lines(result))
    zone = fault.az
    failure = f"Minute {down:g}: Availability Zone {zone} goes down for {fault.duration / 60:g}"
    recovery = f"Minute {up:g}: Availability Zone {zone} comes back"
    first = next(i for i, s in enumerate(told) if s.startswith(failure))
    back = next(i for i, s in enumerate(told) if s.startswith(recovery))
    assert first < back
    between = told[first:back]
    # In between: health checks, DNS, replacements in service and lost sessions, in that order.
    kinds = ["health checks mark", "DNS stops", "replacement", "lose their session"]
    where = [next(i for i, s in enumerate(between) if k in s) for k in kinds]
    assert where[:3] == sorted(where[:3])
    assert any("rebalances its zones" in s for s in told[back:])
