"""How one instance fails, as AWS documents it (fact sheet §8 "Host failures", §1.1, §1.4, §2.2).

``instance_crash`` modes: ``host`` (impaired: running, answers nothing), ``stop`` (a clean stop)
and ``app`` (the process dies, the host answers with resets). Requests caught on a black-holed
target get no RST and end 504 at the idle timeout.
"""

from __future__ import annotations

import pytest

from tests.faults.helpers import events, instances_in, run

CRASH_AT = 200.0
INTERVAL, TIMEOUT, THRESHOLD = 30.0, 5.0, 2  # health-check defaults (§1.1)
CONNECT_TIMEOUT = 10.0  # §1.3
IMPAIRED_DELAY = 180.0  # asg.impaired_replacement_delay default ("a few minutes", §2.2)
# 30 req/s of 0.2 CPU-s over three 8-vCPU instances (8 workers): 25 % busy, about two requests
# in flight per instance at any instant, and the survivors absorb a lost instance's share without
# queueing, so every failure below is the crash's doing.
LIGHT = {
    "app": {"workers": 8, "cpu_time": {"dist": "exponential", "mean": 0.2}},
    "instance": {"type": "m5.2xlarge"},
}


def _crash(mode: str, **extra):  # type: ignore[no-untyped-def]
    fault = {"kind": "instance_crash", "at": CRASH_AT, "mode": mode}
    result = run({**LIGHT, **extra, "faults": [fault]})
    detail = events(result, "fault.instance_crash.start").detail.iloc[0]
    (name,) = detail.split("instances=")[1].split()
    return result, name


def _time(ev, kind: str, name: str) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(t) for t in ev[(ev.kind == kind) & (ev.instance == name)].time]


@pytest.fixture(scope="module")
def host():  # type: ignore[no-untyped-def]
    return _crash("host")


def test_an_impaired_host_stays_running_and_fails_requests_504_until_the_alb_takes_it_out(host):
    result, name = host
    req, ev = result.requests, result.events
    (out,) = _time(ev, "target.unhealthy", name)
    # A target that stops answering at t leaves rotation between t + interval x (threshold - 1)
    # + timeout and t + interval x threshold + timeout: 35-65 s at the defaults (§1.1).
    earliest = CRASH_AT + INTERVAL * (THRESHOLD - 1) + TIMEOUT
    assert earliest <= out <= CRASH_AT + INTERVAL * THRESHOLD + TIMEOUT
    # EC2 still says running: nothing stops it before the group replaces it.
    assert _time(ev, "ec2.shutting-down", name) == [CRASH_AT + IMPAIRED_DELAY]
    sent = req[(req.instance == name) & (req.arrived >= CRASH_AT)]
    # Every request routed to it meanwhile waits for the 10 s connect timeout and fails 504.
    assert set(sent.outcome) == {"504 target_timeout"}
    assert (sent.ended - sent.arrived).to_numpy() == pytest.approx(CONNECT_TIMEOUT)
    assert sent.arrived.max() < out  # none once it is out of rotation
    # Round robin over three targets: a third of the window's requests went to it (Poisson
    # noise on the arrivals, 4 standard deviations).
    window = req[(req.arrived >= CRASH_AT) & (req.arrived < out)]
    expected = len(window) / 3
    assert abs(len(sent) - expected) < 4 * expected**0.5 + 3
    # 30 req/s for 35-65 s: a few hundred failures, where the clean stop fails a handful.
    assert len(sent) > 100


def test_an_impaired_host_is_replaced_after_the_impaired_delay(host):
    result, name = host
    ev = result.events
    term = ev[(ev.kind == "asg.Terminating") & (ev.instance == name)]
    # Impaired status: the group waits "a few minutes" before acting (§2.2, §8).
    assert list(zip(term.time, term.detail, strict=True)) == [
        (CRASH_AT + IMPAIRED_DELAY, "EC2 status check: impaired")
    ]
    launched = ev[(ev.kind == "asg.Pending") & (ev.time == CRASH_AT + IMPAIRED_DELAY)]
    assert len(launched) == 1
    assert result.summary()["invariants_ok"]


def test_in_flight_requests_on_an_impaired_host_end_504_at_the_idle_timeout(host):
    result, name = host
    req = result.requests
    caught = req[(req.instance == name) & (req.arrived < CRASH_AT) & (req.ended >= CRASH_AT)]
    # No RST from a black hole: the ALB waits out its idle timeout, 60 s by default (§8, §1.3).
    assert len(caught) > 0
    assert set(caught.outcome) == {"504 target_timeout"}
    assert (caught.ended - caught.arrived).to_numpy() == pytest.approx(60.0)


def test_a_stop_is_clean_and_replaced_at_once():
    result, name = _crash("stop")
    req, ev = result.requests, result.events
    caught = req[(req.instance == name) & (req.arrived <= CRASH_AT) & (req.ended >= CRASH_AT)]
    # The EC2 state leaves running: connections are reset (502) at the stop...
    assert len(caught) > 0 and set(caught.outcome) == {"502 target_reset"}
    assert (caught.ended == CRASH_AT).all()
    # ... and the group acts at once (§2.2): nothing else is ever sent to it.
    term = ev[(ev.kind == "asg.Terminating") & (ev.instance == name)]
    assert list(zip(term.time, term.detail, strict=True)) == [(CRASH_AT, "EC2 state not running")]
    assert _time(ev, "asg.Pending", name) == [0.0]
    assert len(ev[(ev.kind == "asg.Pending") & (ev.time == CRASH_AT)]) == 1
    assert (req[req.instance == name].arrived <= CRASH_AT).all()


@pytest.mark.parametrize("check_type", ["EC2", "ELB"])
def test_a_dead_process_refuses_connections_and_only_elb_checks_replace_it(
    check_type, host, validation_report
):
    result, name = _crash("app", asg={"health_check_type": check_type})
    req, ev = result.requests, result.events
    sent = req[(req.instance == name) & (req.arrived >= CRASH_AT)]
    # Connection refused: 502 without waiting (§1.4), until the target leaves rotation.
    assert len(sent) > 0 and set(sent.outcome) == {"502 target_reset"}
    assert (sent.ended == sent.arrived).all()
    (out,) = _time(ev, "target.unhealthy", name)
    assert sent.arrived.max() < out
    # Refused checks fail at once; a black hole's take the 5 s timeout. Same seed, same
    # instance, same check phases: the impaired host leaves rotation exactly 5 s later.
    host_result, host_name = host
    assert host_name == name
    (host_out,) = _time(host_result.events, "target.unhealthy", name)
    assert host_out - out == pytest.approx(TIMEOUT)
    term = ev[(ev.kind == "asg.Terminating") & (ev.instance == name)]
    if check_type == "EC2":
        # EC2 health checks see only the EC2 state, still running: never replaced (§8, §2.2).
        assert len(term) == 0
        assert _time(ev, "ec2.shutting-down", name) == []
    else:
        # ELB health checks: replaced once the target is unhealthy (grace 0).
        assert list(term.detail) == ["ELB health check failed"]
        assert out <= term.time.iloc[0] <= out + 60.0
    replaced = f"replaced at {term.time.iloc[0]:g} s" if len(term) else "never replaced"
    validation_report.aws(
        f"Application crash, health check type {check_type}",
        "EC2 checks see only the instance state; ELB checks replace an instance the target "
        "group marks unhealthy",
        "§2.1, §2.2, §8",
        f"crash at {CRASH_AT:g} s; target unhealthy at {out:g} s; {replaced}",
        (len(term) == 0) == (check_type == "EC2"),
    )


def test_an_az_outage_black_holes_in_flight_requests_until_the_idle_timeout():
    fault = {"kind": "az_outage", "az": "a", "at": CRASH_AT, "duration": 300}
    result = run({**LIGHT, "alb": {"idle_timeout": 25}, "faults": [fault]})
    req = result.requests
    dead = instances_in(result, "us-east-1a")
    caught = req[req.instance.isin(dead) & (req.arrived < CRASH_AT) & (req.ended >= CRASH_AT)]
    # The AZ's targets answer nothing, not even a reset: 504 at the configured idle timeout.
    assert len(caught) > 0
    assert set(caught.outcome) == {"504 target_timeout"}
    assert (caught.ended - caught.arrived).to_numpy() == pytest.approx(25.0)
    assert not (req.outcome == "502 target_reset").any()
