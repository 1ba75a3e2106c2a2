"""CloudWatch: periods, publication delay, alarms with M of N datapoints (§2.7, §2.11)."""

from __future__ import annotations

from fleetsim.config.scaling import MonitoringConfig
from fleetsim.record.recorder import Recorder
from fleetsim.sim.cloudwatch import (
    BASIC_PERIOD_S,
    DETAILED_PERIOD_S,
    CloudWatch,
    GroupRequestCountPerTarget,
)
from fleetsim.sim.engine import Engine


class Scripted:
    """A metric source whose k-th period has a scripted value (None: no data)."""

    def __init__(self, values):
        self.values = list(values)
        self.k = 0

    def sample(self, now):
        pass

    def close(self, start, end):
        value = self.values[self.k] if self.k < len(self.values) else None
        self.k += 1
        return value, 1.0


def _world(values, delay=60.0, n=3, m=3, detailed=True):
    env = Engine()
    rec = Recorder(5000)
    cw = CloudWatch(env, rec, MonitoringConfig(detailed=detailed, publish_delay=delay))
    cw.add_metric("X", cw.ec2_period, Scripted(values))
    actions = []
    alarm = cw.alarm("hi", "X", ">", 50.0, n, m, lambda a, p: actions.append((env.now, p)))
    states = []

    def watch():
        while True:
            states.append((env.now, alarm.state))
            yield env.timeout(1.0)

    env.process(watch())
    cw.start()
    return env, alarm, actions, states


def test_periods_detailed_60s_basic_300s():
    assert DETAILED_PERIOD_S == 60.0
    assert BASIC_PERIOD_S == 300.0
    env = Engine()
    assert CloudWatch(env, Recorder(10), MonitoringConfig(detailed=False)).ec2_period == 300.0
    assert CloudWatch(env, Recorder(10), MonitoringConfig(detailed=True)).ec2_period == 60.0
    # Basic monitoring is the launch-template default (§2.11).
    assert MonitoringConfig().detailed is False


def test_alarm_needs_m_of_n_datapoints_and_waits_for_publication():
    # Periods 0–2 are below the threshold, 3 onward above. The 3rd breaching period [300, 360)
    # closes at 360 and is published 45 s later: the alarm acts at 405, not before.
    env, _alarm, actions, states = _world([10, 10, 10, 90, 90, 90, 90], delay=45.0)
    env.run(until=500)
    states = dict(states)
    assert actions[0][0] == 360 + 45
    assert states[404] == "OK"
    assert states[406] == "ALARM"
    # While in ALARM the action is invoked at every evaluation (a standing alarm keeps acting).
    assert [t for t, _ in actions] == [405, 465]


def test_two_of_three_datapoints_alarm():
    env, _, actions, _ = _world([90, 10, 90, 10], delay=0.0, n=3, m=2)
    env.run(until=400)
    # Datapoints at 60 (90), 120 (10), 180 (90): 2 of 3 breach when the third is published.
    assert actions[0][0] == 180


def test_insufficient_data_means_no_action():
    env, alarm, actions, states = _world([None, None, None, None], delay=0.0)
    env.run(until=300)
    states = dict(states)
    assert alarm.state == "INSUFFICIENT_DATA"
    assert actions == []
    assert states[10] == "INSUFFICIENT_DATA"  # before any datapoint too


def test_missing_datapoints_do_not_breach():
    env, alarm, actions, _ = _world([90, None, 90, 90], delay=0.0, n=3, m=3)
    env.run(until=250)
    assert actions == []  # only 2 of the 3 datapoints exist at 180
    assert alarm.state == "OK"


class _Tg:
    def __init__(self, healthy, registered):
        self.received = 0
        self.healthy = healthy
        self.registered = registered

    def healthy_count(self):
        return self.healthy

    def registered_count(self):
        return self.registered


def test_request_count_per_target_is_received_requests_over_healthy_targets():
    # CloudWatch's definition (§1.4; ALB/load-balancer-cloudwatch-metrics.md): the requests the
    # target group received over its healthy targets, or its registered ones if none is healthy.
    tg = _Tg(healthy=4, registered=6)
    src = GroupRequestCountPerTarget(tg)
    for t in range(60):
        src.sample(t)
    # ALB metrics are sent only while traffic flows (§1): no requests, no datapoint.
    assert src.close(0, 60) == (None, 4.0)
    for t in range(60, 120):
        tg.received += 10  # 600 requests routed to targets in [60, 120)
        tg.healthy = 4 if t < 90 else 2  # half the minute on 4 healthy targets, half on 2
        src.sample(t)
    assert src.close(60, 120) == (200.0, 3.0)  # 600 / 3 targets on average
    tg.healthy = 0  # none healthy: divided by the 6 registered targets
    for t in range(120, 180):
        tg.received += 1
        src.sample(t)
    assert src.close(120, 180) == (10.0, 6.0)
