"""The sub-commands that set variants side by side: ``compare`` (a table) and ``report`` (HTML).

``compare`` runs every variant once on one seed, or, with ``--replications`` or ``--warmup``,
R times each on common random numbers with paired confidence intervals. ``report`` always runs
replications (20 per design unless ``--replications`` says otherwise) besides one detailed run
per design on the master seed, whose story, figures and events it shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fleetsim.cli.options import UsageError, check_warmup, make_executor
from fleetsim.cli.output import clean, json_default, write_outputs


def _compare_source(args: argparse.Namespace) -> Any:
    # One file: its variants are the columns; several files: each file is one column.
    files: list[str] = args.file
    return files[0] if len(files) == 1 else list(files)


def _cmd_compare_replicated(args: argparse.Namespace) -> int:
    from fleetsim.analysis.compare import format_comparison, replicate_variants, select_variants
    from fleetsim.analysis.progress import task_bar

    if args.plots:
        print("fleetsim: --plots needs a single replication (--replications 1).", file=sys.stderr)
        return 2
    variants = args.variants.split(",") if args.variants else None
    source = _compare_source(args)
    chosen = select_variants(source, variants, args.set)
    check_warmup(args.warmup, chosen)
    with (
        make_executor(args) as executor,
        task_bar(len(chosen) * args.replications, "compare", args.quiet) as bar,
    ):
        comparison = replicate_variants(
            source,
            variants,
            seed=args.seed,
            overrides=args.set,
            replications=args.replications,
            warmup_s=args.warmup,
            executor=executor,
            on_done=lambda: bar.update(1),
        )
    summary = comparison.summary()
    if args.format == "json":
        print(json.dumps(summary, default=json_default))
    else:
        print(format_comparison(summary, args.replications, comparison.master_seed))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(summary, indent=1) + "\n")
        comparison.frame().to_parquet(out / "runs.parquet", index=False)
    return 0 if all(summary[n]["invariants_ok"] for n in comparison.names) else 1


def cmd_compare(args: argparse.Namespace) -> int:
    """Run variants (or several files) on the same seed and print their summaries side by side."""
    from fleetsim.analysis.compare import run_variants
    from fleetsim.analysis.tables import format_summaries

    if args.replications > 1 or args.warmup > 0:
        return _cmd_compare_replicated(args)
    variants = args.variants.split(",") if args.variants else None
    results = run_variants(_compare_source(args), variants, seed=args.seed, overrides=args.set)
    summaries = {name: r.summary() for name, r in results.items()}
    if args.format == "json":
        print(json.dumps({k: clean(v) for k, v in summaries.items()}, default=json_default))
    else:
        print(format_summaries(summaries))
    if args.out:
        for name, result in results.items():
            write_outputs(result, Path(args.out) / name)
    if args.plots:
        from fleetsim.analysis.plots import save_all

        paths = save_all(results, Path(args.plots))
        print(f"\nfigures: {len(paths)} in {args.plots}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Run variants, with replications, and write them as one self-contained HTML report."""
    from fleetsim.analysis.compare import select_variants
    from fleetsim.analysis.progress import task_bar
    from fleetsim.analysis.report import DEFAULT_REPLICATIONS, run_report, write_report

    variants = args.variants.split(",") if args.variants else None
    replications = args.replications or DEFAULT_REPLICATIONS
    chosen = select_variants(args.file, variants, args.set)
    check_warmup(args.warmup, chosen)
    if args.warmup > 0 and replications < 2:
        raise UsageError("argument --warmup: the report applies it to replications (R >= 2).")
    runs = len(chosen) * replications if replications > 1 else 0
    with make_executor(args) as executor, task_bar(runs, "report", args.quiet) as bar:
        results, frame = run_report(
            args.file,
            variants,
            seed=args.seed,
            overrides=args.set,
            replications=replications,
            warmup_s=args.warmup,
            executor=executor,
            on_done=lambda: bar.update(1),
        )
    path = write_report(results, Path(args.out), frame)
    print(f"report: {path}", file=sys.stderr)
    balanced = all(r.summary()["invariants_ok"] for r in results.values())
    if frame is not None and "invariants_ok" in frame:
        balanced = balanced and bool(frame["invariants_ok"].all())
    return 0 if balanced else 1
