"""The recorder: a passive ledger that components append plain values and rows to.

Two kinds of metric are kept apart (as salabim does): *observations* counted per one-second bin
(arrivals, outcomes, latencies) and *levels* (instances in service, queue lengths) sampled once a
simulated second. Latency quantiles come from a log-binned histogram (100 bins per decade, so a
quantile is exact to within ±1.2 %), which keeps memory flat however long the run; the same bins,
kept sparse per simulated minute, give latency quantiles over time. Per-request rows are kept only
when ``record.requests`` is on. Nothing here schedules events.

The recorder is passive and knows nothing of the model: it takes plain values (ids, times,
strings, numbers) and the rows of :mod:`fleetsim.record.rows`, and it never changes a model
object. The model owns its flags: a request marks itself done and a session ended, and reports a
second outcome with :meth:`Recorder.double_outcome` / :meth:`Recorder.double_session_end`,
which the invariants check.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Any, Final

from fleetsim.record.launches import LaunchLedger
from fleetsim.record.logs import LevelLog, SessionLog
from fleetsim.record.outcomes import LostCause, SessionOutcome
from fleetsim.record.rows import EventRow, LevelLayout, RequestRow, SessionRow

# Final: the compiled build folds these into the code instead of looking them up per request.
HIST_BINS_PER_DECADE: Final = 100
HIST_MIN_EXP: Final = -5  # 10 µs
HIST_MAX_EXP: Final = 4  # 10,000 s
_HIST_N: Final = (HIST_MAX_EXP - HIST_MIN_EXP) * HIST_BINS_PER_DECADE
_HIST_LOW: Final = 1e-5  # 10.0**HIST_MIN_EXP
LATENCY_WINDOW_S: Final = 60  # width of the windows of Result.latency (per-minute quantiles)


def hist_quantile(counts: dict[int, int] | Sequence[int], q: float) -> float:
    """Return the ``q`` quantile of a latency histogram (bin midpoint), or NaN if it is empty.

    Args:
        counts: counts by bin index, dense (a list or array) or sparse (a dict).
        q: the quantile, in [0, 1].
    """
    items = sorted(counts.items()) if isinstance(counts, dict) else list(enumerate(counts))
    total = sum(c for _, c in items)
    if total == 0:
        return math.nan
    target = q * total
    acc = 0
    for i, count in items:
        acc += count
        if acc >= target and count:
            return float(10 ** (HIST_MIN_EXP + (i + 0.5) / HIST_BINS_PER_DECADE))
    return math.nan


class Recorder:
    """Counts every request and session outcome and keeps the rows a Result is built from.

    Args:
        duration: simulated seconds (sets the number of one-second bins).
        keep_requests: keep one row per request (for small runs and exact tests).
    """

    def __init__(self, duration: float, keep_requests: bool = False) -> None:
        n = math.ceil(duration) + 1
        self.bins = n
        self.arrival_bins = [0] * n
        self.ok_bins = [0] * n
        self.latency_sum = [0.0] * n
        self.failed: dict[str, list[int]] = {}
        self.failed_total: dict[str, int] = {}
        self.requests_total = 0
        self.requests_ok = 0
        self.requests_failed = 0
        self.double_outcomes = 0
        # Dense 32-bit counts per window: 3.6 kB a minute, a quarter of a sparse dict's size
        # once a minute of traffic has spread over a few hundred bins. The window being filled
        # is a plain list (a native increment in the compiled build, where an array's is a
        # generic call); it is copied in when the next window starts or when read. Windows
        # nobody has filled share one empty array, never written to.
        empty = array("I", [0]) * (_HIST_N + 1)
        self._empty = empty
        self._windows: list[array[int]] = [empty] * math.ceil(n / LATENCY_WINDOW_S)
        self._window = [0] * (_HIST_N + 1)
        self._window_k = 0
        self.latency_total = 0.0
        # Little's law: time-integral of the number of requests in the system.
        self.in_system = 0
        self._area = 0.0
        self._last_t = 0.0
        self.keep_requests = keep_requests
        self.request_rows: list[RequestRow] = []
        self.sessions_created = 0
        self.session_outcomes: dict[str, int] = {}
        self.lost_by_cause: dict[str, int] = {}
        self.session_rows = SessionLog()
        self.double_session_ends = 0
        self.sessions_stale = 0
        self.drain_times: list[float] = []
        # Users and their planned actions (the demand, identical across variants of a seed).
        self.users_total = 0
        self.user_outcomes: dict[str, int] = {}
        self.users_affected = 0
        self.users_turned_away = 0
        self.actions_total = 0
        self.actions_served = 0
        self.actions_failed = 0
        self.actions_abandoned = 0
        self.actions_pending = 0
        self.actions_redone = 0
        # Launches during the run, one typed row each (request, InService, healthy, departure).
        self.launches = LaunchLedger()
        self.uploads_total = 0
        self.uploads_lost = 0
        self.uploads_lost_by_cause: dict[str, int] = {}
        self.events: list[EventRow] = []
        self.levels = LevelLog()
        self.level_layout = LevelLayout()

    # --- requests ------------------------------------------------------------------------

    def arrival(self, now: float) -> None:
        """Count a request reaching the load balancer at ``now``."""
        self.requests_total += 1
        # Bins cover [0, ceil(duration)]; the run never processes an event past its end.
        self.arrival_bins[int(now)] += 1
        self._area += self.in_system * (now - self._last_t)
        self._last_t = now
        self.in_system += 1

    def ok(self, arrived: float, now: float) -> None:
        """Count a successful response at ``now`` to a request that arrived at ``arrived``."""
        latency = now - arrived
        i = int(now)
        self.ok_bins[i] += 1
        self.latency_sum[i] += latency
        self.requests_ok += 1
        self.latency_total += latency
        if latency > _HIST_LOW:
            b = int((math.log10(latency) - HIST_MIN_EXP) * HIST_BINS_PER_DECADE)
            if b > _HIST_N:
                b = _HIST_N
        else:
            b = 0
        k = i // LATENCY_WINDOW_S
        if k != self._window_k:
            self._store_window()
            self._window = [0] * (_HIST_N + 1)
            self._window_k = k
        self._window[b] += 1
        self._area += self.in_system * (now - self._last_t)
        self._last_t = now
        self.in_system -= 1

    def fail(self, now: float, cause: str) -> None:
        """Count a failed request; ``cause`` is ``"<status> <reason>"``, e.g. 502 target_reset."""
        series = self.failed.get(cause)
        if series is None:
            cause = str(cause)  # a RequestOutcome member is keyed by its plain string
            series = self.failed[cause] = [0] * self.bins
            self.failed_total[cause] = 0
        series[int(now)] += 1
        self.failed_total[cause] += 1
        self.requests_failed += 1
        self._area += self.in_system * (now - self._last_t)
        self._last_t = now
        self.in_system -= 1

    def double_outcome(self) -> None:
        """Count a second outcome the model refused for a request that already had one."""
        self.double_outcomes += 1

    def request_row(self, row: RequestRow) -> None:
        """Keep one request's row (the model builds it only when :attr:`keep_requests` is on)."""
        self.request_rows.append(row)

    def time_average_in_system(self, now: float) -> float:
        """Return the time-averaged number of requests in the system over [0, now]."""
        area = self._area + self.in_system * (now - self._last_t)
        return area / now if now > 0 else 0.0

    def _store_window(self) -> None:
        # Copy the window being filled into its slot; repeatable, as it copies totals.
        if any(self._window):
            self._windows[self._window_k] = array("I", self._window)

    @property
    def latency_windows(self) -> list[array[int]]:
        """Latency histograms of successful requests, one per ``LATENCY_WINDOW_S`` window."""
        self._store_window()
        return self._windows

    @property
    def latency_hist(self) -> list[int]:
        """Latency histogram of every successful request: the windows' counts summed."""
        total = [0] * (_HIST_N + 1)
        for window in self.latency_windows:
            if window is not self._empty:
                for b, count in enumerate(window):
                    total[b] += count
        return total

    def latency_quantile(self, q: float) -> float:
        """Return the ``q`` quantile of successful-request latency (histogram midpoint), or NaN."""
        return hist_quantile(self.latency_hist, q)

    # --- sessions ------------------------------------------------------------------------

    def session_created(self) -> None:
        """Count a new session (a login)."""
        self.sessions_created += 1

    def session_ended(self, row: SessionRow) -> None:
        """Record the one outcome of a session (completed, lost with a cause, abandoned…)."""
        outcome = row.outcome
        outcomes = self.session_outcomes
        if outcome in outcomes:
            outcomes[outcome] += 1
        else:
            outcomes[str(outcome)] = 1  # a SessionOutcome member is keyed by its plain string
        if outcome == SessionOutcome.LOST:
            key = str(row.cause or LostCause.UNKNOWN)
            self.lost_by_cause[key] = self.lost_by_cause.get(key, 0) + 1
        self.session_rows.append(row)

    def session_stale(self) -> None:
        """Count a session read back with an older value than its last write (a failover)."""
        self.sessions_stale += 1

    def double_session_end(self) -> None:
        """Count a second end the model refused for a session that had already ended."""
        self.double_session_ends += 1

    # --- load balancer -------------------------------------------------------------------

    def target_drained(self, seconds: float) -> None:
        """A target's deregistration completed ``seconds`` after it began (its drain time)."""
        self.drain_times.append(seconds)

    # --- users and their actions --------------------------------------------------------

    def user_arrived(self, actions: int) -> None:
        """Count a user arriving with a plan of ``actions`` actions."""
        self.users_total += 1
        self.actions_total += actions

    def action_served(self) -> None:
        """Count a planned action served."""
        self.actions_served += 1

    def action_redone(self) -> None:
        """Count an action served again because a lost session held its work."""
        self.actions_redone += 1

    def user_ended(
        self,
        outcome: str,
        failed: int,
        abandoned: int,
        pending: int,
        turned_away: bool,
        affected: bool,
    ) -> None:
        """Record how a user's visit ended and what became of its unserved actions.

        Args:
            outcome: a :class:`~fleetsim.record.outcomes.UserOutcome`.
            failed: actions the user tried and gave up on.
            abandoned: actions the user never tried because they left.
            pending: actions not ended when the run stopped.
            turned_away: the user never obtained a session.
            affected: the user saw a failure or lost a session.
        """
        outcomes = self.user_outcomes
        outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1
        self.actions_failed += failed
        self.actions_abandoned += abandoned
        self.actions_pending += pending
        self.users_turned_away += int(turned_away)
        self.users_affected += int(affected)

    # --- uploads -------------------------------------------------------------------------

    # --- launches ------------------------------------------------------------------------

    def launch_started(self, instance: str, now: float) -> None:
        """A launch during the run asked for ``instance`` (``asg.Pending``): its wait starts."""
        self.launches.started(instance, now)

    def launch_in_service(self, instance: str, now: float) -> None:
        """``instance`` went InService: the wait of its launch, if one started, ends."""
        self.launches.in_service(instance, now)

    def launch_healthy(self, instance: str, now: float) -> None:
        """The target of ``instance`` passed a health check (its launch's first counts)."""
        self.launches.healthy(instance, now)

    def launch_ended(self, instance: str, now: float) -> None:
        """``instance`` left service (``Terminating``): its launch's row is closed."""
        self.launches.ended(instance, now)

    def boot_failed(self) -> None:
        """Count a boot that failed (the app never came up)."""
        self.launches.boot_failures += 1

    def upload_stored(self) -> None:
        """Count a file stored by a successful upload."""
        self.uploads_total += 1

    def uploads_lost_add(self, count: int, cause: str) -> None:
        """Count ``count`` stored files lost with ``cause`` (e.g. instance_terminated)."""
        self.uploads_lost += count
        self.uploads_lost_by_cause[cause] = self.uploads_lost_by_cause.get(cause, 0) + count

    # --- events and levels ---------------------------------------------------------------

    def event(
        self,
        now: float,
        kind: str,
        scope: str,
        az: str | None = None,
        instance: str | None = None,
        detail: str = "",
    ) -> None:
        """Append an event row (fault, launch, state change, scaling decision…)."""
        self.events.append(EventRow(now, kind, scope, az, instance, detail))

    @property
    def level_columns(self) -> list[str]:
        """The names of the level columns, from :attr:`level_layout`."""
        return self.level_layout.columns

    def level(self, row: tuple[Any, ...]) -> None:
        """Append one per-second sample of the levels (a row of :attr:`level_layout`)."""
        self.levels.append(row)
