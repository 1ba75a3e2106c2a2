"""The sub-commands that simulate one scenario: ``run`` (its summary) and ``animate`` (the fleet).

Heavy modules (the simulator, pandas, matplotlib) are imported inside each command, so that the
light sub-commands (validate, schema, --version) start without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fleetsim.cli.output import clean, json_default, write_outputs
from fleetsim.config import load_scenario


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario (or variant), print its summary and write the asked outputs."""
    from fleetsim.analysis.progress import run_progress
    from fleetsim.analysis.tables import format_summaries
    from fleetsim.sim.world import simulate

    scenario = load_scenario(args.file, args.variant, args.set)
    result = simulate(scenario, args.seed, run_progress(scenario.duration, args.quiet))
    summary = result.summary()
    if args.format == "json":
        print(json.dumps(clean(summary), default=json_default))
    else:
        print(format_summaries({scenario.name: summary}))
    if args.out:
        write_outputs(result, Path(args.out))
    if args.plots:
        from fleetsim.analysis.plots import save_all

        save_all({scenario.name: result}, Path(args.plots))
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    """Run one scenario and write the animation of its fleet (.gif, .html or .mp4)."""
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
