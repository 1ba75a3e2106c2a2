"""Replications: one scenario run R times under independent, reproducible seeds.

A single run is one random sample. A *replication* is one run under its own seed; the seeds of R
replications are spawned from one master seed (``numpy.random.SeedSequence``), so they are
independent, reproducible, and the first R of them do not change when more are added. Each run
is reduced to its summary (one dict of headline figures) and the summaries become observations:
per metric a mean, a standard deviation and a Student-t confidence interval.

The unit of work sent to an executor is a :class:`RunTask` — a plain scenario dict, a seed and a
warm-up length — and its answer is the run's summary dict, so a task can travel to another
process or another machine and come back bit for bit. :func:`run_many` is the one way every
analysis (replications, comparisons, sweeps, the report) runs many (scenario, seed) pairs: it
hands the tasks to an executor and gives the summaries back in task order, whatever order the
executor finished them in.

Warm-up deletion: a run that starts empty (``traffic.warm_start: false``) under-reports queueing
until the system reaches its steady state. With ``warmup_s > 0`` the request counts, the failure
ratio and the mean latency are recomputed from the per-second bins from ``warmup_s`` (rounded up
to the whole second) to the end of the run; latency quantiles, sessions, instance hours and cost
always cover the whole run (the latency histogram is not kept per second).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fleetsim.analysis.executors import Executor, SerialExecutor
from fleetsim.analysis.stats import replication_seeds, t_interval
from fleetsim.config import Scenario
from fleetsim.record.result import Result

__all__ = [
    "Replications",
    "RunTask",
    "flatten_summary",
    "frame_intervals",
    "interval_block",
    "replicate",
    "run_many",
    "run_task",
    "steady_state",
    "summarize",
]

#: Summary keys that describe the run rather than measure it; never averaged.
LABELS = ("scenario", "seed")


@dataclass(frozen=True)
class RunTask:
    """One simulation to run anywhere: everything a worker needs, as plain data.

    Attributes:
        scenario: the resolved scenario, as ``Scenario.model_dump(mode="json")``.
        seed: the run's seed.
        warmup_s: warm-up deleted from the steady-state metrics (0: none).
    """

    scenario: dict[str, Any]
    seed: int
    warmup_s: float = 0.0


def steady_state(result: Result, warmup_s: float) -> dict[str, Any]:
    """Return ``result.summary()`` with its request metrics restricted to after the warm-up.

    Args:
        result: a finished run.
        warmup_s: seconds deleted from the start (rounded up to the whole second).

    Returns:
        The summary, with ``requests_total`` (arrivals), ``requests_ok``, ``requests_failed``,
        ``failed_ratio``, ``failed_by_cause`` and ``latency_mean_s`` counted over
        [ceil(warmup_s), end), and ``warmup_s`` added. Completions are binned by the second
        they finish in, so a request that arrived during the warm-up and finished after it
        counts.

    Raises:
        ValueError: if ``warmup_s`` is negative or not shorter than the run.
    """
    summary: dict[str, Any] = dict(result.summary())
    duration = float(result.scenario["duration"])
    if not 0 <= warmup_s < duration:
        raise ValueError(f"warmup_s must be in [0, duration={duration:g}), got {warmup_s!r}")
    if warmup_s == 0:
        return {**summary, "warmup_s": 0.0}
    rec = result.recorder
    start = math.ceil(warmup_s)
    ok = sum(rec.ok_bins[start:])
    by_cause = {cause: sum(rec.failed[cause][start:]) for cause in sorted(rec.failed)}
    failed = sum(by_cause.values())
    arrivals = sum(rec.arrival_bins[start:])
    summary.update(
        requests_total=arrivals,
        requests_ok=ok,
        requests_failed=failed,
        failed_ratio=failed / arrivals if arrivals else 0.0,
        failed_by_cause={k: v for k, v in by_cause.items() if v},
        latency_mean_s=math.fsum(rec.latency_sum[start:]) / ok if ok else math.nan,
        warmup_s=float(warmup_s),
    )
    return summary


def run_task(task: RunTask) -> dict[str, Any]:
    """Run one task and return its summary (a top-level function, so any executor can ship it).

    Args:
        task: the scenario, seed and warm-up.

    Returns:
        The run's summary dict (see :func:`steady_state`), plain JSON-ready data.
    """
    from fleetsim.sim.world import simulate

    scenario = Scenario.model_validate(task.scenario)
    return steady_state(simulate(scenario, task.seed), task.warmup_s)


def run_many(
    tasks: Sequence[RunTask],
    executor: Executor | None = None,
    on_result: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every task on ``executor`` and return their summaries in task order.

    A summary depends only on its task, so the list is the same whichever executor computed it.

    Args:
        tasks: the runs, as plain data.
        executor: where the runs are computed (default: serial, in this process).
        on_result: called ``(task index, summary)`` as each run finishes, in finishing order
            (e.g. to advance a progress bar or save finished work early).

    Returns:
        ``[run_task(t) for t in tasks]``, computed on the executor.
    """
    ex = executor if executor is not None else SerialExecutor()
    results: dict[int, dict[str, Any]] = {}
    for i, summary in ex.imap_unordered(run_task, tasks):
        results[i] = summary
        if on_result is not None:
            on_result(i, summary)
    return [results[i] for i in range(len(tasks))]


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a summary into scalar columns: by-cause dicts become one count column per cause.

    ``failed_by_cause["504 target_timeout"]`` becomes ``failed_504_target_timeout`` (the
    timeline's column name) and ``lost_by_cause["rerouted"]`` becomes ``lost_rerouted``.
    """
    flat: dict[str, Any] = {}
    for key, value in summary.items():
        if key == "failed_by_cause":
            for cause, n in value.items():
                flat["failed_" + cause.replace(" ", "_")] = n
        elif key == "lost_by_cause":
            for cause, n in value.items():
                flat["lost_" + cause.replace(" ", "_")] = n
        else:
            flat[key] = value
    return flat


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def interval_block(values: Sequence[float], confidence: float = 0.95) -> dict[str, Any]:
    """Mean, sd, n and the t interval of one metric over replications, as a JSON-ready dict.

    A metric that is undefined (NaN) in some replication — e.g. a latency with no successful
    request — gets ``None`` for its statistics rather than an interval over the lucky runs.
    """
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < len(values):
        return {"mean": None, "sd": None, "n": len(finite), "ci_low": None, "ci_high": None}
    ci = t_interval(values, confidence)

    def clean(x: float) -> float | None:
        return None if math.isnan(x) else x

    return {
        "mean": ci.mean,
        "sd": clean(ci.sd),
        "n": ci.n,
        "ci_low": clean(ci.low),
        "ci_high": clean(ci.high),
    }


def summarize(summaries: Sequence[Mapping[str, Any]], confidence: float = 0.95) -> dict[str, Any]:
    """Aggregate per-replication summaries into one dict with the same keys as a run's summary.

    Every numeric key becomes an :func:`interval_block`; ``failed_by_cause`` and
    ``lost_by_cause`` map each cause to a block (a cause absent from a replication counts 0);
    ``invariants_ok`` is true only if every replication balanced; ``scenario`` is kept and
    ``seed`` becomes the list of replication seeds.

    Raises:
        ValueError: if ``summaries`` is empty.
    """
    if not summaries:
        raise ValueError("need at least one replication")
    first = summaries[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        if key == "scenario":
            out[key] = value
        elif key == "seed":
            out[key] = [s["seed"] for s in summaries]
        elif key == "invariants_ok":
            out[key] = all(bool(s[key]) for s in summaries)
        elif key in ("failed_by_cause", "lost_by_cause"):
            causes = sorted({c for s in summaries for c in s[key]})
            out[key] = {
                c: interval_block([float(s[key].get(c, 0)) for s in summaries], confidence)
                for c in causes
            }
        elif _numeric(value):
            out[key] = interval_block([float(s[key]) for s in summaries], confidence)
    return out


@dataclass
class Replications:
    """R replications of one scenario.

    Attributes:
        scenario: the resolved scenario (plain data).
        seeds: one seed per replication, spawned from the master seed.
        summaries: one summary per replication, in seed order.
    """

    scenario: dict[str, Any]
    seeds: list[int]
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """One row per replication: ``replication``, then every flattened summary column."""
        rows = [{"replication": i, **flatten_summary(s)} for i, s in enumerate(self.summaries)]
        frame = pd.DataFrame.from_records(rows)
        lost_or_failed = [c for c in frame.columns if c.startswith(("failed_", "lost_"))]
        counts = [c for c in lost_or_failed if c != "failed_ratio"]
        frame[counts] = frame[counts].fillna(0).astype("int64")
        return frame

    def summary(self, confidence: float = 0.95) -> dict[str, Any]:
        """Aggregate the replications (see :func:`summarize`)."""
        return summarize(self.summaries, confidence)

    def intervals(self, confidence: float = 0.95) -> pd.DataFrame:
        """One row per numeric metric: ``n, mean, sd, ci_low, ci_high``, indexed by metric."""
        return frame_intervals(self.frame(), confidence)


def frame_intervals(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The t interval of every numeric column of a one-row-per-replication frame.

    Label columns (``replication``, ``seed``, ``point``), text and booleans are skipped.

    Returns:
        One row per metric: ``n, mean, sd, ci_low, ci_high`` (NaN where undefined).
    """
    records = []
    for column in frame.columns:
        series = frame[column]
        if column in ("replication", "seed", "point") or not pd.api.types.is_numeric_dtype(series):
            continue
        if pd.api.types.is_bool_dtype(series):
            continue
        block = interval_block(series.astype(float).tolist(), confidence)
        records.append({"metric": column, **block})
    return pd.DataFrame.from_records(records).set_index("metric").astype(float)


def replicate(
    scenario: Scenario,
    replications: int,
    *,
    seed: int | None = None,
    warmup_s: float = 0.0,
    executor: Executor | None = None,
    on_done: Callable[[], None] | None = None,
) -> Replications:
    """Run ``scenario`` under ``replications`` seeds spawned from ``seed`` (default: its own).

    Args:
        scenario: a validated scenario.
        replications: R >= 1.
        seed: the master seed; replication i runs with ``replication_seeds(seed, R)[i]``.
        warmup_s: warm-up deleted from the steady-state metrics.
        executor: an :class:`~fleetsim.analysis.executors.Executor` (default: serial).
        on_done: called after each finished run (e.g. to advance a progress bar).

    Returns:
        The replications, in seed order whatever the executor.

    Raises:
        ValueError: if ``replications`` < 1.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    master = scenario.seed if seed is None else seed
    seeds = replication_seeds(master, replications)
    data = scenario.model_dump(mode="json")
    tasks = [RunTask(data, s, warmup_s) for s in seeds]
    on_result = None if on_done is None else lambda _i, _summary: on_done()
    return Replications(data, seeds, run_many(tasks, executor, on_result))
