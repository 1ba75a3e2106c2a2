"""The simulation engine: a SimPy environment whose event heap also holds plain timed calls.

Every request costs a few timed waits: the user's think time, the instance's next
processor-sharing finish, a session-store round trip. As SimPy ``Timeout`` events each one
builds an event object with a callback list and goes through ``Environment.step``. A timed call
here is one heap entry keyed the way SimPy keys its events (time, priority, insertion number),
and :class:`Engine` schedules SimPy's own events (processes, ``env.timeout``, conditions) into
the same heap under the same keys. Keys are unique, so the order of everything that happens is
the order SimPy would have given, and a model moved from ``Timeout`` to timed calls produces
bit-identical results.

The heap comes in two representations with one order:

* **tuples** ``(time, priority, id, function, argument)`` kept by :mod:`heapq`, the fastest
  heap for the pure-Python package;
* **entries**: :class:`_Entry` objects in :class:`_EntryHeap`, a binary heap written out here.
  In the compiled build (mypyc, see ``setup.py``) an entry's time and key are unboxed fields
  and a comparison is two machine compares, where comparing tuples costs a dozen generic
  comparisons; in pure Python it would be the slower of the two. Two more savings ride on
  it: entries due more than :data:`_FAR_S` ahead (mostly think times, nine in ten entries)
  wait in a second heap, so the heap that processor-sharing wakes and store round trips go
  through stays a few levels deep, and the run loop takes the earlier of the two first
  entries, which keeps the one order; and a spent entry is kept for the next call rather
  than freed and allocated again.

:data:`NATIVE_HEAP` says which one an :class:`Engine` uses unless told otherwise: entries when
this module is compiled, tuples otherwise. ``tests/sim/test_engine.py`` runs the same schedules
and a whole scenario on both and requires the same order.

The hot path reads the time and schedules calls through :attr:`Engine.clock`, a small
:class:`Clock` that owns the heap; ``env.now`` reads the same clock.

SimPy is used through its public API only: :class:`Engine` overrides the public ``now``,
``schedule``, ``peek``, ``step`` and ``run`` of ``simpy.Environment`` (so SimPy's own heap stays
empty) and reads events through ``ok``, ``value``, ``defused`` and ``callbacks``; this holds for
every SimPy 4 release the package allows (``tests/test_simpy_api.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, Final

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, URGENT, Event

# The priority of an event whose callbacks a stop interrupted: before URGENT (see Engine._fire).
_RESUME_FIRST: Final = -1
# Entry keys pack (priority, insertion number) into one int: priority * 2**50 + id. SimPy's
# priorities are -1 (a re-scheduled stop), URGENT = 0 and NORMAL = 1; ids stay below 2**50.
_PRIORITY_STEP: Final = 1 << 50
_NORMAL_BASE: Final = int(NORMAL) << 50
# Entries due more than this many seconds ahead (think times, timeouts) wait in a second heap,
# so that the one most steps push to and pop from stays small (see Clock).
_FAR_S: Final = 0.25


def _compiled() -> bool:
    # mypyc turns module-level functions into builtins; CPython leaves them Python functions.
    return type(_compiled).__name__ != "function"


NATIVE_HEAP: Final[bool] = _compiled()
"""Whether an :class:`Engine` uses the entry heap by default (true in the compiled build)."""


def _nothing(arg: Any) -> None:
    # What a spent entry holds in place of its call.
    pass


def _stop(arg: Any) -> None:
    # The call that ends ``Engine.run(until=<time>)``.
    raise StopSimulation(arg)


class _Entry:
    """One scheduled call: ``fn(arg)`` at ``time``; ``key`` breaks ties (see the module doc)."""

    def __init__(self, time: float, key: int, fn: Callable[[Any], object], arg: Any) -> None:
        self.time = time
        self.key = key
        self.fn = fn
        self.arg = arg


class _EntryHeap:
    """A binary min-heap of :class:`_Entry` ordered by ``(time, key)``, as :mod:`heapq` works."""

    def __init__(self) -> None:
        self.items: list[_Entry] = []

    def push(self, entry: _Entry) -> None:
        """Add ``entry``."""
        items = self.items
        items.append(entry)
        _sift_up(items, len(items) - 1, entry)

    def pop(self) -> _Entry:
        """Remove and return the first entry (``IndexError`` if the heap is empty)."""
        items = self.items
        last = items.pop()
        n = len(items)
        if n == 0:
            return last
        first = items[0]
        # heapq's way: walk the hole at the root down to a leaf along the smaller children,
        # then put the last entry there and sift it up (fewer comparisons than sifting down).
        pos = 0
        child = 1
        while child < n:
            smaller = items[child]
            right = child + 1
            if right < n:
                other = items[right]
                if other.time < smaller.time or (
                    other.time == smaller.time and other.key < smaller.key
                ):
                    smaller = other
                    child = right
            items[pos] = smaller
            pos = child
            child = 2 * pos + 1
        _sift_up(items, pos, last)
        return first


def _sift_up(items: list[_Entry], pos: int, entry: _Entry) -> None:
    # Put ``entry`` in the hole at ``pos``, moving later parents down into it.
    time = entry.time
    key = entry.key
    while pos > 0:
        up = (pos - 1) >> 1
        parent = items[up]
        if time < parent.time or (time == parent.time and key < parent.key):
            items[pos] = parent
            pos = up
        else:
            break
    items[pos] = entry


class Clock:
    """The current time and the event heap, shared by the engine and the hot path.

    Args:
        native: keep the heap as :class:`_Entry` objects rather than tuples (module doc).
    """

    def __init__(self, native: bool) -> None:
        self.now = 0.0
        self.native = native
        self.queue: list[tuple[float, int, int, Callable[[Any], object], Any]] = []
        self.near = _EntryHeap()
        self.far = _EntryHeap()
        self.spare: list[_Entry] = []
        self._ids = 0

    def call_later(self, delay: float, fn: Callable[[Any], object], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` seconds, ordered as a ``Timeout`` made now would be.

        Unlike a ``Timeout`` nothing can wait for it and it cannot be cancelled: a caller that
        may change its mind keeps a token and ignores a stale call.
        """
        eid = self._ids
        self._ids = eid + 1
        if self.native:
            self._add(self.now + delay, _NORMAL_BASE + eid, fn, arg)
        else:
            heappush(self.queue, (self.now + delay, NORMAL, eid, fn, arg))

    def push(self, time: float, priority: int, fn: Callable[[Any], object], arg: Any) -> None:
        """Schedule ``fn(arg)`` at ``time`` with a SimPy priority (``URGENT`` before ``NORMAL``)."""
        eid = self._ids
        self._ids = eid + 1
        if self.native:
            self._add(time, int(priority) * _PRIORITY_STEP + eid, fn, arg)
        else:
            heappush(self.queue, (time, priority, eid, fn, arg))

    def _add(self, time: float, key: int, fn: Callable[[Any], object], arg: Any) -> None:
        # Into the near or the far heap, on a spent entry if there is one (the run loop keeps
        # them), else a new one. Every entry is made here, so spare ones never outnumber the
        # most ever scheduled.
        spare = self.spare
        if spare:
            entry = spare.pop()
            entry.time = time
            entry.key = key
            entry.fn = fn
            entry.arg = arg
        else:
            entry = _Entry(time, key, fn, arg)
        if time - self.now > _FAR_S:
            self.far.push(entry)
        else:
            self.near.push(entry)

    def peek(self) -> float:
        """The time of the next scheduled call or event (``Infinity`` if there is none)."""
        if self.native:
            heap = self._first()
            return heap.items[0].time if heap is not None else Infinity
        return self.queue[0][0] if self.queue else Infinity

    def _first(self) -> _EntryHeap | None:
        # The heap whose first entry comes first (None if both are empty).
        near = self.near.items
        far = self.far.items
        if not far:
            return self.near if near else None
        if not near:
            return self.far
        a = near[0]
        b = far[0]
        if b.time < a.time or (b.time == a.time and b.key < a.key):
            return self.far
        return self.near

    def pop(self) -> tuple[Callable[[Any], object], Any]:
        """Advance the time to the next scheduled call, remove it and return ``(fn, arg)``.

        Raises:
            EmptySchedule: nothing is scheduled.
        """
        if self.native:
            heap = self._first()
            if heap is None:
                raise EmptySchedule
            entry = heap.pop()
            self.now = entry.time
            return entry.fn, entry.arg
        if not self.queue:
            raise EmptySchedule
        item = heappop(self.queue)
        self.now = item[0]
        return item[3], item[4]


class Engine(simpy.Environment):
    """A ``simpy.Environment`` that also runs plain timed calls (see the module docstring).

    Args:
        initial_time: the clock's start.
        native: the heap representation; ``None`` takes :data:`NATIVE_HEAP`.
    """

    def __init__(self, initial_time: float = 0.0, native: bool | None = None) -> None:
        super().__init__(initial_time)
        self.clock = Clock(NATIVE_HEAP if native is None else native)
        self.clock.now = float(initial_time)
        self._fire_cb = self._fire

    @property
    def now(self) -> float:
        """The current simulation time."""
        return self.clock.now

    def call_later(self, delay: float, fn: Callable[[Any], object], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` seconds (see :meth:`Clock.call_later`)."""
        self.clock.call_later(delay, fn, arg)

    def schedule(self, event: Event, priority: Any = NORMAL, delay: float = 0) -> None:
        """Schedule a SimPy ``event`` with ``priority`` after ``delay`` (SimPy's contract)."""
        self.clock.push(self.clock.now + delay, priority, self._fire_cb, event)

    def peek(self) -> float:
        """The time of the next scheduled event or call (``Infinity`` if there is none)."""
        return self.clock.peek()

    def step(self) -> None:
        """Process the next event or timed call (``EmptySchedule`` if there is none)."""
        fn, arg = self.clock.pop()
        fn(arg)

    def _fire(self, event: Any) -> None:
        # What simpy.Environment.step does with an event once it is popped, through the
        # event's public attributes only.
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            # A stop in the middle of the callbacks (an ``until`` event): the rest run first
            # when the simulation resumes, before anything else at this time (SimPy 4.1).
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.clock.push(self.clock.now, _RESUME_FIRST, self._fire_cb, event)
            raise
        if not event.ok and not event.defused:
            # A failure nothing waited for crashes the run, with a copy of the exception.
            failure = event.value
            exc = type(failure)(*failure.args)
            exc.__cause__ = failure
            raise exc

    def run(self, until: float | Event | None = None) -> Any:
        """Run until ``until`` (a time or an event) or until nothing is scheduled.

        Same contract as ``simpy.Environment.run``; the loop is inlined so that a timed call
        costs a heap pop and a function call.
        """
        if until is not None:
            if not isinstance(until, Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.clock.now:
                    raise ValueError(
                        f"until ({at}) must be greater than the current simulation time"
                    )
                # Where SimPy schedules a stop event, before every regular event at that time:
                # a timed call under the same key, so everything keeps its order.
                self.clock.push(at, URGENT, _stop, None)
            elif until.callbacks is None:
                return until.value
            else:
                until.callbacks.append(StopSimulation.callback)
        try:
            if self.clock.native:
                self._run_entries()
            else:
                self._run_tuples()
        except StopSimulation as exc:
            return exc.args[0]
        except EmptySchedule:
            # A time to stop at is in the heap until it stops the run; an event may never come.
            if isinstance(until, Event):
                assert not until.triggered
                raise RuntimeError(
                    f'No scheduled events left but "until" event was not triggered: {until}'
                ) from None
        return None

    def _run_tuples(self) -> None:
        clock = self.clock
        queue = clock.queue
        while queue:
            item = heappop(queue)
            clock.now = item[0]
            item[3](item[4])
        raise EmptySchedule

    def _run_entries(self) -> None:
        clock = self.clock
        near_heap = clock.near
        far_heap = clock.far
        near = near_heap.items
        far = far_heap.items
        spare = clock.spare
        while True:
            # Clock._first, inlined: the earlier of the two heaps' first entries.
            if far:
                if near:
                    a = near[0]
                    b = far[0]
                    if b.time < a.time or (b.time == a.time and b.key < a.key):
                        entry = far_heap.pop()
                    else:
                        entry = near_heap.pop()
                else:
                    entry = far_heap.pop()
            elif near:
                entry = near_heap.pop()
            else:
                break
            clock.now = entry.time
            fn = entry.fn
            arg = entry.arg
            # Kept for reuse, without holding on to what it called (a request, a user).
            entry.fn = _nothing
            entry.arg = None
            spare.append(entry)
            fn(arg)
        raise EmptySchedule
