"""Progress on the terminal: a status line for one long run, a bar with ETA for many runs.

Progress goes to stderr, so stdout stays clean for tables and JSON. The single-run status line
(simulated clock, share done, simulated requests per wall-clock second) is shown only when stderr
is a terminal: in a log file, a line rewritten with carriage returns is noise. ``quiet`` turns
both off.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from tqdm import tqdm

__all__ = ["RunProgress", "run_progress", "task_bar"]


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


class RunProgress:
    """A ``World.run`` progress callback that rewrites one status line on ``stream``.

    Args:
        duration: the run's simulated length (s).
        stream: where to write (a terminal).
        min_interval: wall-clock seconds between two redraws (keeps the cost negligible).
    """

    def __init__(self, duration: float, stream: IO[str], min_interval: float = 0.25) -> None:
        self.duration = duration
        self.stream = stream
        self.min_interval = min_interval
        self._start = time.perf_counter()
        self._last = -min_interval
        self._shown = False

    def __call__(self, now: float, requests: int) -> None:
        """Redraw the status line (at most every ``min_interval`` wall seconds, and at the end)."""
        wall = time.perf_counter() - self._start
        if wall - self._last < self.min_interval and now < self.duration:
            return
        self._last = wall
        rate = requests / wall if wall > 0 else 0.0
        share = now / self.duration if self.duration else 1.0
        self.stream.write(
            f"\r  simulated {_clock(now)} / {_clock(self.duration)} ({share:4.0%})"
            f"  {requests:,} requests  {rate:,.0f} req/s "
        )
        self.stream.flush()
        self._shown = True
        if now >= self.duration:
            self.stream.write("\n")
            self.stream.flush()


def run_progress(
    duration: float, quiet: bool = False, stream: IO[str] | None = None
) -> RunProgress | None:
    """Return a :class:`RunProgress` for stderr, or None if ``quiet`` or stderr is no terminal."""
    out = stream if stream is not None else sys.stderr
    if quiet or not out.isatty():
        return None
    return RunProgress(duration, out)


def task_bar(total: int, desc: str, quiet: bool = False) -> Any:
    """A tqdm bar on stderr counting finished runs, with rate and ETA.

    Disabled when ``quiet`` or when stderr is not a terminal (tqdm's own rule).
    """
    return tqdm(
        total=total,
        desc=desc,
        unit="run",
        file=sys.stderr,
        disable=True if quiet else None,
        dynamic_ncols=True,
    )
