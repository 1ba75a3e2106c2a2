"""The ``fleetsim`` command.

Sub-commands: ``run`` one scenario (or variant), ``compare`` its variants on common random numbers
(optionally over R replications, with paired confidence intervals), ``sweep`` a grid of settings
with replications on all cores or a Dask cluster, ``report`` variants as one self-contained HTML
file, ``animate`` the fleet, ``validate`` a scenario file, print the JSON ``schema``, list the
packaged ``scenarios``.

Every sub-command ends the same way (:func:`main`): bad input — a scenario, a trace, an argument
— prints one paragraph on stderr naming the field or argument and exits 2; a run whose accounting
checks fail exits 1; anything else is a bug in fleetsim and exits 3 with a short message saying
how to report it. No path prints a traceback unless ``--debug`` asks for it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fleetsim.config import ConfigError, Scenario, load_scenario, load_variants, packaged_scenarios
from fleetsim.config.base import MAX_SEED
from fleetsim.record.invariants import InvariantError
from fleetsim.traces import TraceError

if TYPE_CHECKING:
    # Only for annotations: importing it loads pandas, which validate and schema never need.
    from fleetsim.record.result import Result


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {value!r}")


def _clean(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}


def _write_outputs(result: Result, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(_clean(result.summary()), indent=2) + "\n")
    (out / "scenario.json").write_text(json.dumps(result.scenario, indent=2) + "\n")
    result.timeline.to_parquet(out / "timeline.parquet", index=False)
    result.sessions.to_parquet(out / "sessions.parquet", index=False)
    result.events.to_parquet(out / "events.parquet", index=False)


def _cmd_run(args: argparse.Namespace) -> int:
    from fleetsim.analysis.progress import run_progress
    from fleetsim.analysis.tables import format_summaries
    from fleetsim.sim.world import simulate

    scenario = load_scenario(args.file, args.variant, args.set)
    result = simulate(scenario, args.seed, run_progress(scenario.duration, args.quiet))
    summary = result.summary()
    if args.format == "json":
        print(json.dumps(_clean(summary), default=_json_default))
    else:
        print(format_summaries({scenario.name: summary}))
    if args.out:
        _write_outputs(result, Path(args.out))
    if args.plots:
        from fleetsim.analysis.plots import save_all

        save_all({scenario.name: result}, Path(args.plots))
    return 0


def _make_executor(args: argparse.Namespace) -> Any:
    from fleetsim.analysis.executors import make_executor

    try:
        return make_executor(
            args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            dask_local=args.dask_local,
        )
    except ImportError as exc:
        raise ConfigError(str(exc)) from None


def _compare_source(args: argparse.Namespace) -> Any:
    # One file: its variants are the columns; several files: each file is one column.
    files: list[str] = args.file
    return files[0] if len(files) == 1 else list(files)


class UsageError(ValueError):
    """A command-line argument is out of range; the message names the argument."""


def _check_warmup(warmup: float, scenarios: dict[str, Scenario]) -> None:
    for name, scenario in scenarios.items():
        if warmup >= scenario.duration:
            raise UsageError(
                f"argument --warmup: {warmup:g} s must be shorter than the run of {name!r} "
                f"({scenario.duration:g} s)."
            )


def _cmd_compare_replicated(args: argparse.Namespace) -> int:
    from fleetsim.analysis.compare import format_comparison, replicate_variants, select_variants
    from fleetsim.analysis.progress import task_bar

    if args.plots:
        print("fleetsim: --plots needs a single replication (--replications 1).", file=sys.stderr)
        return 2
    variants = args.variants.split(",") if args.variants else None
    source = _compare_source(args)
    chosen = select_variants(source, variants, args.set)
    _check_warmup(args.warmup, chosen)
    with (
        _make_executor(args) as executor,
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
        print(json.dumps(summary, default=_json_default))
    else:
        print(format_comparison(summary, args.replications, comparison.master_seed))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(summary, indent=1) + "\n")
        comparison.frame().to_parquet(out / "runs.parquet", index=False)
    return 0 if all(summary[n]["invariants_ok"] for n in comparison.names) else 1


def _cmd_compare(args: argparse.Namespace) -> int:
    from fleetsim.analysis.compare import run_variants
    from fleetsim.analysis.tables import format_summaries

    if args.replications > 1 or args.warmup > 0:
        return _cmd_compare_replicated(args)
    variants = args.variants.split(",") if args.variants else None
    results = run_variants(_compare_source(args), variants, seed=args.seed, overrides=args.set)
    summaries = {name: r.summary() for name, r in results.items()}
    if args.format == "json":
        print(json.dumps({k: _clean(v) for k, v in summaries.items()}, default=_json_default))
    else:
        print(format_summaries(summaries))
    if args.out:
        for name, result in results.items():
            _write_outputs(result, Path(args.out) / name)
    if args.plots:
        from fleetsim.analysis.plots import save_all

        paths = save_all(results, Path(args.plots))
        print(f"\nfigures: {len(paths)} in {args.plots}", file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from fleetsim.analysis.compare import run_variants
    from fleetsim.analysis.report import replication_frame, write_report

    variants = args.variants.split(",") if args.variants else None
    if args.replications < 1:
        print("fleetsim: --replications must be at least 1", file=sys.stderr)
        return 2
    results = run_variants(args.file, variants, seed=args.seed, overrides=args.set)
    replications = None
    if args.replications > 1:
        replications = replication_frame(
            args.file,
            variants=variants,
            seed=args.seed,
            overrides=args.set,
            replications=args.replications,
        )
    path = write_report(results, Path(args.out), replications)
    print(f"report: {path}", file=sys.stderr)
    return 0


def _cmd_animate(args: argparse.Namespace) -> int:
    from fleetsim.analysis.animate import AnimationError, save_animation
    from fleetsim.sim.world import simulate

    scenario = load_scenario(args.file, args.variant, args.set)
    try:
        if Path(args.out).suffix.lower() == ".mp4":
            from matplotlib import animation

            if not animation.writers.is_available("ffmpeg"):
                raise AnimationError(
                    "writing .mp4 needs ffmpeg, which is not installed; use .gif or .html"
                )
        result = simulate(scenario, args.seed)
        path = save_animation(result, Path(args.out), step_s=args.step, fps=args.fps)
    except AnimationError as exc:
        print(f"fleetsim: {exc}", file=sys.stderr)
        return 2
    print(f"animation: {path}", file=sys.stderr)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from fleetsim.analysis.progress import task_bar
    from fleetsim.analysis.sweep import load_points, point_means, sweep

    if args.resume and not args.out:
        print("fleetsim: --resume needs --out (the sweep to continue).", file=sys.stderr)
        return 2
    points = load_points(args.points) if args.points else None
    if args.warmup > 0:
        _check_warmup(args.warmup, {args.file: load_scenario(args.file, args.variant, args.set)})
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["total"] = total
            state["bar"] = task_bar(total, "sweep", args.quiet)
        state["bar"].update(done - state["bar"].n)

    with _make_executor(args) as executor:
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


#: Metrics the sweep prints per point (mean and CI half-width); the Parquet table has them all.
SWEEP_HEADLINE = ["requests_failed", "sessions_lost", "latency_p99_s", "cost_usd"]


def _cmd_validate(args: argparse.Namespace) -> int:
    from fleetsim.config.shapes import TraceShape
    from fleetsim.sim.shapes import build_shape, replay_times

    scenarios = load_variants(args.file)
    for scenario in scenarios.values():
        # Trace files are read too: a scenario is valid only if its run can read its traffic.
        shape = scenario.traffic.shape
        if isinstance(shape, TraceShape) and shape.exact:
            replay_times(shape)
        else:
            build_shape(shape)
    names = ", ".join(scenarios)
    print(f"{args.file}: valid ({len(scenarios)} variant(s): {names})")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    found = packaged_scenarios()
    width = max((len(n) for n in found), default=0)
    for name, question in found.items():
        print(f"{name.ljust(width)}  {question}")
    return 0


def _cmd_traces_inspect(args: argparse.Namespace) -> int:
    from fleetsim.traces import format_inspection, inspect_trace
    from fleetsim.traces.packaged import find_packaged_trace

    path = args.file if Path(args.file).exists() else find_packaged_trace(args.file) or args.file
    options: dict[str, Any] = {"on_error": args.on_error}
    if args.trace_format != "auto":
        options["format"] = args.trace_format
    for name in ("time_column", "count_column"):
        column = getattr(args, name)
        if column is not None:
            options[name] = int(column) if column.isdigit() else column
    if args.tz is not None:
        options["tz"] = args.tz
    if args.bin_seconds is not None:
        options["bin_seconds"] = args.bin_seconds
    info = inspect_trace(path, start=args.start, end=args.end, **options)
    if args.format == "json":
        print(json.dumps(info, default=str))
    else:
        print(format_inspection(info))
    return 0


def _version_text() -> str:
    from fleetsim._version import build, version

    return f"fleetsim {version()} ({build()})"


def _seed(text: str) -> int:
    # A seed is a non-negative integer (numpy's SeedSequence refuses negatives).
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 0 to {MAX_SEED}, got {value}"
        )
    return value


def _seconds(text: str) -> float:
    # Non-negative and finite: a warm-up or a frame step in seconds.
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text}")
    return value


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a number of seconds > 0, got 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``fleetsim`` command."""
    parser = argparse.ArgumentParser(
        prog="fleetsim",
        description="Discrete-event simulator of an AWS EC2 fleet (ALB, ASG, AZs, sessions).",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument(
        "--version", action="version", version=_version_text(), help="print version and build"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, many: bool = False) -> None:
        if many:
            p.add_argument(
                "file",
                nargs="+",
                help="scenario YAML file or packaged scenario name; several files: one column "
                "per file, on the same seed",
            )
        else:
            p.add_argument("file", help="scenario YAML file or packaged scenario name")
        p.add_argument("--seed", type=_seed, default=None, help="override the scenario's seed")
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a setting, e.g. --set asg.desired_capacity=9 (repeatable)",
        )
        p.add_argument("--format", choices=["table", "json"], default="table")
        p.add_argument("--out", help="directory for summary.json, scenario.json and Parquet frames")
        p.add_argument("--plots", help="directory for figures (PNG)")
        p.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def positive(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
        return value

    def replications(p: argparse.ArgumentParser, default: int) -> None:
        p.add_argument(
            "--replications",
            type=positive,
            default=default,
            metavar="R",
            help=f"runs per design, on seeds spawned from --seed (default {default})",
        )
        p.add_argument(
            "--warmup",
            type=_seconds,
            default=0.0,
            metavar="SECONDS",
            help="delete this start-up period from the request metrics (steady state)",
        )
        p.add_argument(
            "--executor",
            choices=["serial", "processes", "dask"],
            default="processes",
            help="where runs are computed (default: processes on all local cores)",
        )
        p.add_argument("--workers", type=positive, help="processes for --executor processes")
        p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:8786")
        p.add_argument(
            "--dask-local", type=positive, metavar="N", help="start a Dask LocalCluster, N workers"
        )

    p = sub.add_parser("run", help="run one scenario and print its summary")
    common(p)
    p.add_argument("--variant", help="apply one of the scenario's variants")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "compare", help="run variants (or several files) with the same seed, side by side"
    )
    common(p, many=True)
    p.add_argument("--variants", help="comma-separated variant names (default: all)")
    replications(p, 1)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "sweep", help="run a grid of settings, R replications each, into a Parquet table"
    )
    p.add_argument("file", help="scenario YAML file or packaged scenario name")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a swept setting and its values (repeatable; full factorial)",
    )
    p.add_argument("--points", metavar="FILE", help="YAML/JSON list of explicit points to add")
    p.add_argument("--variant", help="apply one of the scenario's variants to every point")
    p.add_argument("--seed", type=_seed, default=None, help="master seed of the replications")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override (repeatable)"
    )
    p.add_argument("--out", help="Parquet file; finished points are kept in <out>.parts/")
    p.add_argument("--resume", action="store_true", help="skip the points already in --out")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    replications(p, 1)
    p.set_defaults(func=_cmd_sweep)
    p = sub.add_parser("report", help="run variants and write one self-contained HTML report")
    p.add_argument("file", help="scenario YAML file or packaged scenario name")
    p.add_argument("--variants", help="comma-separated variant names (default: all)")
    p.add_argument("--seed", type=_seed, default=None, help="override the scenario's seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--replications",
        type=int,
        default=1,
        help="independent seeds per variant for confidence intervals (default 1: none)",
    )
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("animate", help="animate the fleet (instances by state, per AZ)")
    p.add_argument("file", help="scenario YAML file or packaged scenario name")
    p.add_argument("--variant", help="apply one of the scenario's variants")
    p.add_argument("--seed", type=_seed, default=None, help="override the scenario's seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--step", type=_positive_seconds, default=30.0, help="simulated seconds per frame"
    )
    p.add_argument("--fps", type=positive, default=4, help="frames per second of playback")
    p.add_argument("--out", required=True, help="fleet.gif, fleet.html or fleet.mp4")
    p.set_defaults(func=_cmd_animate)

    p = sub.add_parser("validate", help="check a scenario file and all its variants")
    p.add_argument("file")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("schema", help="print the scenario JSON Schema")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("traces", help="work with traffic trace files")
    traces = p.add_subparsers(dest="traces_command", required=True)
    p = traces.add_parser("inspect", help="span, resolution, mean/peak rate, biggest spike")
    p.add_argument("file", help="rate CSV, CloudWatch export, request CSV, CLF or ALB log (.gz ok)")
    p.add_argument(
        "--trace-format",
        default="auto",
        choices=["auto", "rate_csv", "cloudwatch", "requests_csv", "clf", "alb"],
    )
    p.add_argument("--on-error", choices=["raise", "skip"], default="raise")
    p.add_argument(
        "--time-column", metavar="NAME", help="table files: the time column (name or index)"
    )
    p.add_argument(
        "--count-column", metavar="NAME", help="rate tables: the count column (name or index)"
    )
    p.add_argument("--tz", metavar="ZONE", help="zone of timestamps without offset (default UTC)")
    p.add_argument(
        "--bin-seconds", type=_positive_seconds, metavar="S", help="rate tables: sum rows into bins"
    )
    p.add_argument("--start", metavar="TIME", help="only from this ISO 8601 time on")
    p.add_argument("--end", metavar="TIME", help="only before this ISO 8601 time")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_cmd_traces_inspect)

    p = sub.add_parser("scenarios", help="list the packaged scenarios and their questions")
    p.set_defaults(func=_cmd_scenarios)
    return parser


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    print(f"fleetsim: warning: {message}", file=sys.stderr)


#: How each kind of failure is reported: message prefix and exit status (2 bad input, 1 a run
#: failed its accounting checks). Anything else is a bug: exit 3, see :func:`_report_bug`.
_FAILURES: dict[type[Exception], tuple[str, int]] = {
    ConfigError: ("invalid scenario: ", 2),
    TraceError: ("bad trace: ", 2),
    UsageError: ("", 2),
    InvariantError: ("the run's accounting failed (a bug in fleetsim): ", 1),
    OSError: ("", 2),
}

#: Exit status of an internal error (a bug in fleetsim, not in the input).
EXIT_BUG = 3


def _report_bug(exc: BaseException) -> int:
    first = (str(exc).splitlines() or [""])[0]
    if len(first) > 200:
        first = first[:197] + "..."
    print(
        f"fleetsim: internal error (a bug in fleetsim, not in your input): "
        f"{type(exc).__name__}: {first}\n"
        "Please report it to the fleetsim maintainers with the command line, the scenario "
        "file and the output of the same command with --debug (which shows the traceback).",
        file=sys.stderr,
    )
    return EXIT_BUG


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Returns:
        0 ok, 1 a run failed its accounting checks, 2 bad input (scenario, trace or argument:
        one paragraph on stderr), 3 an internal error (a bug; ``--debug`` shows the traceback).
    """
    words = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted anywhere (fleetsim run x --debug), not only before the sub-command.
    debug = "--debug" in words
    args = build_parser().parse_args([w for w in words if w != "--debug"])
    args.debug = debug
    try:
        with warnings.catch_warnings():
            # A scenario's warnings are for the user: one line each, without source lines.
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except tuple(_FAILURES) as exc:
        if args.debug:
            raise
        prefix, status = next(v for k, v in _FAILURES.items() if isinstance(exc, k))
        print(f"fleetsim: {prefix}{exc}", file=sys.stderr)
        return status
    except KeyboardInterrupt:
        print("fleetsim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        return _report_bug(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
