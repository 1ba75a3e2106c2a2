"""One entry point for every trace format: :func:`load_trace`.

``load_trace`` picks a reader from the ``format`` argument, or detects it from the
file's content (:func:`~fleetsim.traces.detect.detect_format`), and forwards the
reader-specific options. Rate formats return a
:class:`~fleetsim.traces.model.RateTrace`; request-level formats return a streamed
:class:`~fleetsim.traces.model.RequestTrace`.

=================  ==============  ==================================================
format             returns         options
=================  ==============  ==================================================
``rate_csv``       RateTrace       time_column, count_column, bin_seconds, tz,
                                   delimiter, sort
``cloudwatch``     RateTrace       time_column, count_column, bin_seconds, tz,
                                   delimiter
``requests_csv``   RequestTrace    time_column, tz, delimiter
``clf``            RequestTrace    (none)
``alb``            RequestTrace    (none)
=================  ==============  ==================================================
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal

from fleetsim.traces._time import resolve_tz
from fleetsim.traces.alb import read_alb
from fleetsim.traces.clf import read_clf
from fleetsim.traces.detect import FORMATS, detect_format
from fleetsim.traces.errors import OnError, TraceError, check_on_error
from fleetsim.traces.model import RateTrace, RequestTrace
from fleetsim.traces.rate_csv import read_cloudwatch_csv, read_rate_csv
from fleetsim.traces.requests_csv import read_requests_csv

FormatOption = Literal["auto", "rate_csv", "requests_csv", "clf", "alb", "cloudwatch"]
"""Values accepted by ``load_trace(format=...)``."""

#: The reader options each format takes (see the module table).
READER_OPTIONS: dict[str, frozenset[str]] = {
    "rate_csv": frozenset(
        {"time_column", "count_column", "bin_seconds", "tz", "delimiter", "sort"}
    ),
    "cloudwatch": frozenset({"time_column", "count_column", "bin_seconds", "tz", "delimiter"}),
    "requests_csv": frozenset({"time_column", "tz", "delimiter"}),
    "clf": frozenset(),
    "alb": frozenset(),
}


def _check_values(path: str | os.PathLike[str], options: dict[str, Any]) -> None:
    # Option values from a scenario or the command line: refuse them here, by name.
    if "tz" in options:
        try:
            resolve_tz(options["tz"])
        except ValueError as exc:
            raise TraceError(path, str(exc), field="tz") from None
    if "bin_seconds" in options:
        value = options["bin_seconds"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TraceError(path, "is not a number", field="bin_seconds", value=repr(value))
        if not (math.isfinite(value) and value > 0):
            raise TraceError(
                path, "is not a positive number of seconds", field="bin_seconds", value=str(value)
            )


def _check_options(path: str | os.PathLike[str], fmt: str, options: dict[str, Any]) -> None:
    # A reader would raise TypeError on an option it does not take; say which formats take it.
    unknown = sorted(set(options) - READER_OPTIONS[fmt])
    if unknown:
        name = unknown[0]
        takes = [f for f, names in READER_OPTIONS.items() if name in names]
        raise TraceError(
            path,
            f"is read as {fmt}, which has no option {name!r}",
            allowed=f"{name} applies to {', '.join(takes)}"
            if takes
            else f"the options are {', '.join(sorted(set().union(*READER_OPTIONS.values())))}",
        )


def load_trace(
    path: str | os.PathLike[str],
    format: FormatOption | str = "auto",
    on_error: OnError | str = "raise",
    **options: Any,
) -> RateTrace | RequestTrace:
    """Load a trace file of any supported format.

    Args:
        path: Trace file, plain or gzip-compressed (detected by content).
        format: ``'auto'`` (detect from the first line) or one of ``'rate_csv'``,
            ``'requests_csv'``, ``'clf'``, ``'alb'``, ``'cloudwatch'``.
        on_error: ``'raise'`` a :class:`~fleetsim.traces.errors.TraceError` on the first
            malformed line, or ``'skip'`` malformed lines and count them in the
            trace's ``skipped``.
        **options: Reader options (see the module table), e.g. ``bin_seconds=60``,
            ``tz='America/New_York'``, ``time_column='time'``.

    Returns:
        A :class:`RateTrace` for rate formats, a :class:`RequestTrace` otherwise.

    Raises:
        TraceError: If the file is empty, of unknown format, or malformed.
        ValueError: If ``format`` or ``on_error`` is not a known value.
        TraceError: If an option does not apply to the format (the message says which
            formats take it).
    """
    mode = check_on_error(on_error)
    fmt = detect_format(path, options.get("count_column")) if format == "auto" else format
    if fmt not in READER_OPTIONS:
        raise ValueError(f"format must be 'auto' or one of {', '.join(FORMATS)}, not {format!r}")
    options = {k: v for k, v in options.items() if v is not None}
    _check_options(path, fmt, options)
    _check_values(path, options)
    if fmt == "rate_csv":
        return read_rate_csv(path, on_error=mode, **options)
    if fmt == "cloudwatch":
        return read_cloudwatch_csv(path, on_error=mode, **options)
    if fmt == "requests_csv":
        return read_requests_csv(path, on_error=mode, **options)
    if fmt == "clf":
        return read_clf(path, on_error=mode, **options)
    if fmt == "alb":
        return read_alb(path, on_error=mode, **options)
    raise ValueError(f"format must be 'auto' or one of {', '.join(FORMATS)}, not {format!r}")
