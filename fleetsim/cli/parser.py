"""The argument parser of the ``fleetsim`` command: one small function per sub-command.

Each sub-command's parser names its command function (``func``), looked up on its module when
the parser is built, so :func:`fleetsim.cli.main` only calls ``args.func(args)``.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

from fleetsim.cli import compare, files, run, sweep
from fleetsim.cli.options import positive, positive_seconds, seconds, seed

_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _version_text() -> str:
    from fleetsim._version import build, version

    return f"fleetsim {version()} ({build()})"


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
    _add_run(sub)
    _add_compare(sub)
    _add_sweep(sub)
    _add_report(sub)
    _add_animate(sub)
    _add_files(sub)
    return parser


def _common(p: argparse.ArgumentParser, many: bool = False) -> None:
    # The arguments of run and compare: scenario, seed, overrides and outputs.
    if many:
        p.add_argument(
            "file",
            nargs="+",
            help="scenario YAML file or packaged scenario name; several files: one column "
            "per file, on the same seed",
        )
    else:
        p.add_argument("file", help="scenario YAML file or packaged scenario name")
    p.add_argument("--seed", type=seed, default=None, help="override the scenario's seed")
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


#: The report's replications per design when --replications is not given. The number lives in
#: fleetsim.analysis.report.DEFAULT_REPLICATIONS, which the parser must not import (a quick
#: command never loads the analysis); a test checks the two agree.
REPORT_REPLICATIONS = 20


def _replications(p: argparse.ArgumentParser, default: int | None, shown: int = 1) -> None:
    # The arguments of replicated runs (compare, sweep, report): R, warm-up and where runs are
    # computed. A default of None is resolved by the command (shown in the help as `shown`).
    p.add_argument(
        "--replications",
        type=positive,
        default=default,
        metavar="R",
        help=f"runs per design, on seeds spawned from --seed (default {default or shown})",
    )
    p.add_argument(
        "--warmup",
        type=seconds,
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


def _add_run(sub: _Subparsers) -> None:
    p = sub.add_parser("run", help="run one scenario and print its summary")
    _common(p)
    p.add_argument("--variant", help="apply one of the scenario's variants")
    p.set_defaults(func=run.cmd_run)


def _add_compare(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "compare", help="run variants (or several files) with the same seed, side by side"
    )
    _common(p, many=True)
    p.add_argument("--variants", help="comma-separated variant names (default: all)")
    _replications(p, 1)
    p.set_defaults(func=compare.cmd_compare)


def _add_sweep(sub: _Subparsers) -> None:
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
    p.add_argument("--seed", type=seed, default=None, help="master seed of the replications")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override (repeatable)"
    )
    p.add_argument("--out", help="Parquet file; finished points are kept in <out>.parts/")
    p.add_argument("--resume", action="store_true", help="skip the points already in --out")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _replications(p, 1)
    p.set_defaults(func=sweep.cmd_sweep)


def _scenario(p: argparse.ArgumentParser, variant_flag: str, variant_help: str) -> None:
    # The scenario arguments of report and animate: file, variant(s), seed and overrides.
    p.add_argument("file", help="scenario YAML file or packaged scenario name")
    p.add_argument(variant_flag, help=variant_help)
    p.add_argument("--seed", type=seed, default=None, help="override the scenario's seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")


def _add_report(sub: _Subparsers) -> None:
    p = sub.add_parser("report", help="run variants and write one self-contained HTML report")
    _scenario(p, "--variants", "comma-separated variant names (default: all)")
    _replications(p, None, REPORT_REPLICATIONS)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.set_defaults(func=compare.cmd_report)


def _add_animate(sub: _Subparsers) -> None:
    p = sub.add_parser("animate", help="animate the fleet (instances by state, per AZ)")
    _scenario(p, "--variant", "apply one of the scenario's variants")
    p.add_argument(
        "--step", type=positive_seconds, default=30.0, help="simulated seconds per frame"
    )
    p.add_argument("--fps", type=positive, default=4, help="frames per second of playback")
    p.add_argument("--out", required=True, help="fleet.gif, fleet.html or fleet.mp4")
    p.set_defaults(func=run.cmd_animate)


def _add_files(sub: _Subparsers) -> None:
    # validate, schema, traces and scenarios, in the order of the help text.
    p = sub.add_parser("validate", help="check a scenario file and all its variants")
    p.add_argument("file")
    p.set_defaults(func=files.cmd_validate)

    p = sub.add_parser("schema", help="print the scenario JSON Schema")
    p.set_defaults(func=files.cmd_schema)

    _add_traces(sub)

    p = sub.add_parser("scenarios", help="list the packaged scenarios and their questions")
    p.set_defaults(func=files.cmd_scenarios)


def _add_traces(sub: _Subparsers) -> None:
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
        "--bin-seconds", type=positive_seconds, metavar="S", help="rate tables: sum rows into bins"
    )
    p.add_argument("--start", metavar="TIME", help="only from this ISO 8601 time on")
    p.add_argument("--end", metavar="TIME", help="only before this ISO 8601 time")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=files.cmd_traces_inspect)
