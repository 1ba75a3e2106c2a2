"""Argument values of the ``fleetsim`` command: their types, checks and the executor they name.

An argument's type (a seed, seconds, a positive count) is checked by argparse, which names the
argument in its message; checks that need the scenario (the warm-up must be shorter than the run)
raise :class:`UsageError` once it is loaded.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from fleetsim.config import ConfigError, Scenario
from fleetsim.config.base import MAX_SEED


class UsageError(ValueError):
    """A command-line argument is out of range; the message names the argument."""


def seed(text: str) -> int:
    """Parse ``--seed``: a whole number from 0 to the largest seed.

    Raises:
        argparse.ArgumentTypeError: ``text`` is not such a number.
    """
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


def seconds(text: str) -> float:
    """Parse a duration in seconds: finite and non-negative (a warm-up or a frame step).

    Raises:
        argparse.ArgumentTypeError: ``text`` is not such a number.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text}")
    return value


def positive_seconds(text: str) -> float:
    """Parse a duration in seconds that must be more than zero.

    Raises:
        argparse.ArgumentTypeError: ``text`` is not such a number.
    """
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a number of seconds > 0, got 0")
    return value


def positive(text: str) -> int:
    """Parse a count that must be at least 1 (replications, workers, frames per second).

    Raises:
        argparse.ArgumentTypeError: the count is below 1.
    """
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def check_warmup(warmup: float, scenarios: dict[str, Scenario]) -> None:
    """Refuse a ``--warmup`` that is not shorter than every scenario's run.

    Raises:
        UsageError: naming the argument and the first scenario it does not fit.
    """
    for name, scenario in scenarios.items():
        if warmup >= scenario.duration:
            raise UsageError(
                f"argument --warmup: {warmup:g} s must be shorter than the run of {name!r} "
                f"({scenario.duration:g} s)."
            )


def make_executor(args: argparse.Namespace) -> Any:
    """Build the executor that ``--executor`` and its options name (compare and sweep).

    Raises:
        ConfigError: the executor's package (Dask) is not installed.
    """
    from fleetsim.analysis.executors import make_executor as build

    try:
        return build(
            args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            dask_local=args.dask_local,
        )
    except ImportError as exc:
        raise ConfigError(str(exc)) from None
