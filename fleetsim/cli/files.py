"""The sub-commands that read files without simulating (validate, schema, scenarios, traces).

They are ``validate``, ``schema``, ``scenarios`` and ``traces inspect``.

``validate`` and ``schema`` must start fast: nothing here imports pandas, scipy or matplotlib at
module level (tests/test_layers.py checks it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fleetsim.config import Scenario, load_variants, packaged_scenarios


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a scenario file, all its variants and the traces they read."""
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


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a scenario file."""
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the packaged scenarios and the question each answers."""
    found = packaged_scenarios()
    width = max((len(n) for n in found), default=0)
    for name, question in found.items():
        print(f"{name.ljust(width)}  {question}")
    return 0


def cmd_traces_inspect(args: argparse.Namespace) -> int:
    """Print a trace file's span, resolution, mean and peak rate and biggest spike."""
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
