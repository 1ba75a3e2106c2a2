"""EC2 instances: lifecycle, billing and the request-serving worker pool.

An instance moves through EC2's states (``pending → running → shutting-down → terminated``, plus
``stopping``/``stopped``), checked against the legal transitions. Billing is per second with a
60-second minimum on every entry into ``running`` (fact sheet §3, EC2/ec2-instance-lifecycle.md).
Serving is a FIFO worker pool: up to ``workers`` requests run at once, each for its CPU time
divided by the instance type's speed; up to ``queue_size`` more wait in the accept queue, and a
request finding the queue full is refused with ``503 target_overloaded``. A request is not a
process: starting one schedules one completion timeout whose callback finishes it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from fleetsim.config.catalog import InstanceType

if TYPE_CHECKING:
    import simpy

    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.entities import Request

#: Legal EC2 state transitions (EC2/ec2-instance-lifecycle.md).
EC2_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"running", "shutting-down"}),
    "running": frozenset({"stopping", "shutting-down"}),
    "stopping": frozenset({"stopped"}),
    "stopped": frozenset({"pending", "shutting-down"}),
    "shutting-down": frozenset({"terminated"}),
    "terminated": frozenset(),
}

BILLING_MINIMUM_S = 60.0  # per-second billing, 60 s minimum per entry into running (§3)


class IllegalTransition(RuntimeError):
    """An instance was asked to make a state change EC2 does not allow."""


class Instance:
    """One EC2 instance and the application workers on it.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        name: unique id, e.g. ``i-0007``.
        az: its Availability Zone.
        itype: its instance type.
        workers: concurrent requests.
        queue_size: accept-queue length.
        cpu_time: draws the CPU seconds of one request (on a speed-1.0 vCPU).
        on_served: called with each request that completes successfully.
        on_failed: called with each request the instance fails, and the cause.
    """

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        name: str,
        az: str,
        itype: InstanceType,
        workers: int,
        queue_size: int,
        cpu_time: Callable[[], float],
        on_served: Callable[[Request, float], None],
        on_failed: Callable[[Request, float, str], None],
    ) -> None:
        self.env = env
        self.rec = rec
        self.name = name
        self.az = az
        self.itype = itype
        self.workers = workers
        self.queue_size = queue_size
        self._cpu_time = cpu_time
        self._speed = itype.speed
        self._on_served = on_served
        self._on_failed = on_failed
        self.state = "pending"
        self.launched = env.now
        self.app_up = False  # the application answers (boot finished)
        self.reachable = True  # False while its AZ is down or it is impaired
        self.routable = False  # maintained by the load balancer
        # The load balancer's idle timeout: a request whose response would end later than
        # arrival + response_timeout is reported to on_late when its service starts.
        self.response_timeout = math.inf
        self.on_late: Callable[[Request, float], None] | None = None
        self.busy = 0
        self.queue: deque[Request] = deque()
        self.active: set[Request] = set()
        self.served = 0
        self.billed_seconds = 0.0
        self._running_since: float | None = None

    def __repr__(self) -> str:
        return f"<Instance {self.name} {self.az} {self.state}>"

    # --- lifecycle -----------------------------------------------------------------------

    def transition(self, new: str) -> None:
        """Move to EC2 state ``new``, billing as documented.

        Raises:
            IllegalTransition: if EC2 does not allow ``state → new``.
        """
        if new not in EC2_TRANSITIONS[self.state]:
            raise IllegalTransition(f"{self.name}: {self.state} → {new} is not a legal EC2 change")
        now = self.env.now
        if self.state == "running":
            self._close_billing(now)
        if new == "running":
            self._running_since = now
        self.rec.event(now, f"ec2.{new}", "ec2", self.az, self.name)
        self.state = new

    def _close_billing(self, now: float) -> None:
        if self._running_since is not None:
            self.billed_seconds += max(BILLING_MINIMUM_S, now - self._running_since)
            self._running_since = None

    def bill_until(self, now: float) -> float:
        """Return billed seconds so far, counting an open running period up to ``now``."""
        if self._running_since is None:
            return self.billed_seconds
        return self.billed_seconds + max(BILLING_MINIMUM_S, now - self._running_since)

    @property
    def alive(self) -> bool:
        """True while the instance exists and answers (running, reachable, app up)."""
        return self.state == "running" and self.reachable and self.app_up

    @property
    def in_flight(self) -> int:
        """Requests being served or waiting in the accept queue."""
        return self.busy + len(self.queue)

    # --- serving -------------------------------------------------------------------------

    def accept(self, req: Request) -> None:
        """Take a routed request: serve it, queue it, or refuse it with 503."""
        if self.busy < self.workers:
            self._start(req)
        elif len(self.queue) < self.queue_size:
            self.queue.append(req)
        else:
            self._on_failed(req, self.env.now, "503 target_overloaded")

    def _start(self, req: Request) -> None:
        self.busy += 1
        now = self.env.now
        req.started = now
        self.active.add(req)
        # Store round trips hold the worker (a synchronous app), so they add to service time.
        service = self._cpu_time() / self._speed + req.extra
        if now + service - req.arrived > self.response_timeout and self.on_late is not None:
            self.on_late(req, req.arrived + self.response_timeout)
        done = self.env.timeout(service, req)
        done.callbacks.append(self._complete)

    def _complete(self, event: simpy.Event) -> None:
        req = cast("Request", event.value)
        if req not in self.active:
            # Already failed (the instance died or drained meanwhile): the timeout is stale.
            return
        self.active.discard(req)
        self.busy -= 1
        # A request the load balancer already timed out held its worker until now, unanswered.
        if not req.done:
            self.served += 1
            self._on_served(req, self.env.now)
        if self.queue and self.alive:
            self._start(self.queue.popleft())

    def fail_in_flight(self, cause: str) -> int:
        """Fail every request in service or queued with ``cause``; return how many."""
        now = self.env.now
        # Sorted by id: a set's order follows memory addresses, and the order of failures
        # decides the order of the users' next random draws.
        victims = [r for r in sorted(self.active, key=_request_id) if not r.done]
        victims += self.queue
        self.active.clear()
        self.queue.clear()
        self.busy = 0
        for req in victims:
            self._on_failed(req, now, cause)
        return len(victims)


def _request_id(req: Request) -> int:
    return req.id
