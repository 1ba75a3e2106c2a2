"""Trace readers: recorded traffic for the simulator to replay.

fleetsim can drive its load balancer with real traffic instead of a synthetic arrival
process. This package reads such traffic from files:

* rate traces -- a request count per time bin (rate CSVs, CloudWatch ``RequestCount``
  exports) -> :class:`RateTrace`;
* request-level traces -- one arrival per request (Common/Combined Log Format web
  logs, AWS ALB access logs, per-request CSV/TSV) -> :class:`RequestTrace`, streamed
  lazily so that gigabyte logs never sit in memory.

:func:`load_trace` reads any of them (detecting the format), :func:`to_rate` bins
arrivals into rates, and :func:`inspect_trace` / :func:`format_inspection` summarize a
file. Gzip-compressed files are read transparently. Malformed input raises
:class:`TraceError` naming file, line and field, or is skipped and counted with
``on_error='skip'``. One real trace ships with the package:
``load_trace(packaged_trace_path())`` is the NASA-HTTP launch day, 13 July 1995.
"""

from fleetsim.traces.alb import AlbRecord, iter_alb_records, parse_alb_line, read_alb
from fleetsim.traces.clf import ClfRecord, parse_clf_line, read_clf
from fleetsim.traces.detect import FORMATS, TraceFormat, detect_format
from fleetsim.traces.errors import OnError, TraceError
from fleetsim.traces.inspect import format_inspection, inspect_trace, summarize_trace
from fleetsim.traces.loader import load_trace
from fleetsim.traces.model import RateTrace, RequestTrace
from fleetsim.traces.packaged import NASA_LAUNCH_DAY, packaged_trace_path
from fleetsim.traces.rate import to_rate
from fleetsim.traces.rate_csv import read_cloudwatch_csv, read_rate_csv
from fleetsim.traces.requests_csv import read_requests_csv

__all__ = [
    "FORMATS",
    "NASA_LAUNCH_DAY",
    "AlbRecord",
    "ClfRecord",
    "OnError",
    "RateTrace",
    "RequestTrace",
    "TraceError",
    "TraceFormat",
    "detect_format",
    "format_inspection",
    "inspect_trace",
    "iter_alb_records",
    "load_trace",
    "packaged_trace_path",
    "parse_alb_line",
    "parse_clf_line",
    "read_alb",
    "read_clf",
    "read_cloudwatch_csv",
    "read_rate_csv",
    "read_requests_csv",
    "summarize_trace",
    "to_rate",
]
