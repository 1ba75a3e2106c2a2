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

The package's modules: :mod:`~fleetsim.cli.parser` (the arguments),
:mod:`~fleetsim.cli.options` (argument types and checks), :mod:`~fleetsim.cli.output` (files and
JSON), and the sub-commands by group: :mod:`~fleetsim.cli.run` (run, animate),
:mod:`~fleetsim.cli.compare` (compare, report), :mod:`~fleetsim.cli.sweep` and
:mod:`~fleetsim.cli.files` (validate, schema, scenarios, traces inspect).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from fleetsim.cli.options import UsageError
from fleetsim.cli.parser import build_parser
from fleetsim.config import ConfigError
from fleetsim.record.invariants import InvariantError
from fleetsim.traces import TraceError

__all__ = ["EXIT_BUG", "UsageError", "build_parser", "main"]


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
