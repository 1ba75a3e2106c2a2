"""The simulation engine: a SimPy environment with plain timed calls for the hot path.

Every request costs a few timed waits: the user's think time, the instance's next
processor-sharing finish, a session-store round trip. As SimPy ``Timeout`` events each one
builds an event object with a callback list and goes through ``Environment.step``. A timed call
here is one tuple in the *same* heap as SimPy's events, keyed the same way (time, priority,
insertion number): :meth:`Engine.call_later` takes its insertion number from SimPy's counter, so
the order of everything that happens is exactly the order the equivalent ``Timeout`` would have
given, and a model moved from one to the other produces bit-identical results.

SimPy queue entries are 4-tuples ``(time, priority, id, event)``; a timed call is the 5-tuple
``(time, priority, id, function, argument)``. :meth:`Engine.run` and :meth:`Engine.step` tell
them apart by length; everything else (processes, ``env.timeout``, conditions, ``peek``) is
SimPy's own.

The hot path reads the time and schedules calls through :attr:`Engine.clock`, a small
:class:`Clock` the run loop keeps in step with ``env.now``: in the compiled build reading
``clock.now`` is a field read where ``env.now`` is a Python property call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event

_EventPriority: Any = type(NORMAL)


class Clock:
    """The current time and the timed-call queue, shared with the engine (see the module doc).

    Args:
        queue: the engine's event heap.
        ids: the engine's insertion counter (shared, so calls and events keep one order).
    """

    def __init__(self, queue: list[Any], ids: Iterator[int]) -> None:
        self.now = 0.0
        self._queue = queue
        self._ids = ids

    def call_later(self, delay: float, fn: Callable[[Any], object], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` seconds, ordered as a ``Timeout`` made now would be.

        Unlike a ``Timeout`` nothing can wait for it and it cannot be cancelled: a caller that
        may change its mind keeps a token and ignores a stale call.
        """
        heappush(self._queue, (self.now + delay, NORMAL, next(self._ids), fn, arg))


class Engine(simpy.Environment):
    """A ``simpy.Environment`` that also runs plain timed calls (see the module docstring).

    Args:
        initial_time: the clock's start.
    """

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)
        self.clock = Clock(self._queue, self._eid)
        self.clock.now = float(initial_time)

    def call_later(self, delay: float, fn: Callable[[Any], object], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` seconds (see :meth:`Clock.call_later`)."""
        self.clock.call_later(delay, fn, arg)

    def step(self) -> None:
        """Process the next event or timed call (``EmptySchedule`` if there is none)."""
        queue: list[Any] = self._queue
        try:
            item = heappop(queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = self.clock.now = item[0]
        if len(item) == 5:
            item[3](item[4])
            return
        self._fire(item[3])

    def _fire(self, event: Any) -> None:
        # simpy.Environment.step's body after the pop, unchanged.
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, _EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def run(self, until: float | Event | None = None) -> Any:
        """Run until ``until`` (a time or an event) or until nothing is scheduled.

        Same contract as ``simpy.Environment.run``; the loop is inlined so that a timed call
        costs a heap pop and a function call.
        """
        if until is not None:
            if not isinstance(until, Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self._now:
                    raise ValueError(
                        f"until ({at}) must be greater than the current simulation time"
                    )
                # As SimPy does: a stop event before every regular event at that time.
                until = Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self._now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        queue: list[Any] = self._queue
        fire = self._fire
        clock = self.clock
        try:
            while True:
                try:
                    item = heappop(queue)
                except IndexError:
                    raise EmptySchedule from None
                self._now = clock.now = item[0]
                if len(item) == 5:
                    item[3](item[4])
                else:
                    fire(item[3])
        except StopSimulation as exc:
            return exc.args[0]
        except EmptySchedule:
            if until is not None:
                assert not until.triggered
                raise RuntimeError(
                    f'No scheduled events left but "until" event was not triggered: {until}'
                ) from None
        return None
