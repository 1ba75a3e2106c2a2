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

import os
from typing import Any, Literal

from fleetsim.traces.alb import read_alb
from fleetsim.traces.clf import read_clf
from fleetsim.traces.detect import FORMATS, detect_format
from fleetsim.traces.errors import OnError, check_on_error
from fleetsim.traces.model import RateTrace, RequestTrace
from fleetsim.traces.rate_csv import read_cloudwatch_csv, read_rate_csv
from fleetsim.traces.requests_csv import read_requests_csv

FormatOption = Literal["auto", "rate_csv", "requests_csv", "clf", "alb", "cloudwatch"]
"""Values accepted by ``load_trace(format=...)``."""


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
        TypeError: If an option does not apply to the format.
    """
    mode = check_on_error(on_error)
    fmt = detect_format(path) if format == "auto" else format
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
