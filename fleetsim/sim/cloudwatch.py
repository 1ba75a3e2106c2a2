"""CloudWatch: metrics aggregated per period, published late, and alarms that watch them.

A :class:`Metric` turns what happened during one period (60 s with detailed monitoring, 300 s
with basic, fact sheet §2.11) into one datapoint, which becomes visible ``publish_delay`` seconds
after the period ends. A period with nothing to measure has no datapoint (``None``): ALB metrics,
for instance, are sent only while traffic flows (§1). An :class:`Alarm` is evaluated at every
publication of its metric: over its last ``evaluation_periods`` datapoints it is ``ALARM`` if at
least ``datapoints_to_alarm`` breach the threshold, ``INSUFFICIENT_DATA`` if none of them exists
(missing data treated as missing), ``OK`` otherwise. Its action is invoked at every evaluation
while it is in ``ALARM`` (a scaling policy keeps reacting to a standing alarm, §2.7); an alarm
with insufficient data never acts.

The group's predefined metrics are built by :func:`group_metrics`:

* ``CPUUtilization``: the average, over the period's one-second samples, of each instance's busy
  vCPU-seconds as a share of its vCPUs, across InService instances that are no longer warming
  up (§2.1, §2.7); the datapoint also carries the mean number of instances averaged.
* ``RequestCountPerTarget``: requests the target group received during the period (routed to
  one of its targets; not those that never reached a node or found no target) divided by the
  mean number of its healthy targets, or of its registered targets while none is healthy
  (CloudWatch's definition, ALB/load-balancer-cloudwatch-metrics.md; an average read with the
  Sum statistic, §1.4), always on 60 s periods.

Custom metrics are any object with ``sample(now)`` and ``close(start, end)`` given to
:meth:`CloudWatch.add_metric`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from fleetsim.config.scaling import MonitoringConfig
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.asg import AutoScalingGroup
    from fleetsim.sim.instance import Instance
    from fleetsim.sim.target_group import TargetGroup

DETAILED_PERIOD_S = 60.0  # detailed monitoring: 1-min datapoints (§2.11)
BASIC_PERIOD_S = 300.0  # basic monitoring: 5-min datapoints, launch-template default (§2.11)
ALB_PERIOD_S = 60.0  # ALB metrics are sent every 60 s (§1)

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class Source(Protocol):
    """Measures one metric: sampled once a second, closed once a period."""

    def sample(self, now: float) -> None:
        """Take the one-second sample at ``now`` (may do nothing)."""
        ...

    def close(self, start: float, end: float) -> tuple[float | None, float]:
        """Return the period's ``(value or None, instances it covers)`` and start a new one."""
        ...


class Metric:
    """One metric: its source, its period and its published datapoints.

    Args:
        name: e.g. ``CPUUtilization``.
        period: seconds per datapoint.
        source: what measures it.

    Attributes:
        datapoints: published ``(period start, value or None, instances covered)``, in order.
        alarms: alarms evaluated at each publication.
    """

    def __init__(self, name: str, period: float, source: Source) -> None:
        self.name = name
        self.period = period
        self.source = source
        self.datapoints: list[tuple[float, float | None, float]] = []
        self.alarms: list[Alarm] = []

    def latest(self) -> tuple[float, float | None, float] | None:
        """Return the newest published datapoint, if any."""
        return self.datapoints[-1] if self.datapoints else None


class Alarm:
    """A metric alarm with M of N datapoints.

    Args:
        name: e.g. ``tt-cpu-AlarmHigh``.
        metric: the metric watched.
        comparison: ``>``, ``>=``, ``<`` or ``<=``.
        threshold: compared with each datapoint.
        evaluation_periods: N, the datapoints looked at.
        datapoints_to_alarm: M, breaching datapoints needed for ALARM.
        action: called at each evaluation in ALARM with the alarm and the newest datapoint.
        rec: the run's recorder (state changes are events).
        now: returns the current simulated time.
    """

    def __init__(
        self,
        name: str,
        metric: Metric,
        comparison: str,
        threshold: float,
        evaluation_periods: int,
        datapoints_to_alarm: int,
        action: Callable[[Alarm, tuple[float, float | None, float]], None],
        rec: Recorder,
        now: Callable[[], float],
    ) -> None:
        self.name = name
        self.metric = metric
        self.comparison = comparison
        self._breaches = COMPARISONS[comparison]
        self.threshold = threshold
        self.evaluation_periods = evaluation_periods
        self.datapoints_to_alarm = datapoints_to_alarm
        self.action = action
        self.rec = rec
        self._now = now
        self.state = "INSUFFICIENT_DATA"
        metric.alarms.append(self)

    def evaluate(self) -> None:
        """Re-evaluate on the newest datapoints; act if in ALARM."""
        window = self.metric.datapoints[-self.evaluation_periods :]
        values = [v for _, v, _ in window if v is not None]
        if not values:
            state = "INSUFFICIENT_DATA"  # missing data treated as missing: no action
        elif sum(1 for v in values if self._breaches(v, self.threshold)) >= (
            self.datapoints_to_alarm
        ):
            state = "ALARM"
        else:
            state = "OK"
        if state != self.state:
            self.rec.event(
                self._now(),
                f"cloudwatch.alarm.{state}",
                f"cloudwatch.{self.name}",
                None,
                None,
                f"{self.metric.name} {self.comparison} {self.threshold:g}",
            )
            self.state = state
        if state == "ALARM":
            self.action(self, window[-1])


class CloudWatch:
    """The run's metrics and alarms.

    Args:
        env: the simulation environment.
        rec: the run's recorder (each datapoint is an event row).
        cfg: monitoring settings (period, publish delay).
    """

    def __init__(self, env: simpy.Environment, rec: Recorder, cfg: MonitoringConfig) -> None:
        self.env = env
        self.rec = rec
        self.cfg = cfg
        self.ec2_period = DETAILED_PERIOD_S if cfg.detailed else BASIC_PERIOD_S
        self.metrics: dict[str, Metric] = {}

    def add_metric(self, name: str, period: float, source: Source) -> Metric:
        """Register a metric measured by ``source`` every ``period`` seconds (whole seconds)."""
        if name in self.metrics:
            raise ValueError(f"metric {name!r} is already registered")
        metric = self.metrics[name] = Metric(name, period, source)
        return metric

    def alarm(
        self,
        name: str,
        metric: str,
        comparison: str,
        threshold: float,
        evaluation_periods: int,
        datapoints_to_alarm: int,
        action: Callable[[Alarm, tuple[float, float | None, float]], None],
    ) -> Alarm:
        """Create an alarm on a registered metric (see :class:`Alarm`)."""
        return Alarm(
            name,
            self.metrics[metric],
            comparison,
            threshold,
            evaluation_periods,
            datapoints_to_alarm,
            action,
            self.rec,
            lambda: self.env.now,
        )

    def start(self) -> None:
        """Start sampling (once a simulated second) and closing periods."""
        if self.metrics:
            self.env.process(self._tick())

    def _tick(self) -> Process:
        env = self.env
        metrics = list(self.metrics.values())
        while True:
            now = env.now
            for metric in metrics:
                # Close the period that ends now before taking the sample that starts the next.
                if now > 0 and now % metric.period == 0:
                    value, weight = metric.source.close(now - metric.period, now)
                    point = (now - metric.period, value, weight)
                    publish = env.timeout(self.cfg.publish_delay, (metric, point))
                    publish.callbacks.append(self._publish)
                metric.source.sample(now)
            yield env.timeout(1.0)

    def _publish(self, event: simpy.Event) -> None:
        metric, point = cast("tuple[Metric, tuple[float, float | None, float]]", event.value)
        metric.datapoints.append(point)
        value = "none" if point[1] is None else f"{point[1]:.6g}"
        self.rec.event(
            self.env.now,
            "cloudwatch.datapoint",
            f"cloudwatch.{metric.name}",
            None,
            None,
            f"start={point[0]:g} value={value} instances={point[2]:.6g}",
        )
        for alarm in metric.alarms:
            alarm.evaluate()


class GroupCpu:
    """``CPUUtilization`` of the group: mean over warm InService instances and seconds.

    Each one-second sample of an instance is what EC2 reports: its busy vCPU-seconds over the
    past second as a percentage of its vCPUs (a throttled T instance shows its baseline).
    """

    def __init__(self, asg: AutoScalingGroup) -> None:
        self.asg = asg
        self._last: dict[Instance, tuple[float, float]] = {}
        self._sum = 0.0
        self._count = 0
        self._samples = 0

    def sample(self, now: float) -> None:
        """Add every warm InService instance's utilisation over the past second."""
        self._samples += 1
        last: dict[Instance, tuple[float, float]] = {}
        for inst in self.asg.members("InService"):
            used = inst.cpu_seconds_used(now)
            last[inst] = (now, used)
            prev = self._last.get(inst)
            # Instances still warming up are left out of the aggregated metric (§2.1, §2.7).
            if prev is None or prev[0] >= now or self.asg.is_warming(inst):
                continue
            self._sum += 100.0 * (used - prev[1]) / (inst.vcpus * (now - prev[0]))
            self._count += 1
        self._last = last

    def close(self, start: float, end: float) -> tuple[float | None, float]:
        """Return the period's average and the mean number of instances in it."""
        value = self._sum / self._count if self._count else None
        weight = self._count / self._samples if self._samples else 0.0
        self._sum, self._count, self._samples = 0.0, 0, 0
        return value, weight


class GroupRequestCountPerTarget:
    """``RequestCountPerTarget``: the target group's requests over its mean healthy targets.

    Requests received by the target group divided by its healthy targets, or by its registered
    targets when none is healthy (ALB/load-balancer-cloudwatch-metrics.md; §1.4).
    """

    def __init__(self, tg: TargetGroup) -> None:
        self.tg = tg
        self._received = tg.received
        self._targets = 0
        self._samples = 0

    def sample(self, now: float) -> None:
        """Count the healthy targets at ``now`` (the registered ones if none is healthy)."""
        self._samples += 1
        healthy = self.tg.healthy_count()
        self._targets += healthy if healthy else self.tg.registered_count()

    def close(self, start: float, end: float) -> tuple[float | None, float]:
        """Return requests per target since the last close; None without traffic or targets."""
        received = self.tg.received
        requests = received - self._received
        self._received = received
        targets = self._targets / self._samples if self._samples else 0.0
        self._targets = self._samples = 0
        # ALB metrics are sent only while traffic is flowing (§1).
        if requests == 0 or targets == 0:
            return None, targets
        return requests / targets, targets


def group_metrics(
    cloudwatch: CloudWatch,
    asg: AutoScalingGroup,
    tg: TargetGroup,
    names: set[str],
) -> None:
    """Register the predefined metrics of the group and its target group that ``names`` asks for."""
    if "CPUUtilization" in names:
        cloudwatch.add_metric("CPUUtilization", cloudwatch.ec2_period, GroupCpu(asg))
    if "RequestCountPerTarget" in names:
        cloudwatch.add_metric("RequestCountPerTarget", ALB_PERIOD_S, GroupRequestCountPerTarget(tg))
