"""What happened, in words: a run's events told as sentences with minute marks.

The report opens with this story so that a teacher can read a run to a class before anyone looks
at a figure: "Minute 20: Availability Zone us-east-1b goes down…". It is built from plain rows,
after the run, by a pure function (:func:`tell`): the event rows (``Result.events``, the
``EventRow`` fields), optionally the lost sessions (end time and cause) and the failed requests
per time bin. Nothing in the model knows about it.

Events that come in bursts are told once per burst: the events of one *topic* (targets marked
unhealthy, impaired instances replaced, instances entering service, AZ rebalancing, scaling)
less than :data:`GAP_S` apart make one sentence ("2 instances in us-east-1b fail their health
checks"). Lost sessions and failed requests are counted per minute and told once per run of
consecutive minutes. The start-up of the initial fleet is not told. An event kind this module
does not know is told only if it is a fault (``fault.<kind>.start`` / ``.end``), in generic
words; everything else (EC2 lifecycle steps, draining…) is detail left to the events table.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["GAP_S", "Line", "tell"]

#: Events of one topic less than this many seconds apart are told as one sentence.
GAP_S = 120.0


class Event(Protocol):
    """The fields of an event row the story reads (``EventRow``, or a frame's ``itertuples``)."""

    @property
    def time(self) -> float:
        """Simulated time (s)."""
        ...

    @property
    def kind(self) -> str:
        """Event kind, e.g. ``target.unhealthy``."""
        ...

    @property
    def az(self) -> str | None:
        """The AZ concerned, if any."""
        ...

    @property
    def instance(self) -> str | None:
        """The instance concerned, if any."""
        ...

    @property
    def detail(self) -> str:
        """Free text (the launch reason, the fault's parameters…)."""
        ...


@dataclass(frozen=True)
class Line:
    """One sentence of the story.

    Attributes:
        start: simulated time of its first event (s).
        end: simulated time of its last event (s).
        text: the sentence, without its minute mark.
    """

    start: float
    end: float
    text: str

    @property
    def mark(self) -> str:
        """``Minute 20`` or ``Minutes 20–22`` (whole minutes since the start, rounded down)."""
        a, b = int(self.start // 60), int(self.end // 60)
        return f"Minute {a}" if a == b else f"Minutes {a}–{b}"

    @property
    def sentence(self) -> str:
        """The minute mark, a colon and the text (``Minute 20: …``)."""
        return f"{self.mark}: {self.text}"


@dataclass
class _Burst:
    # Events of one topic close together in time, told as one sentence.
    topic: str
    events: list[Event] = field(default_factory=list)


def _name(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _in_azs(events: list[Event]) -> str:
    """``in us-east-1b`` or ``in us-east-1a (1) and us-east-1c (1)``."""
    counts = Counter(_name(e.az) for e in events if _name(e.az))
    if not counts:
        return ""
    if len(counts) == 1:
        return f" in {next(iter(counts))}"
    parts = [f"{az} ({n})" for az, n in sorted(counts.items())]
    return " in " + ", ".join(parts[:-1]) + " and " + parts[-1]


def _detail_value(detail: str, key: str) -> str | None:
    for word in detail.split():
        if word.startswith(key + "="):
            return word.split("=", 1)[1]
    return None


def _fault_sentence(event: Event) -> str:
    """A fault's start or end in words (az_outage and az_degraded by name, others generically)."""
    kind = event.kind.removeprefix("fault.")
    name, _, edge = kind.rpartition(".")
    az = _name(event.az)
    where = f" in {az}" if az else ""
    if name == "az_outage":
        if edge == "end":
            return f"Availability Zone {az} comes back: its instances and network answer again."
        seconds = _detail_value(_name(event.detail), "duration")
        planned = f" for {float(seconds) / 60:g} minutes" if seconds else ""
        return (
            f"Availability Zone {az} goes down{planned}: its instances and its load balancer "
            "node stop answering."
        )
    if name == "az_degraded":
        if edge == "end":
            return f"The network of Availability Zone {az} is healthy again."
        return f"The network of Availability Zone {az} degrades (slower, losing packets)."
    words = name.replace("_", " ")
    return f"Fault '{words}'{where} begins." if edge == "start" else f"Fault '{words}' ends."


#: Single events told as they are: kind -> sentence (``{az}`` and ``{instance}`` filled in).
_SINGLE = {
    "alb.node_down": "The load balancer's node in {az} is down with its zone; clients that DNS "
    "still sends there fail.",
    "alb.node_up": "The load balancer's node in {az} is up again.",
    "alb.dns_removed": "DNS stops handing out the load balancer's address in {az}; clients move "
    "to the other zones as their cached answers expire.",
    "alb.dns_added": "DNS hands out the load balancer's address in {az} again.",
    "store.primary_lost": "The session store's primary node in {az} is lost.",
    "store.node_lost": "A session store node in {az} is lost.",
    "store.down": "The session store is down and has lost its data (no replica to promote).",
    "store.failover_detected": "The session store detects the failure of its primary.",
    "store.promoted": "The session store promotes its replica in {az} to primary.",
    "store.writes_resumed": "The session store accepts writes again.",
    "store.node_replaced": "A replacement session store node in {az} is up.",
    "store.recreated": "The session store in {az} starts again, empty.",
    "fault.deploy.start": "A deployment of a new version starts.",
    "fault.deploy.end": "The deployment is complete.",
    "deploy.green_healthy": "The new (green) fleet is healthy.",
}


class _Topics:
    """Sorts each event into a topic, tracking why each instance was launched."""

    def __init__(self) -> None:
        self.reason: dict[str, str] = {}  # instance -> why it was launched
        self.unhealthy: set[str] = set()

    def topic(self, e: Event) -> str | None:
        """The event's topic, ``single`` (told alone) or None (not told)."""
        kind, detail, inst = e.kind, _name(e.detail), _name(e.instance)
        if kind == "asg.Pending":
            self.reason[inst] = (
                "initial"
                if detail == "initial fleet"
                else "replacement"
                if detail.startswith("replacing")
                else "rebalancing"
                if "rebalanc" in detail
                else "new"
            )
            return None if self.reason[inst] == "initial" else self._launch_topic(inst)
        if kind == "asg.Terminating":
            return "rebalancing" if "rebalanc" in detail else "terminated"
        if kind == "target.unhealthy":
            self.unhealthy.add(inst)
            return "unhealthy"
        if kind == "target.healthy":
            if inst in self.unhealthy:
                self.unhealthy.discard(inst)
                return "recovered"
            if self.reason.get(inst, "initial") == "initial":
                return None
            return "in_service." + self.reason[inst]
        if kind in ("asg.scaling", "asg.launch_failed", "ec2.boot_failed", "deploy.shift"):
            return kind
        if kind in _SINGLE or kind.startswith("fault."):
            return "single"
        return None

    def _launch_topic(self, inst: str) -> str:
        return "rebalancing" if self.reason[inst] == "rebalancing" else "launched"


def _ids(events: list[Event]) -> str:
    names = [_name(e.instance) for e in events if _name(e.instance)]
    shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
    return f" ({shown})" if shown else ""


def _tell_burst(burst: _Burst) -> str:
    """One sentence for a burst of events of one topic."""
    ev, topic = burst.events, burst.topic
    n = len(ev)
    if topic == "unhealthy":
        return (
            f"The load balancer's health checks mark {_plural(n, 'instance')}{_in_azs(ev)} "
            f"unhealthy{_ids(ev)} and stop sending them requests."
        )
    if topic == "recovered":
        passes = _verb(n, "passes its", "pass their")
        return f"{_plural(n, 'instance')}{_in_azs(ev)} {passes} health checks again{_ids(ev)}."
    if topic == "terminated":
        reasons = sorted({_name(e.detail) for e in ev if _name(e.detail)})
        why = f" ({'; '.join(reasons)})" if reasons else ""
        return f"The Auto Scaling group terminates {_plural(n, 'instance')}{_in_azs(ev)}{why}."
    if topic == "launched":
        replacing = [e for e in ev if _name(e.detail).startswith("replacing")]
        what = "replacement" if len(replacing) == n else "new instance"
        return f"The Auto Scaling group launches {_plural(n, what)}{_in_azs(ev)}{_ids(ev)}."
    if topic.startswith("in_service."):
        what = {"replacement": "replacement", "rebalancing": "rebalancing instance"}.get(
            topic.split(".", 1)[1], "new instance"
        )
        passes = _verb(n, "passes its health checks and takes", "pass their health checks and take")
        return f"{_plural(n, what).capitalize()}{_in_azs(ev)} {passes} requests{_ids(ev)}."
    if topic == "rebalancing":
        up = [e for e in ev if e.kind == "asg.Pending"]
        down = [e for e in ev if e.kind == "asg.Terminating"]
        return (
            "The Auto Scaling group rebalances its zones: it launches "
            f"{_plural(len(up), 'instance')}{_in_azs(up)} and terminates {len(down):,}"
            f"{_in_azs(down)}."
        )
    if topic == "asg.scaling":
        first, last = _detail_value(_name(ev[0].detail), "desired"), None
        last = _detail_value(_name(ev[-1].detail), "desired")
        if first and last:
            return (
                f"The Auto Scaling group changes its desired capacity "
                f"{first.split('->')[0]} → {last.split('->')[-1]} ({_plural(n, 'decision')})."
            )
        return f"The Auto Scaling group changes its desired capacity ({_plural(n, 'decision')})."
    if topic in ("asg.launch_failed", "ec2.boot_failed"):
        return f"{_plural(n, 'launch')}{_in_azs(ev)} {_verb(n, 'fails', 'fail')}."
    if topic == "deploy.shift":
        return f"The load balancer shifts traffic to the new fleet ({_name(ev[-1].detail)})."
    return f"{_plural(n, 'event')} {topic}."


def _single(e: Event) -> str:
    if e.kind in _SINGLE:
        return _SINGLE[e.kind].format(az=_name(e.az), instance=_name(e.instance))
    return _fault_sentence(e)


def _event_lines(events: Iterable[Event]) -> list[Line]:
    topics = _Topics()
    lines: list[Line] = []
    open_bursts: dict[str, _Burst] = {}
    bursts: list[_Burst] = []
    for e in events:
        topic = topics.topic(e)
        if topic is None:
            continue
        if topic == "single":
            lines.append(Line(float(e.time), float(e.time), _single(e)))
            continue
        burst = open_bursts.get(topic)
        if burst is None or float(e.time) - float(burst.events[-1].time) > GAP_S:
            burst = open_bursts[topic] = _Burst(topic)
            bursts.append(burst)
        burst.events.append(e)
    for b in bursts:
        lines.append(Line(float(b.events[0].time), float(b.events[-1].time), _tell_burst(b)))
    return lines


def _per_minute_lines(
    counts: Iterable[tuple[float, str, int]], sentence: Callable[[Counter[str]], str]
) -> list[Line]:
    """Counts per minute by label, one Line per run of consecutive minutes with any."""
    minutes: dict[int, Counter[str]] = defaultdict(Counter)
    first: dict[int, float] = {}
    for time, label, n in counts:
        if n:
            minute = int(time // 60)
            minutes[minute][label] += n
            first[minute] = min(first.get(minute, math.inf), time)
    runs: list[list[int]] = []
    for minute in sorted(minutes):
        if runs and minute == runs[-1][-1] + 1:
            runs[-1].append(minute)
        else:
            runs.append([minute])
    lines: list[Line] = []
    for run in runs:
        total: Counter[str] = Counter()
        for m in run:
            total.update(minutes[m])
        lines.append(Line(first[run[0]], run[-1] * 60.0, sentence(total)))
    return lines


def _because(counts: Counter[str], why: dict[str, str]) -> str:
    """``(the instance … was terminated)`` or ``(4,368: …; 824: …)`` with several causes."""
    if len(counts) == 1:
        cause = next(iter(counts))
        return f" ({why.get(cause, cause)})"
    return " (" + "; ".join(f"{n:,}: {why.get(c, c)}" for c, n in counts.most_common()) + ")"


#: Lost-session causes (``LostCause``) and failure causes (``RequestOutcome``) in words.
_LOST_WHY = {
    "instance_terminated": "the instance holding it went down or was terminated",
    "rerouted": "the load balancer sent the user to another instance",
    "store_evicted": "the store evicted it",
    "store_failover": "it was written just before the store failed over",
    "store_down": "the store lost its data",
}
_FAILED_WHY = {
    "000 alb_node_down": "sent to a load balancer node that is down",
    "502 target_reset": "cut off when their instance died",
    "503 target_overloaded": "refused by an overloaded instance",
    "503 no_healthy_targets": "no healthy instance to send them to",
    "500 store_unavailable": "the session store could not be reached",
    "000 instance_down": "sent straight to an instance that is down",
    "504 target_timeout": "timed out waiting for an instance",
}


def _lost_sentence(causes: Counter[str]) -> str:
    total = sum(causes.values())
    loses = _verb(total, "loses", "lose")
    why = _because(causes, _LOST_WHY)
    return f"{_plural(total, 'user')} {loses} their session and must log in again{why}."


def _failed_sentence(causes: Counter[str]) -> str:
    total = sum(causes.values())
    fail = _verb(total, "fails", "fail")
    return f"{_plural(total, 'request')} {fail}{_because(causes, _FAILED_WHY)}."


def tell(
    events: Iterable[Event],
    lost_sessions: Iterable[tuple[float, str]] = (),
    failed_requests: Iterable[tuple[float, str, int]] = (),
) -> list[Line]:
    """Tell a run as sentences in time order.

    Args:
        events: the run's event rows, in time order (``Result.events.itertuples()`` works).
        lost_sessions: ``(time, cause)`` of each lost session (the ``sessions`` frame's ``end``
            and ``cause`` where ``outcome`` is ``lost``).
        failed_requests: ``(time, cause, count)`` of failed requests per time bin and cause
            (the timeline's ``time`` and ``failed_<cause>`` columns).

    Returns:
        The story's lines, sorted by start time (an event before the counts of its minute).
    """
    lines = _event_lines(events)
    lost = ((t, str(cause), 1) for t, cause in lost_sessions)
    lines += _per_minute_lines(lost, _lost_sentence)
    lines += _per_minute_lines(failed_requests, _failed_sentence)
    return sorted(lines, key=lambda line: line.start)
