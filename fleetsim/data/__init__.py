"""Data files shipped inside the fleetsim package: packaged scenarios and traces.

The lookup of a packaged trace by name lives here, below both ``config`` (a scenario's trace
shape may name one) and ``traces`` (which reads it), so neither of those layers imports the
other. One small real trace is packaged so that examples and tests run without any external
data: the NASA Kennedy Space Center WWW server's requests per second on 13 July 1995,
the day of the STS-70 launch (86,400 one-second bins, 134,203 requests, peak 20 req/s
at 13:32:58 EDT), gzip-compressed. See ``fleetsim/data/traces/ATTRIBUTION.md`` for its
origin and terms.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

NASA_LAUNCH_DAY = "nasa_1995-07-13_per_second.csv.gz"
"""File name of the packaged NASA-HTTP 13 July 1995 per-second rate trace."""


def packaged_trace_path(name: str = NASA_LAUNCH_DAY) -> Path:
    """Return the file system path of a trace shipped with fleetsim.

    Args:
        name: File name inside ``fleetsim/data/traces`` (default: the NASA trace).

    Returns:
        Path of the file, readable with :func:`fleetsim.traces.load_trace`.

    Raises:
        FileNotFoundError: If no packaged trace has that name.
    """
    resource = resources.files("fleetsim").joinpath("data", "traces", name)
    if not resource.is_file():
        raise FileNotFoundError(f"fleetsim ships no trace named {name!r}")
    return Path(str(resource))


def find_packaged_trace(name: str) -> Path | None:
    """Return the packaged trace a short name refers to, or None.

    Short names are file names without extensions, ``_`` read as ``-``, matched by prefix:
    ``nasa-1995-07-13`` is ``nasa_1995-07-13_per_second.csv.gz``.
    """
    folder = resources.files("fleetsim").joinpath("data", "traces")
    wanted = name.replace("_", "-")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        stem = entry.name.split(".")[0].replace("_", "-")
        if entry.is_file() and not entry.name.endswith(".md") and stem.startswith(wanted):
            return Path(str(entry))
    return None
