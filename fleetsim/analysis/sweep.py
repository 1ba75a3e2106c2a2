"""Parameter sweeps: a scenario run at many points, R replications each, saved as they finish.

A *point* is a set of dotted overrides (``{"asg.max_size": 20, "instance.ami": "baked"}``).
The points of a sweep are the full factorial of the ``grid`` (every combination of the listed
values, in the order given) followed by any explicit ``points``. Every point runs the same R
replication seeds (spawned from one master seed), so points are compared on common random
numbers, exactly like the variants of :mod:`fleetsim.analysis.compare`.

The result is one row per (point, replication) with ``point``, ``replication``, ``seed``, every
swept parameter (column named by its dotted key) and every summary metric, by-cause counts
flattened to one column per cause (see :func:`~fleetsim.analysis.replicate.flatten_summary`).

Persistence: with ``out="results.parquet"`` each point is written, as soon as its last
replication finishes, to its own file in ``results.parquet.parts/`` (written to a temporary name
and renamed, so a killed sweep leaves only whole files). A part file is named by a hash of the
point's parameters, so ``resume=True`` skips every point already on disk, whatever its position
in the grid — a grid may even be extended and resumed. ``manifest.json`` in the same folder
records what the rows depend on (base scenario, master seed, replications, warm-up); resuming
with a different one is refused. When every point is done, the sorted table is written to
``results.parquet``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fleetsim.analysis.executors import Executor
from fleetsim.analysis.replicate import RunTask, flatten_summary, run_many
from fleetsim.analysis.stats import group_intervals, replication_seeds
from fleetsim.config import ConfigError, load_scenario

__all__ = [
    "SweepPlan",
    "load_points",
    "parse_grid",
    "plan_sweep",
    "point_means",
    "read_parts",
    "sweep",
]

MANIFEST_VERSION = 1


def parse_grid(specs: Sequence[str]) -> dict[str, list[Any]]:
    """Parse ``["asg.max_size=10,20,40", "instance.ami=baked,bootstrapped"]`` into a grid.

    Values are read as a YAML flow list, so ``10,20`` are numbers, ``baked`` is a string and
    ``{dist: exponential, mean: 0.1},{dist: exponential, mean: 0.2}`` are two distributions.

    Raises:
        ConfigError: if a spec has no ``=``, no key, no value, or a repeated key.
    """
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        key, sep, raw = spec.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise ConfigError(
                f"--grid {spec!r} must look like key.path=v1,v2,... (e.g. asg.max_size=10,20,40)."
            )
        if key in grid:
            raise ConfigError(f"--grid: {key!r} is given twice.")
        try:
            values = yaml.safe_load(f"[{raw}]")
        except yaml.YAMLError as exc:
            raise ConfigError(f"--grid {spec!r}: values are not valid: {exc}") from None
        grid[key] = list(values)
    return grid


def load_points(path: str | Path) -> list[dict[str, Any]]:
    """Read explicit sweep points: a YAML or JSON list of ``{dotted.key: value}`` mappings.

    Raises:
        ConfigError: if the file is unreadable or not a list of mappings.
    """
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"--points {path}: {exc}".replace("\n", " ")) from None
    if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
        raise ConfigError(f"--points {path}: expected a list of mappings of dotted keys to values.")
    return [{str(k): v for k, v in p.items()} for p in data]


def _point_key(params: Mapping[str, Any]) -> str:
    text = json.dumps(dict(sorted(params.items())), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepPlan:
    """The resolved points of a sweep, each validated, and the shared replication seeds.

    Attributes:
        base: the resolved base scenario (variant and overrides applied), plain data.
        points: each point's parameters, in sweep order.
        scenarios: each point's resolved scenario, plain data.
        seeds: the replication seeds every point runs.
        warmup_s: warm-up deleted from the steady-state metrics.
    """

    base: dict[str, Any]
    points: list[dict[str, Any]]
    scenarios: list[dict[str, Any]]
    seeds: list[int]
    warmup_s: float

    @property
    def keys(self) -> list[str]:
        """Each point's identity (a hash of its parameters), used to name its part file."""
        return [_point_key(p) for p in self.points]

    @property
    def parameters(self) -> list[str]:
        """The swept parameter names, in first-seen order."""
        names: list[str] = []
        for point in self.points:
            names.extend(k for k in point if k not in names)
        return names

    def manifest(self) -> dict[str, Any]:
        """What every row depends on besides its point: checked when a sweep is resumed."""
        return {
            "version": MANIFEST_VERSION,
            "base": self.base,
            "seeds": self.seeds,
            "warmup_s": self.warmup_s,
        }


def plan_sweep(
    source: str | Path | dict[str, Any],
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    *,
    points: Sequence[Mapping[str, Any]] | None = None,
    replications: int = 1,
    seed: int | None = None,
    variant: str | None = None,
    overrides: list[str] | None = None,
    warmup_s: float = 0.0,
) -> SweepPlan:
    """Resolve and validate every point of a sweep before anything runs.

    Raises:
        ConfigError: naming the field if any point's scenario is invalid.
        ValueError: if ``replications`` < 1 or two points have the same parameters.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if grid is not None and not isinstance(grid, Mapping):
        grid = parse_grid(list(grid))
    grid = grid or {}
    factorial = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    if not grid:
        factorial = [] if points else [{}]
    all_points = factorial + [dict(p) for p in (points or [])]
    keys = [_point_key(p) for p in all_points]
    if len(set(keys)) != len(keys):
        raise ValueError("the sweep lists the same point twice")
    base = load_scenario(source, variant, overrides)
    scenarios = []
    for point in all_points:
        sc = load_scenario(source, variant, [*(overrides or []), *_as_overrides(point)])
        if not 0 <= warmup_s < sc.duration:
            raise ConfigError(f"--warmup {warmup_s:g} s must be shorter than the run ({point}).")
        scenarios.append(sc.model_dump(mode="json"))
    master = base.seed if seed is None else seed
    return SweepPlan(
        base=base.model_dump(mode="json"),
        points=all_points,
        scenarios=scenarios,
        seeds=replication_seeds(master, replications),
        warmup_s=float(warmup_s),
    )


def _as_overrides(point: Mapping[str, Any]) -> list[str]:
    # JSON is valid YAML flow syntax, so every value survives the round trip through the loader.
    return [f"{k}={json.dumps(v)}" for k, v in point.items()]


def _param_value(value: Any) -> Any:
    # Parquet columns hold scalars: a swept distribution or list is stored as its JSON text.
    return (
        value
        if isinstance(value, str | int | float | bool) or value is None
        else json.dumps(value, sort_keys=True)
    )


def _point_rows(
    params: Mapping[str, Any], seeds: Sequence[int], summaries: Sequence[Mapping[str, Any]]
) -> pd.DataFrame:
    rows = []
    for r, (seed, summary) in enumerate(zip(seeds, summaries, strict=True)):
        flat = flatten_summary(summary)
        flat.pop("seed", None)
        row = {"replication": r, "seed": seed}
        row.update({k: _param_value(v) for k, v in params.items()})
        row.update(flat)
        rows.append(row)
    return pd.DataFrame.from_records(rows)


def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _write_atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def read_parts(out: str | Path) -> dict[str, pd.DataFrame]:
    """Read the finished points of a sweep: part-file key → its rows."""
    parts = _parts_dir(Path(out))
    if not parts.is_dir():
        return {}
    return {
        p.stem.removeprefix("point-"): pd.read_parquet(p) for p in sorted(parts.glob("point-*"))
    }


def _assemble(plan: SweepPlan, by_key: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    frames = []
    for i, key in enumerate(plan.keys):
        frame = by_key[key].copy()
        frame.insert(0, "point", i)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True, sort=False)
    # A cause that never happened at a point is a count of zero there, not a missing value.
    counts = [
        c
        for c in table.columns
        if c.startswith(("failed_", "lost_")) and c != "failed_ratio" and c not in plan.parameters
    ]
    table[counts] = table[counts].fillna(0).astype("int64")
    first = ["point", "replication", "seed", *plan.parameters]
    rest = [c for c in table.columns if c not in first]
    table = table[first + rest].sort_values(["point", "replication"], ignore_index=True)
    table.attrs["parameters"] = list(plan.parameters)
    return table


def _prepare_out(out: Path, plan: SweepPlan, resume: bool) -> dict[str, pd.DataFrame]:
    parts = _parts_dir(out)
    manifest_path = parts / "manifest.json"
    manifest = json.loads(json.dumps(plan.manifest()))
    if parts.is_dir() and any(parts.iterdir()):
        if not resume:
            raise ConfigError(
                f"{parts} holds an earlier sweep; pass --resume to continue it "
                "or choose another --out."
            )
        if manifest_path.is_file() and json.loads(manifest_path.read_text()) != manifest:
            raise ConfigError(
                f"--resume: the sweep in {parts} was made with a different scenario, seed, "
                "number of replications or warm-up; choose another --out."
            )
    parts.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    done = read_parts(out) if resume else {}
    return {k: v for k, v in done.items() if k in set(plan.keys)}


def sweep(
    source: str | Path | dict[str, Any],
    grid: Mapping[str, Sequence[Any]] | Sequence[str] | None = None,
    *,
    points: Sequence[Mapping[str, Any]] | None = None,
    replications: int = 1,
    seed: int | None = None,
    variant: str | None = None,
    overrides: list[str] | None = None,
    warmup_s: float = 0.0,
    out: str | Path | None = None,
    resume: bool = False,
    executor: Executor | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run a sweep and return one row per (point, replication).

    Args:
        source: a scenario file, packaged name or dict.
        grid: ``{"asg.max_size": [10, 20]}`` or ``["asg.max_size=10,20"]``; full factorial.
        points: explicit points (dicts of dotted overrides), run after the grid's.
        replications: R, the runs per point (same seeds at every point).
        seed: the master seed (default: the scenario's).
        variant: a scenario variant applied before every point.
        overrides: ``key=value`` overrides applied before every point.
        warmup_s: warm-up deleted from the steady-state metrics (see ``replicate``).
        out: Parquet file for the table; finished points go to ``<out>.parts/`` meanwhile.
        resume: reuse the finished points found in ``<out>.parts/``.
        executor: where runs are computed (default: serial, in this process).
        on_progress: called ``(runs_done, runs_to_do)`` after each finished run.

    Returns:
        The table, sorted by point then replication.

    Raises:
        ConfigError: for an invalid point, or an ``out`` holding a different sweep.
    """
    plan = plan_sweep(
        source,
        grid,
        points=points,
        replications=replications,
        seed=seed,
        variant=variant,
        overrides=overrides,
        warmup_s=warmup_s,
    )
    return _run_plan(plan, Path(out) if out is not None else None, resume, executor, on_progress)


def _run_plan(
    plan: SweepPlan,
    out_path: Path | None,
    resume: bool,
    executor: Executor | None,
    on_progress: Callable[[int, int], None] | None,
) -> pd.DataFrame:
    """Run the points of ``plan`` not already in ``out_path``'s parts; see :func:`sweep`."""
    done = _prepare_out(out_path, plan, resume) if out_path is not None else {}
    todo = [i for i, key in enumerate(plan.keys) if key not in done]
    tasks = [RunTask(plan.scenarios[i], s, plan.warmup_s) for i in todo for s in plan.seeds]
    r = len(plan.seeds)
    pending: dict[int, dict[int, dict[str, Any]]] = {i: {} for i in todo}
    runs_done = 0

    def finished(t: int, summary: dict[str, Any]) -> None:
        # A point is saved as soon as its last replication is in, so a killed sweep resumes.
        nonlocal runs_done
        runs_done += 1
        point = todo[t // r]
        pending[point][t % r] = summary
        if on_progress is not None:
            on_progress(runs_done, len(tasks))
        if len(pending[point]) == r:
            runs = pending.pop(point)
            rows = _point_rows(plan.points[point], plan.seeds, [runs[k] for k in range(r)])
            done[plan.keys[point]] = rows
            if out_path is not None:
                part = _parts_dir(out_path) / f"point-{plan.keys[point]}.parquet"
                _write_atomic_parquet(rows, part)

    if on_progress is not None:
        on_progress(0, len(tasks))
    run_many(tasks, executor, finished)
    table = _assemble(plan, done)
    if out_path is not None:
        _write_atomic_parquet(table, out_path)
    return table


def point_means(
    table: pd.DataFrame,
    metrics: Sequence[str],
    *,
    parameters: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per point, the mean and CI half-width of ``metrics`` over the replications.

    Args:
        table: a sweep's table.
        metrics: the metric columns to aggregate.
        parameters: the swept parameter columns (default: ``table.attrs["parameters"]``, set
            by :func:`sweep`).
        confidence: nominal coverage of the intervals.

    Returns:
        One row per point: the swept parameters, then ``<metric>`` (mean) and
        ``<metric>_hw`` (half-width of the t interval; NaN with one replication).
    """
    params = list(parameters if parameters is not None else table.attrs.get("parameters", []))
    intervals = group_intervals(table, ["point"], metrics, confidence)
    stats = {
        (row.point, row.metric): (row.mean, row.half_width)
        for row in intervals.itertuples(index=False)
    }
    records = []
    for point, rows in table.groupby("point", sort=True):
        record: dict[str, Any] = {"point": point}
        record.update({p: rows[p].iloc[0] for p in params})
        for m in metrics:
            record[m], record[f"{m}_hw"] = stats[(point, m)]
        records.append(record)
    return pd.DataFrame.from_records(records)
