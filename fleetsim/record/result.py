"""The Result of one run: its configuration, its ledger and tidy pandas frames.

Frames (all times in seconds from the start of the run, money in USD):

* ``timeline`` — one row per simulated second ``time``: ``arrivals``, ``ok``, ``failed``,
  ``failed_<status>_<cause>`` per cause, ``latency_mean_s`` (successful requests finishing in
  that second), and the levels sampled at the start of the second: ``in_service``,
  ``in_service_<az>`` per AZ, ``pending``, ``healthy_targets``, ``busy_workers``, ``queued``,
  ``sessions_active``.
* ``sessions`` — one row per session: ``session``, ``user``, ``start``, ``end``, ``outcome``
  (completed, lost, abandoned, expired, active), ``cause`` (for lost), ``requests``, ``home_az``.
* ``events`` — ``time``, ``kind``, ``scope``, ``az``, ``instance``, ``detail``.
* ``alb_metrics`` — one row per minute: the ALB's CloudWatch metrics (``RequestCount``,
  ``RequestCountPerTarget``, ``HTTPCode_ELB_5XX_Count``, ``TargetResponseTime``,
  ``HealthyHostCount``/``UnHealthyHostCount`` per AZ…); see :mod:`fleetsim.record.alb_metrics`.
* ``latency`` — one row per simulated minute ``time`` (its start): ``ok`` (successful requests
  finishing in it) and their latency quantiles ``p50_s``, ``p95_s``, ``p99_s`` (NaN if none),
  from the same log-binned histogram as the summary's quantiles (within ±1.2 %).
* ``requests`` — only with ``record.requests: true``: ``request``, ``user``, ``arrived``,
  ``ended``, ``outcome``, ``instance``, ``kind`` (login/page/write/upload with a request mix,
  else empty).

A Result pickles (plain lists and dicts inside), so it can come back from a worker process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from fleetsim.record.alb_metrics import alb_metrics_frame
from fleetsim.record.costs import CostItem, cost_usd
from fleetsim.record.invariants import Check
from fleetsim.record.launches import LaunchFigures
from fleetsim.record.outcomes import SessionOutcome, UserOutcome
from fleetsim.record.recorder import LATENCY_WINDOW_S, Recorder, hist_quantile
from fleetsim.record.rows import EventRow, RequestRow, SessionRow

if TYPE_CHECKING:
    import pandas as pd

#: The launch reason of the warm initial fleet (InService at t = 0, left out of launch times).


def _cause_column(cause: str) -> str:
    return "failed_" + cause.replace(" ", "_")


class UserFigures(TypedDict):
    """What became of the users and of the actions they planned (part of :class:`Summary`).

    The plans are drawn when each user arrives, so two variants on one seed share
    ``users_total`` and ``actions_total``; see docs/model.md for each key's definition.
    """

    users_total: int
    users_completed: int
    users_affected: int
    users_turned_away: int
    users_left_early: int
    users_left_early_failures: int
    users_left_early_lost_session: int
    users_active_at_end: int
    actions_total: int
    actions_served: int
    actions_failed: int
    actions_abandoned: int
    actions_pending_at_end: int
    actions_redone: int


class Summary(LaunchFigures, UserFigures):
    """The headline figures of one run, as :meth:`Result.summary` returns them (JSON-ready).

    Session counts are by :class:`~fleetsim.record.outcomes.SessionOutcome`; ``failed_by_cause``
    is keyed by the failure cause (``"<status> <reason>"``), ``lost_by_cause`` by the
    :class:`~fleetsim.record.outcomes.LostCause`. ``sessions_stale`` is not an outcome: it counts
    sessions a Redis failover rolled back to an older value that their user then read (such a
    session goes on to its own outcome). ``drains`` and ``drain_time_mean_s`` count the targets
    whose deregistration completed and their mean drain time (NaN with none). Quantiles come
    from the latency histogram.
    """

    scenario: str
    seed: int
    duration_s: float
    requests_total: int
    requests_ok: int
    requests_failed: int
    requests_in_flight_at_end: int
    failed_ratio: float
    failed_by_cause: dict[str, int]
    sessions_total: int
    sessions_completed: int
    sessions_lost: int
    sessions_abandoned: int
    sessions_active_at_end: int
    sessions_expired: int
    sessions_stale: int
    lost_by_cause: dict[str, int]
    latency_mean_s: float
    latency_p50_s: float
    latency_p95_s: float
    latency_p99_s: float
    uploads_total: int
    uploads_lost: int
    drains: int
    drain_time_mean_s: float
    instances_launched: int
    instance_hours: float
    cost_usd: float
    invariants_ok: bool


@dataclass
class Result:
    """Everything one simulation produced, with the resolved scenario it came from.

    Attributes:
        scenario: the fully resolved scenario (every default filled in), as plain data.
        seed: the seed the run used.
        recorder: the run's ledger.
        instance_seconds: billed EC2 seconds by ``<type>`` (on-demand) or ``<type>:spot``.
        cost_items: every charge of the run, typed (see :mod:`fleetsim.record.costs`).
        checks: the invariants checked at the end of the run.
        meta: run facts that are not results (wall-clock seconds, fleetsim version).
    """

    scenario: dict[str, Any]
    seed: int
    recorder: Recorder
    instance_seconds: dict[str, float]
    cost_items: list[CostItem]
    checks: list[Check]
    instances_launched: int
    meta: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def cost_usd(self) -> dict[str, float]:
        """Cost by item key, built from :attr:`cost_items`.

        Keys: ``ec2:<type>`` (on-demand), ``ec2:<type>:spot``, ``ec2:<type>:cpu_credits`` (T
        unlimited surplus credits), ``elasticache:<node type>``, ``dynamodb:…``.
        """
        return cost_usd(self.cost_items)

    @property
    def name(self) -> str:
        """The scenario name (with the variant, if any)."""
        return str(self.scenario.get("name", "scenario"))

    def summary(self) -> Summary:
        """Return the run's headline figures as a flat, JSON-ready dict (same seed → same dict)."""
        rec = self.recorder
        outcomes = rec.session_outcomes
        total = rec.requests_total
        return {
            "scenario": self.name,
            "seed": self.seed,
            "duration_s": float(self.scenario["duration"]),
            **self._user_figures(),
            "requests_total": total,
            "requests_ok": rec.requests_ok,
            "requests_failed": rec.requests_failed,
            "requests_in_flight_at_end": rec.in_system,
            "failed_ratio": rec.requests_failed / total if total else 0.0,
            "failed_by_cause": dict(sorted(rec.failed_total.items())),
            "sessions_total": rec.sessions_created,
            "sessions_completed": outcomes.get(SessionOutcome.COMPLETED, 0),
            "sessions_lost": outcomes.get(SessionOutcome.LOST, 0),
            "sessions_abandoned": outcomes.get(SessionOutcome.ABANDONED, 0),
            "sessions_active_at_end": outcomes.get(SessionOutcome.ACTIVE, 0),
            "sessions_expired": outcomes.get(SessionOutcome.EXPIRED, 0),
            "sessions_stale": rec.sessions_stale,
            "lost_by_cause": dict(sorted(rec.lost_by_cause.items())),
            "latency_mean_s": rec.latency_total / rec.requests_ok if rec.requests_ok else math.nan,
            "latency_p50_s": rec.latency_quantile(0.50),
            "latency_p95_s": rec.latency_quantile(0.95),
            "latency_p99_s": rec.latency_quantile(0.99),
            "uploads_total": rec.uploads_total,
            "uploads_lost": rec.uploads_lost,
            "drains": len(rec.drain_times),
            "drain_time_mean_s": (
                sum(rec.drain_times) / len(rec.drain_times) if rec.drain_times else math.nan
            ),
            "instances_launched": self.instances_launched,
            "instance_hours": sum(self.instance_seconds.values()) / 3600.0,
            "cost_usd": sum(self.cost_usd.values()),
            **self._launch_figures(),
            "invariants_ok": all(c.ok for c in self.checks),
        }

    def _user_figures(self) -> UserFigures:
        rec = self.recorder
        users = rec.user_outcomes
        failures = users.get(UserOutcome.LEFT_FAILURES, 0)
        lost = users.get(UserOutcome.LEFT_LOST_SESSION, 0)
        return {
            "users_total": rec.users_total,
            "users_completed": users.get(UserOutcome.COMPLETED, 0),
            "users_affected": rec.users_affected,
            "users_turned_away": rec.users_turned_away,
            "users_left_early": failures + lost,
            "users_left_early_failures": failures,
            "users_left_early_lost_session": lost,
            "users_active_at_end": users.get(UserOutcome.ACTIVE, 0),
            "actions_total": rec.actions_total,
            "actions_served": rec.actions_served,
            "actions_failed": rec.actions_failed,
            "actions_abandoned": rec.actions_abandoned,
            "actions_pending_at_end": rec.actions_pending,
            "actions_redone": rec.actions_redone,
        }

    def _launch_figures(self) -> LaunchFigures:
        # Launch request (asg.Pending) to InService and to the first passing target check, for
        # instances launched during the run (the warm initial fleet is left out).
        return self.recorder.launches.figures()

    @cached_property
    def launches(self) -> pd.DataFrame:
        """One row per launch during the run, with its waits (see :mod:`fleetsim.record.launches`).

        Columns: instance, started, in_service, healthy, ended (NaN: never or not yet),
        time_to_in_service, time_to_healthy, never_healthy.
        """
        import pandas as pd  # frames are built on demand: a run starts without pandas

        rows = [
            (r.instance, r.started, r.in_service, r.healthy, r.ended, r.never_healthy)
            for r in self.recorder.launches.rows
        ]
        cols = ["instance", "started", "in_service", "healthy", "ended", "never_healthy"]
        frame = pd.DataFrame(rows, columns=cols)
        for col in ("in_service", "healthy", "ended"):
            frame[col] = frame[col].astype(float)
        frame.insert(5, "time_to_in_service", frame.in_service - frame.started)
        frame.insert(6, "time_to_healthy", frame.healthy - frame.started)
        return frame

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """Per-second observations and levels (see the module docstring for columns)."""
        import pandas as pd  # frames are built on demand: a run starts without pandas

        rec = self.recorder
        n = math.ceil(float(self.scenario["duration"]))
        frame = pd.DataFrame(
            {
                "time": range(n),
                "arrivals": rec.arrival_bins[:n],
                "ok": rec.ok_bins[:n],
            }
        )
        failed = pd.Series(0, index=frame.index)
        for cause in sorted(rec.failed):
            series = pd.Series(rec.failed[cause][:n])
            frame[_cause_column(cause)] = series
            failed = failed + series
        frame.insert(3, "failed", failed)
        lat = pd.Series(rec.latency_sum[:n])
        frame["latency_mean_s"] = (lat / frame["ok"].where(frame["ok"] > 0)).astype(float)
        if rec.levels:
            grid = rec.levels.as_array()
            levels = pd.DataFrame(
                list(rec.levels) if grid is None else grid, columns=rec.level_columns
            )
            frame = frame.merge(levels, on="time", how="left")
        return frame

    @cached_property
    def costs(self) -> pd.DataFrame:
        """One row per cost item (ALB hours and LCUs are not modelled).

        Columns: ``item``, ``instance_type``, ``purchase`` (on-demand, spot, cpu_credits),
        ``instance_hours``, ``usd``.
        """
        import pandas as pd  # frames are built on demand: a run starts without pandas

        rows: list[tuple[str, str | None, str | None, float, float]] = []
        for c in sorted(self.cost_items, key=lambda c: c.key):
            if c.service != "ec2":
                rows.append((c.key, None, None, 0.0, c.usd))  # stores: node or request charges
                continue
            hours = self.instance_seconds.get(c.instance_key, 0.0) / 3600.0
            rows.append((c.key, c.item, c.charge or "on-demand", hours, c.usd))
        cols = ["item", "instance_type", "purchase", "instance_hours", "usd"]
        return pd.DataFrame(rows, columns=cols)

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """One row per session."""
        import pandas as pd  # frames are built on demand: a run starts without pandas

        cols = list(SessionRow._fields)
        log = self.recorder.session_rows
        if not len(log):
            return pd.DataFrame([], columns=cols)
        labels = np.array(log.labels(), dtype=object)
        # Same dtypes as a frame built from tuples: int64, float64 and object (None kept).
        data = {
            "session": log.column("ids", np.int64),
            "user": log.column("users", np.int64),
            "start": log.column("starts"),
            "end": log.column("ends"),
            "outcome": labels[log.column("outcomes")],
            "cause": labels[log.column("causes")],
            "requests": log.column("requests", np.int64),
            "home_az": labels[log.column("homes")],
        }
        # The arrays are new and ours alone: no copy into 2-D blocks (at 24 h, 1.7 M sessions,
        # that copy was ~60 MB above the frame's own size).
        return pd.DataFrame(data, columns=cols, copy=False)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Faults, launches, state changes, in time order."""
        import pandas as pd  # frames are built on demand: a run starts without pandas

        return pd.DataFrame(self.recorder.events, columns=list(EventRow._fields))

    @cached_property
    def latency(self) -> pd.DataFrame:
        """Latency quantiles of successful requests per minute (see the module docstring)."""
        import pandas as pd  # frames are built on demand: a run starts without pandas

        rows = []
        for k, window in enumerate(self.recorder.latency_windows):
            start = k * LATENCY_WINDOW_S
            if start >= float(self.scenario["duration"]):
                break
            rows.append(
                (
                    start,
                    sum(window),
                    hist_quantile(window, 0.50),
                    hist_quantile(window, 0.95),
                    hist_quantile(window, 0.99),
                )
            )
        return pd.DataFrame(rows, columns=["time", "ok", "p50_s", "p95_s", "p99_s"])

    @cached_property
    def requests(self) -> pd.DataFrame:
        """One row per request (empty unless ``record.requests`` was on)."""
        import pandas as pd  # frames are built on demand: a run starts without pandas

        return pd.DataFrame(self.recorder.request_rows, columns=list(RequestRow._fields))

    @cached_property
    def alb_metrics(self) -> pd.DataFrame:
        """The ALB's CloudWatch metrics, one row per minute (``fleetsim.record.alb_metrics``)."""
        return alb_metrics_frame(
            self.recorder, list(self.scenario["azs"]), float(self.scenario["duration"])
        )
