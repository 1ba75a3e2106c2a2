"""EC2 instances: lifecycle, billing, CPU credits and the request-serving worker pool.

**Lifecycle.** An instance moves through EC2's states (``pending → running → shutting-down →
terminated``, plus ``stopping``/``stopped``), checked against the legal transitions. Billing is per
second with a 60-second minimum on every entry into ``running`` (fact sheet §3,
EC2/ec2-instance-lifecycle.md); ``pending`` and ``stopped`` are not billed.

**Serving: egalitarian processor sharing.** Up to ``workers`` requests run at once; up to
``queue_size`` more wait in a FIFO accept queue, and a request finding the queue full is refused
with ``503 target_overloaded``. The ``n`` running requests share the instance's usable vCPUs
``c``: each progresses at ``r = speed x min(n, c) / n`` CPU-seconds (of a speed-1.0 vCPU) per
second. Rather than rescheduling every request whenever ``n`` changes, the instance keeps a
*virtual clock* ``V`` with ``dV/dt = r``: a request needing ``w`` CPU-seconds that starts at
virtual time ``V0`` finishes exactly when ``V`` reaches ``V0 + w``, a key fixed at its start
because every running request progresses at the same rate. Requests sit in a heap by that key and
a single SimPy timeout waits for the smallest one. The timeout is replaced only when the earliest
finish moves *earlier* (a new short request, a request leaving, a speed-up); when it moves later
(more requests, throttling) the old timeout fires early, finds nothing finished, and sets the
next. A request is therefore not a process and costs about one heap event. Session-store and
upload round trips (``req.extra``) hold the worker without using the CPU: after its CPU share a
request waits ``extra`` seconds (one more timeout, only when ``extra > 0``) before it answers.

**Health checks** reach the application like requests (fact sheet §8): :meth:`Instance.probe`
answers one at once if a worker is free, else it waits in the accept queue (taking a slot) until
the request queued before it has left the queue and a worker frees; a full queue drops it. The
target group fails a check that is not answered within its timeout.

**Failing.** :meth:`Instance.fail_in_flight` ends every request with a cause (a reset: ``502``);
:meth:`Instance.black_hole` forgets them unanswered (an impaired host or a dead AZ sends no reset,
§8): the load balancer still holds them and fails them ``504`` at its idle timeout.

**Burstable T instances** earn CPU credits at ``credits_per_hour`` (one credit = one vCPU-minute)
and spend them at the vCPUs in use; the balance is integrated exactly between events, up to the
24-hour maximum. In ``standard`` mode a balance at zero caps usable vCPUs at ``baseline x vCPUs``
(AWS lowers CPU "gradually"; here the drop is immediate). In ``unlimited`` mode the balance may go
negative: surplus credits, charged at $0.05 per vCPU-hour if not earned back
(:data:`~fleetsim.config.catalog.T3_SURPLUS_USD_PER_VCPU_HOUR`). Credits accrue only while
``running``.

**CPUUtilization** for CloudWatch: :meth:`Instance.cpu_seconds_used` is the busy vCPU-seconds so
far; :meth:`Instance.cpu_utilisation` turns two readings into a percentage of all vCPUs, as EC2
reports it (a throttled t3.large shows its 30 % baseline).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappop as _heappop
from heapq import heappush as _heappush
from typing import TYPE_CHECKING, Final

from fleetsim.config.catalog import InstanceType
from fleetsim.sim.entities import Host
from fleetsim.sim.errors import IllegalTransition

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.engine import Engine
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

BILLING_MINIMUM_S: Final = 60.0  # per-second billing, 60 s minimum per entry into running (§3)
SECONDS_PER_CREDIT: Final = 60.0  # one CPU credit = one vCPU at 100 % for one minute (EC2 UG)
_INF: Final = math.inf


class Instance(Host):
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
        speed: CPU speed per vCPU (default: the type's).
        credit_mode: ``standard`` or ``unlimited`` (burstable types only).
        credits: initial CPU credit balance (burstable types only).
        spot: True for a Spot Instance.
    """

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        name: str,
        az: str,
        itype: InstanceType,
        workers: int,
        queue_size: int,
        cpu_time: Callable[[], float],
        on_served: Callable[[Request, float], None],
        on_failed: Callable[[Request, float, str], None],
        *,
        speed: float | None = None,
        credit_mode: str = "unlimited",
        credits: float = 0.0,
        spot: bool = False,
    ) -> None:
        super().__init__(name, az)
        self.env = env
        self._clock = env.clock
        self.rec = rec
        self.itype = itype
        self.workers = workers
        self.queue_size = queue_size
        self.spot = spot
        self._cpu_time = cpu_time
        self._full_speed = itype.speed if speed is None else speed
        self._speed = self._full_speed
        self._on_served = on_served
        self._on_failed = on_failed
        self.launched = env.now
        self.app_up = False  # the application answers (boot finished)
        self.reachable = True  # False while its AZ is down or it is impaired
        self.impaired = False  # failed host: EC2 state running, answers nothing (§8)
        self._n = 0  # requests sharing the CPU
        self._io: set[Request] = set()  # requests holding a worker for a store round trip
        self._held = 0  # workers held by costly health checks
        self._epoch = 0  # bumped when the instance fails everything: stale releases ignored
        self.queue: deque[Request] = deque()
        # Health checks waiting in the accept queue, each behind the request queued before it.
        self._probes: list[HealthProbe] = []
        self.served = 0
        self.billed_seconds = 0.0
        self._running_since: float | None = None
        # Processor sharing: virtual clock, heap of (finish key, tie-break, request), one wake.
        self.vcpus = itype.vcpus
        self._v = 0.0
        self._t = env.now
        self._heap: list[tuple[float, int, Request]] = []
        self._seq = 0
        self._wake_at = _INF
        self._token = 0
        self._cpu_used = 0.0
        # CPU credits (T instances): balance in credits, earnings per second.
        self.burstable = itype.burstable
        self.unlimited = credit_mode == "unlimited"
        self._credits = credits
        self._earn = itype.credits_per_hour / 3600.0
        self._max_credits = itype.max_credits
        self._base_vcpus = itype.baseline * itype.vcpus
        # Only a standard-mode T instance can lose vCPUs; the others skip that test per event.
        self._throttles = self.burstable and not self.unlimited
        self.throttled_since: float | None = None
        # Bound once: a bound method made per request is measurable on the hot path.
        self._wake_cb = self._wake
        self._io_done_cb = self._io_done

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
        self._advance(now)
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
    def busy(self) -> int:
        """Workers in use: requests on the CPU, those waiting on a store round trip, checks."""
        return self._n + len(self._io) + self._held

    @property
    def in_flight(self) -> int:
        """Requests being served or waiting in the accept queue."""
        return self._n + len(self._io) + len(self.queue)

    @property
    def purchase(self) -> str:
        """``spot`` or ``on-demand``."""
        return "spot" if self.spot else "on-demand"

    def start_app(self, warmup: float = 0.0, warm_speed: float = 1.0) -> None:
        """The application answers from now on, at ``warm_speed`` for ``warmup`` seconds."""
        self.app_up = True
        if warmup > 0 and warm_speed < 1.0:
            self.set_speed(self._full_speed * warm_speed)
            done = self.env.timeout(warmup)
            done.callbacks.append(lambda _e: self.set_speed(self._full_speed))

    def set_speed(self, speed: float) -> None:
        """Change the CPU speed per vCPU from now on (running requests keep their progress)."""
        self._advance(self.env.now)
        self._speed = speed
        self._schedule()

    # --- CPU accounting ------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        # Integrate the virtual clock, busy CPU and credits over [self._t, now], during which
        # the number of running requests was constant (every change calls this first).
        dt = now - self._t
        if dt <= 0.0:
            return
        self._t = now
        if self.state != "running":
            return
        n = self._n
        demand = n if n < self.vcpus else self.vcpus
        if not self.burstable:
            if n:
                self._cpu_used += demand * dt
                self._v += self._speed * demand / n * dt
            return
        used = self._burst(demand, dt)
        self._cpu_used += used
        if n:
            self._v += self._speed * used / n

    def _burst(self, demand: float, dt: float) -> float:
        """Advance the credit balance by ``dt``; return the vCPU-seconds actually used."""
        base = self._base_vcpus
        spend = demand / SECONDS_PER_CREDIT - self._earn  # net credits per second
        b = self._credits
        if self.unlimited or demand <= base or b - spend * dt >= 0.0:
            b -= spend * dt
            self._credits = b if b < self._max_credits else self._max_credits
            if self.throttled_since is not None and (self.unlimited or demand <= base):
                self.throttled_since = None
            return demand * dt
        # Standard mode: the balance runs out part-way; from then on only the baseline.
        full = b / spend if b > 0.0 else 0.0
        self._credits = 0.0
        if self.throttled_since is None:
            self.throttled_since = self._t - dt + full
            # Noticed at the next event; the row says when the balance actually hit zero.
            detail = f"credits ran out at {self.throttled_since:.3f} s"
            self.rec.event(self._t, "ec2.cpu_throttled", "ec2", self.az, self.name, detail)
        return demand * full + base * (dt - full)

    def _capacity(self) -> float:
        # Usable vCPUs right now.
        if (
            self.burstable
            and not self.unlimited
            and self._credits <= 0.0
            and self._n > self._base_vcpus
        ):
            return self._base_vcpus
        return self.vcpus

    def cpu_seconds_used(self, now: float) -> float:
        """Busy vCPU-seconds since launch, up to ``now`` (for CloudWatch CPUUtilization)."""
        self._advance(now)
        return self._cpu_used

    def cpu_utilisation(self, since: float, used_then: float, now: float) -> float:
        """CPUUtilization (%) over ``[since, now]`` given ``cpu_seconds_used(since)``."""
        if now <= since:
            return 0.0
        return 100.0 * (self.cpu_seconds_used(now) - used_then) / (self.vcpus * (now - since))

    def set_credits(self, credits: float) -> None:
        """Set the CPU credit balance now (e.g. a warm fleet's earned credits)."""
        self._advance(self.env.now)
        self._credits = credits

    def credit_balance(self, now: float) -> float:
        """CPU credit balance at ``now`` (negative: surplus credits in unlimited mode)."""
        self._advance(now)
        return self._credits

    # --- serving -------------------------------------------------------------------------

    def accept(self, req: Request) -> None:
        """Take a routed request: serve it, queue it, or refuse it with 503."""
        if self._n + len(self._io) + self._held < self.workers:
            self._start(req)
        elif len(self.queue) + len(self._probes) < self.queue_size:
            self.queue.append(req)
        else:
            self._on_failed(req, self._clock.now, "503 target_overloaded")

    def _start(self, req: Request) -> None:
        now = self._clock.now
        if now > self._t:
            self._advance(now)
        self._n += 1
        req.started = now
        self._seq += 1
        cpu = req.cpu
        if cpu < 0.0:
            cpu = self._cpu_time()
        _heappush(self._heap, (self._v + cpu, self._seq, req))
        self._schedule()

    def _schedule(self) -> None:
        # Make sure a wake is pending no later than the earliest finish at the current rate.
        heap = self._heap
        if not heap:
            return
        n = self._n
        cap = self._capacity() if self._throttles else self.vcpus
        rate = self._speed * (cap if n > cap else n) / n
        clock = self._clock
        now = clock.now
        delay = (heap[0][0] - self._v) / rate
        if delay < 0.0:
            delay = 0.0
        if now + delay < self._wake_at:
            self._wake_at = now + delay
            self._token += 1
            clock.call_later(delay, self._wake_cb, self._token)

    def _wake(self, token: int) -> None:
        if token != self._token:
            return  # superseded by an earlier wake, or the instance failed its requests
        clock = self._clock
        now = clock.now
        if now > self._t:
            self._advance(now)
        self._wake_at = _INF
        heap = self._heap
        # Relative tolerance: finish keys and the clock are sums of many floats.
        v = self._v
        limit = v + 1e-9 * (1.0 + (v if v >= 0.0 else -v))
        while heap and heap[0][0] <= limit:
            req = _heappop(heap)[2]
            self._n -= 1
            if req.done:
                # The load balancer timed it out: it held its worker until now, unanswered.
                continue
            extra = req.extra
            if extra > 0.0:
                # Off the CPU, still holding the worker until the store answers.
                self._io.add(req)
                clock.call_later(extra, self._io_done_cb, req)
                continue
            self.served += 1
            self._on_served(req, now)
        if self.queue or self._probes:
            self._refill()
        self._schedule()

    def _io_done(self, req: Request) -> None:
        io = self._io
        if req not in io:
            return  # failed meanwhile (the instance died or drained)
        io.discard(req)
        if not req.done:  # unless the load balancer timed it out meanwhile
            self.served += 1
            self._on_served(req, self._clock.now)
        if self.queue or self._probes:
            self._refill()

    def _refill(self) -> None:
        if self._probes:
            self._refill_probing()
            return
        while self.queue and self.busy < self.workers and self.alive:
            self._start(self.queue.popleft())

    def _refill_probing(self) -> None:
        # As _refill, with health checks in the queue: a check whose predecessor has left the
        # queue is at its head and takes the next free worker (FIFO, like a request).
        probes = self._probes
        while self.busy < self.workers and self.alive:
            if probes and probes[0].ready():
                self._answer(probes.pop(0))
            elif self.queue:
                self._start(self.queue.popleft())
            else:
                return

    # --- health checks through the accept queue ------------------------------------------

    def probe(self, cost: float, on_answer: Callable[[], None]) -> HealthProbe | None:
        """Send a health check through the accept queue, like a request.

        It is answered (``on_answer`` called) once it gets a worker, ``cost`` seconds later: at
        once if a worker is free, else after every request queued before it has left the queue.

        Returns:
            The waiting check (withdraw it with :meth:`withdraw_probe` if its timeout passes
            first), or None if the accept queue is full: the check is dropped, never answered.
        """
        probes = self._probes
        if self.busy < self.workers and not self.queue and not probes:
            check = HealthProbe(None, cost, on_answer)
            self._answer(check)
            return check
        if len(self.queue) + len(probes) >= self.queue_size:
            return None
        check = HealthProbe(self.queue[-1] if self.queue else None, cost, on_answer)
        probes.append(check)
        return check

    def withdraw_probe(self, check: HealthProbe) -> None:
        """The check timed out: the load balancer closed its connection; it leaves the queue."""
        if check in self._probes:
            self._probes.remove(check)

    def _answer(self, check: HealthProbe) -> None:
        if check.cost > 0.0:
            self.hold_worker(check.cost)
            self._clock.call_later(check.cost, _answer_later, check)
        else:
            check.on_answer()

    def leave_queue(self, req: Request) -> None:
        """Take ``req`` out of the accept queue if it is there (the load balancer timed it out)."""
        queue = self.queue
        if queue and queue[0] is req:  # FIFO: the oldest request usually times out first
            queue.popleft()
        elif req in queue:
            queue.remove(req)

    def hold_worker(self, seconds: float) -> None:
        """Hold one worker for ``seconds`` without using the CPU (a costly health check)."""
        self._held += 1
        self._clock.call_later(seconds, self._release, self._epoch)

    def _release(self, epoch: int) -> None:
        if epoch != self._epoch:
            return  # the instance failed everything meanwhile, the held worker with it
        self._held -= 1
        self._refill()

    def fail_in_flight(self, cause: str) -> int:
        """Fail every request in service or queued with ``cause``; return how many."""
        now = self.env.now
        victims = self._drop_all(now)
        for req in victims:
            self._on_failed(req, now, cause)
        return len(victims)

    def black_hole(self) -> int:
        """Stop answering, without a reset: return how many requests are left unanswered.

        The requests in service or queued get no answer and no RST; the load balancer still
        holds them open and fails them ``504`` at its idle timeout (§8, §1.4). Queued health
        checks are never answered either (they time out).
        """
        return len(self._drop_all(self.env.now))

    def _drop_all(self, now: float) -> list[Request]:
        # Forget every request and check here; return the requests that had no outcome yet.
        self._advance(now)
        # Deterministic order (a set's follows memory addresses, which differ between
        # processes): the order of failures decides the order of the users' next draws.
        io = sorted(self._io, key=lambda r: r.id)
        victims = [e[2] for e in sorted(self._heap) if not e[2].done]
        victims += [r for r in io if not r.done]
        victims += self.queue
        self._heap.clear()
        self._io.clear()
        self.queue.clear()
        self._probes.clear()
        self._n = 0
        self._held = 0
        self._epoch += 1
        self._token += 1  # the pending wake is now stale
        self._wake_at = _INF
        return victims


class HealthProbe:
    """A health check sent through an instance's accept queue (see :meth:`Instance.probe`).

    Attributes:
        after: the request queued just before it (None: it is at the head of the queue).
        cost: worker-seconds the check takes once it has a worker.
        on_answer: called when the target answers it.
    """

    __slots__ = ("after", "cost", "on_answer")

    def __init__(self, after: Request | None, cost: float, on_answer: Callable[[], None]) -> None:
        self.after = after
        self.cost = cost
        self.on_answer = on_answer

    def ready(self) -> bool:
        """True once every request queued before it has left the queue (started or timed out)."""
        after = self.after
        return after is None or after.started is not None or after.done


def _answer_later(check: HealthProbe) -> None:
    check.on_answer()
