"""Comparing the variants of a scenario on the same random numbers.

Every variant is run with the same seed, so the users, their arrivals, their think times and the
requests' CPU times are drawn from the same named streams: the differences between variants come
from the design, not from the dice (common random numbers).

With R replications, replication i of every variant runs the same seed (spawned from the master
seed), so the comparison is paired: for each metric, the per-seed differences between the first
variant and each other one get their own Student-t interval. The shared noise cancels in the
difference, which is why its interval is usually much tighter than the two variants' intervals;
two identical variants differ by exactly zero in every replication. A difference whose interval
contains zero is reported as not significant.

Several scenario files can be compared the same way: pass a list of files (or packaged names)
instead of one source, and each file becomes one column, named after the file, run on the same
seed. Where the files describe the same traffic, their users are the same users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fleetsim.analysis.executors import Executor
from fleetsim.analysis.replicate import (
    Replications,
    RunTask,
    frame_intervals,
    interval_block,
    run_many,
    summarize,
)
from fleetsim.analysis.stats import paired_difference, replication_seeds
from fleetsim.analysis.tables import format_number, render_table
from fleetsim.config import Scenario, load_variants
from fleetsim.record.result import Result
from fleetsim.sim.world import simulate

Source = str | Path | dict[str, Any] | list[str | Path]
"""A scenario (file, packaged name or dict), or a list of files compared column by column."""

#: Summary keys shown by default when variants are put side by side.
HEADLINE = [
    "users_total",
    "users_affected",
    "users_left_early",
    "actions_total",
    "actions_failed",
    "actions_abandoned",
    "requests_total",
    "requests_failed",
    "failed_ratio",
    "sessions_total",
    "sessions_lost",
    "sessions_abandoned",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "instances_launched",
    "instance_hours",
    "cost_usd",
    "invariants_ok",
]


def select_variants(
    source: Source,
    variants: list[str] | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Scenario]:
    """Load the chosen variants (all by default) of a scenario, by name.

    With a list of files, each file's own scenario (no variant) is one design, named after the
    file (``design-exercise-before``); ``variants`` must then be None.

    Raises:
        ConfigError: if a variant is unknown or invalid, or files repeat a name.
    """
    if isinstance(source, list):
        return _select_files(source, variants, overrides)
    scenarios = load_variants(source, overrides)
    if variants:
        unknown = [v for v in variants if v not in scenarios]
        if unknown:
            from fleetsim.config import ConfigError

            raise ConfigError(
                f"unknown variant(s) {', '.join(unknown)}; variants: {', '.join(scenarios)}."
            )
        scenarios = {v: scenarios[v] for v in variants}
    return scenarios


def _select_files(
    files: list[str | Path], variants: list[str] | None, overrides: list[str] | None
) -> dict[str, Scenario]:
    from fleetsim.config import ConfigError, load_scenario

    if variants:
        raise ConfigError(
            "variants cannot be chosen when comparing several files: each file is one design."
        )
    if not files:
        raise ConfigError("no scenario file to compare.")
    scenarios: dict[str, Scenario] = {}
    for file in files:
        name = Path(str(file)).name.removesuffix(".yaml").removesuffix(".yml")
        if name in scenarios:
            raise ConfigError(f"two files are both called {name!r}; rename one to compare them.")
        scenarios[name] = load_scenario(file, None, overrides)
    return scenarios


def run_variants(
    source: Source,
    variants: list[str] | None = None,
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Result]:
    """Run the chosen variants (all by default) of a scenario with one seed; return Results by name.

    Raises:
        ConfigError: if a variant is unknown or invalid.
    """
    scenarios = select_variants(source, variants, overrides)
    return {name: simulate(sc, seed) for name, sc in scenarios.items()}


def compare(
    source: Source,
    variants: list[str] | None = None,
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
    replications: int = 1,
    warmup_s: float = 0.0,
    executor: Executor | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Run variants on common random numbers and return their summaries side by side.

    Args:
        source: a scenario file, packaged scenario name or dict.
        variants: which variants (default: all).
        seed: the seed every variant uses (default: the scenario's); with replications, the
            master seed the replication seeds are spawned from.
        overrides: ``key=value`` overrides applied to every variant.
        replications: R; with R = 1 every variant runs once with ``seed``.
        warmup_s: warm-up deleted from the steady-state metrics (R > 1 only).
        executor: where the runs are computed (default: serial).
        confidence: nominal coverage of the intervals.

    Returns:
        With R = 1, a DataFrame indexed by summary key, one column per variant. With R > 1,
        :meth:`Comparison.table`: one row per metric, columns ``(variant, stat)`` for each
        variant and ``("<first> - <other>", stat)`` for each paired difference.
    """
    if replications == 1 and warmup_s == 0:
        results = run_variants(source, variants, seed=seed, overrides=overrides)
        return summaries_frame(results)
    comparison = replicate_variants(
        source,
        variants,
        seed=seed,
        overrides=overrides,
        replications=replications,
        warmup_s=warmup_s,
        executor=executor,
    )
    return comparison.table(confidence)


def summaries_frame(results: dict[str, Result]) -> pd.DataFrame:
    """Put the summaries of several Results side by side (rows: summary keys)."""
    return pd.DataFrame({name: r.summary() for name, r in results.items()})


@dataclass
class Comparison:
    """R replications of several variants on shared seeds (common random numbers).

    Attributes:
        runs: each variant's replications, in the order asked for; the first is the baseline
            every other variant is differenced against.
        master_seed: the seed the replication seeds were spawned from.
    """

    runs: dict[str, Replications]
    master_seed: int

    @property
    def names(self) -> list[str]:
        """Variant names, baseline first."""
        return list(self.runs)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The compared pairs: (first variant, each other variant)."""
        first = self.names[0]
        return [(first, other) for other in self.names[1:]]

    def frame(self) -> pd.DataFrame:
        """One row per (variant, replication), every flattened summary metric as a column."""
        frames = []
        for name, reps in self.runs.items():
            frame = reps.frame()
            frame.insert(0, "variant", name)
            frames.append(frame)
        table = pd.concat(frames, ignore_index=True, sort=False)
        counts = [c for c in table.columns if c.startswith(("failed_", "lost_"))]
        counts.remove("failed_ratio")
        table[counts] = table[counts].fillna(0).astype("int64")
        return table

    def diff(self, a: str, b: str, confidence: float = 0.95) -> dict[str, Any]:
        """Paired differences ``a − b``, keyed like a run's summary.

        Every numeric key maps to ``{mean, sd, n, ci_low, ci_high, significant}``;
        ``failed_by_cause`` and ``lost_by_cause`` map each cause to such a block.
        """
        sa, sb = self.runs[a].summaries, self.runs[b].summaries
        out: dict[str, Any] = {}
        for key, value in sa[0].items():
            if key in ("failed_by_cause", "lost_by_cause"):
                causes = sorted({c for s in [*sa, *sb] for c in s[key]})
                out[key] = {
                    c: _diff_block(
                        [float(s[key].get(c, 0)) for s in sa],
                        [float(s[key].get(c, 0)) for s in sb],
                        confidence,
                    )
                    for c in causes
                }
            elif key != "seed" and isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = _diff_block(
                    [float(s[key]) for s in sa], [float(s[key]) for s in sb], confidence
                )
        return out

    def summary(self, confidence: float = 0.95) -> dict[str, Any]:
        """JSON-ready: each variant's aggregated summary (a run's keys) plus a ``diff`` block.

        ``diff`` maps ``"<a> - <b>"`` to :meth:`diff`.
        """
        out: dict[str, Any] = {
            name: summarize(reps.summaries, confidence) for name, reps in self.runs.items()
        }
        out["diff"] = {f"{a} - {b}": self.diff(a, b, confidence) for a, b in self.pairs}
        return out

    def table(self, confidence: float = 0.95) -> pd.DataFrame:
        """The comparison as one DataFrame, one row per (flattened) metric.

        Columns are ``(variant, mean|ci_low|ci_high)`` for each variant and
        ``("<a> - <b>", mean|ci_low|ci_high|significant)`` for each paired difference.
        """
        # One frame for all variants, so a cause seen in one variant counts 0 in the others.
        frame = self.frame()
        by_variant = {
            name: frame[frame.variant == name].reset_index(drop=True) for name in self.names
        }
        columns: dict[tuple[str, str], pd.Series] = {}
        for name in self.names:
            iv = frame_intervals(by_variant[name], confidence)
            for stat in ("mean", "ci_low", "ci_high"):
                columns[(name, stat)] = iv[stat]
        metrics = list(columns[(self.names[0], "mean")].index)
        for a, b in self.pairs:
            fa, fb = by_variant[a], by_variant[b]
            blocks = {
                m: _diff_block(
                    fa[m].astype(float).tolist(), fb[m].astype(float).tolist(), confidence
                )
                for m in metrics
            }
            label = f"{a} - {b}"
            for stat in ("mean", "ci_low", "ci_high", "significant"):
                columns[(label, stat)] = pd.Series({m: blk[stat] for m, blk in blocks.items()})
        table = pd.concat(list(columns.values()), axis=1)
        table.columns = pd.MultiIndex.from_tuples(list(columns), names=["design", "stat"])
        table.index.name = "metric"
        return table


def _diff_block(a: list[float], b: list[float], confidence: float) -> dict[str, Any]:
    # The interval of the paired differences a_i − b_i, with the same NaN rule as a variant's.
    block = interval_block([x - y for x, y in zip(a, b, strict=True)], confidence)
    block["n"] = len(a)
    block["significant"] = (
        None if block["mean"] is None else paired_difference(a, b, confidence).significant
    )
    return block


def replicate_variants(
    source: Source,
    variants: list[str] | None = None,
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
    replications: int = 2,
    warmup_s: float = 0.0,
    executor: Executor | None = None,
    on_done: Callable[[], None] | None = None,
) -> Comparison:
    """Run R replications of each chosen variant, replication i of every variant on seed i.

    Args:
        source: a scenario file, packaged scenario name or dict.
        variants: which variants (default: all); the first is the baseline of the differences.
        seed: master seed (default: the scenario's).
        overrides: ``key=value`` overrides applied to every variant.
        replications: R >= 1 (R >= 2 for intervals).
        warmup_s: warm-up deleted from the steady-state metrics.
        executor: where the runs are computed (default: serial).
        on_done: called after each finished run.

    Raises:
        ConfigError: if a variant is unknown or invalid.
        ValueError: if ``replications`` < 1 or a variant is called ``diff``.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    scenarios = select_variants(source, variants, overrides)
    if "diff" in scenarios:
        raise ValueError("a variant may not be called 'diff' (the name of the differences block)")
    master = next(iter(scenarios.values())).seed if seed is None else seed
    seeds = replication_seeds(master, replications)
    data = {name: sc.model_dump(mode="json") for name, sc in scenarios.items()}
    for name, sc in scenarios.items():
        if not 0 <= warmup_s < sc.duration:
            raise ValueError(f"warmup {warmup_s:g} s must be shorter than {name}'s run")
    # Every run goes to the executor at once, so variants and replications share the cores.
    tasks = [RunTask(d, s, warmup_s) for d in data.values() for s in seeds]
    on_result = None if on_done is None else lambda _i, _summary: on_done()
    summaries = run_many(tasks, executor, on_result)
    r = len(seeds)
    runs = {
        name: Replications(data[name], seeds, summaries[k * r : (k + 1) * r])
        for k, name in enumerate(data)
    }
    return Comparison(runs, master)


def format_comparison(summary: dict[str, Any], replications: int, seed: int) -> str:
    """Lay out a replicated comparison: each variant's mean ± half-width, each difference's CI.

    Args:
        summary: :meth:`Comparison.summary`.
        replications: R, for the header.
        seed: the master seed, for the header.
    """
    names = [k for k in summary if k != "diff"]
    diffs = summary["diff"]

    metrics: list[str] = []
    per_name = {n: dict(_metric_rows(summary[n])) for n in names}
    per_diff = {d: dict(_metric_rows(diffs[d])) for d in diffs}
    for table in [*per_name.values(), *per_diff.values()]:
        metrics.extend(m for m in table if m not in metrics)
    header = ["", *names, *diffs]
    rows = [header]
    for m in metrics:
        rows.append(
            [
                m,
                *[_mean_hw(per_name[n].get(m)) for n in names],
                *[_diff_ci(per_diff[d].get(m)) for d in diffs],
            ]
        )
    lines = [
        f"{replications} replications (seeds spawned from {seed}, shared by every variant); "
        "variants: mean ± 95 % CI half-width; differences: mean [95 % CI], "
        "n.s. = not significant (the CI contains 0)",
        "",
        render_table(rows),
    ]
    ok = all(summary[n]["invariants_ok"] for n in names)
    lines.append(f"invariants_ok: {'yes' if ok else 'NO'} (every replication)")
    return "\n".join(lines)


def _metric_rows(block: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (metric, interval) rows of one summary block, causes indented under their kind."""
    rows: list[tuple[str, Any]] = []
    for key, value in block.items():
        if key in ("failed_by_cause", "lost_by_cause"):
            kind = "failed" if key.startswith("failed") else "lost"
            rows.extend((f"  {kind}: {cause}", v) for cause, v in value.items())
        elif isinstance(value, dict) and key not in ("duration_s", "warmup_s"):
            rows.append((key, value))
    return rows


def _mean_hw(b: dict[str, Any] | None) -> str:
    """A variant's cell: mean ± half-width (the mean alone with one replication)."""
    if b is None or b["mean"] is None:
        return "-"
    if b["ci_high"] is None:
        return format_number(b["mean"])
    return f"{format_number(b['mean'])} ± {format_number((b['ci_high'] - b['ci_low']) / 2)}"


def _diff_ci(b: dict[str, Any] | None) -> str:
    """A difference's cell: mean [CI], marked n.s. when the CI contains 0."""
    if b is None or b["mean"] is None:
        return "-"
    if b["ci_low"] is None:
        return format_number(b["mean"])
    mark = "" if b["significant"] else "  n.s."
    low, high = format_number(b["ci_low"]), format_number(b["ci_high"])
    return f"{format_number(b['mean'])} [{low}, {high}]{mark}"
