"""The load balancer's HTTP keep-alive connections to one target, and when the last one closes.

The ALB talks HTTP/1.1 to its targets and keeps each backend connection open for the next
request, whichever client it comes from; it does not pre-open connections and does not pipeline
(fact sheet part 2 §9.10). So a target that has served traffic holds a few idle connections, and
each stays open until the target's own keep-alive timeout closes it after ``keepalive`` seconds
without a request. That matters when the target is deregistered: deregistration completes at
once only if the target has no in-flight request *and* no open connection; otherwise it waits for
the connections to close, up to the deregistration delay (§9.10).

:class:`Connections` keeps one target's connections without any SimPy event: a request takes
the most recently used idle connection still open (an assumption: AWS does not say which it
reuses; it changes how many stay open, not when the last one closes) or opens a new one, and
gives it back idle when its response has been sent. Idle connections past the keep-alive are
dropped lazily, when they are looked at. The ALB's idle timeout is not applied to backend
connections: the current AWS docs say it covers them, an older overview that it covers only
front-end connections (§9.10, a documented conflict); this model follows the target's timeout,
which AWS asks to be greater than the ALB's anyway.

Its per-request methods are on the hot path and compiled by mypyc in the fast build.
"""

from __future__ import annotations

from collections import deque


class Connections:
    """The ALB's keep-alive connections to one target.

    Args:
        keepalive: the target's keep-alive timeout (seconds an idle connection stays open).

    Attributes:
        keepalive: as given.
        busy: connections carrying a request now.
        idle: last-use times of the idle connections, oldest first (some may have closed).
        opened: connections opened so far.
    """

    __slots__ = ("busy", "idle", "keepalive", "opened")

    def __init__(self, keepalive: float) -> None:
        self.keepalive = keepalive
        self.busy = 0
        self.idle: deque[float] = deque()
        self.opened = 0

    def take(self, now: float) -> None:
        """A request goes to the target: reuse an idle connection still open, or open one."""
        idle = self.idle
        limit = now - self.keepalive
        while idle and idle[0] <= limit:
            idle.popleft()  # closed by the target's keep-alive timeout meanwhile
        if idle:
            idle.pop()
        else:
            self.opened += 1
        self.busy += 1

    def release(self, now: float) -> None:
        """The request's response has been sent: its connection waits, idle, for the next."""
        self.busy -= 1
        self.idle.append(now)

    def drop(self) -> None:
        """The request's connection was closed with it (the ALB gave up on the response)."""
        self.busy -= 1

    def close_idle(self) -> None:
        """Close every idle connection (an unhealthy target's, §9.10)."""
        self.idle.clear()

    def open_count(self, now: float) -> int:
        """Connections open at ``now``: the busy ones and the idle ones not yet timed out."""
        limit = now - self.keepalive
        return self.busy + sum(1 for t in self.idle if t > limit)

    def closes_at(self) -> float:
        """When the last idle connection closes if no request comes (-inf if there is none).

        Only meaningful with no busy connection; the idle times are in order, newest last.
        """
        return self.idle[-1] + self.keepalive if self.idle else float("-inf")
