"""The ``sweep`` sub-command: a grid of settings, R replications each, into a Parquet table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fleetsim.cli.options import check_warmup, make_executor
from fleetsim.config import load_scenario

#: Metrics the sweep prints per point (mean and CI half-width); the Parquet table has them all.
SWEEP_HEADLINE = ["requests_failed", "sessions_lost", "latency_p99_s", "cost_usd"]


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep, print its per-point means; exit 1 if a run failed its accounting checks."""
    from fleetsim.analysis.progress import task_bar
    from fleetsim.analysis.sweep import load_points, point_means, sweep

    if args.resume and not args.out:
        print("fleetsim: --resume needs --out (the sweep to continue).", file=sys.stderr)
        return 2
    points = load_points(args.points) if args.points else None
    if args.warmup > 0:
        check_warmup(args.warmup, {args.file: load_scenario(args.file, args.variant, args.set)})
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["total"] = total
            state["bar"] = task_bar(total, "sweep", args.quiet)
        state["bar"].update(done - state["bar"].n)

    with make_executor(args) as executor:
        try:
            table = sweep(
                args.file,
                args.grid,
                points=points,
                replications=args.replications,
                seed=args.seed,
                variant=args.variant,
                overrides=args.set,
                warmup_s=args.warmup,
                out=args.out,
                resume=args.resume,
                executor=executor,
                on_progress=progress,
            )
        finally:
            if "bar" in state:
                state["bar"].close()
    n_points = int(table["point"].nunique())
    runs = state.get("total", 0)
    print(
        f"sweep: {n_points} points x {args.replications} replications; ran {runs} runs, "
        f"{n_points - runs // args.replications} points were already done"
        + (f"; table: {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    metrics = [m for m in SWEEP_HEADLINE if m in table.columns]
    means = point_means(table, metrics)
    if args.format == "json":
        print(means.to_json(orient="records"))
    else:
        print(means.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    return 0 if bool(table["invariants_ok"].all()) else 1
