"""Writing figures to files: one figure, the timeline, or every kind for a set of runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from fleetsim.analysis.plots.comparison import comparison_figure
from fleetsim.analysis.plots.per_run import run_figures
from fleetsim.analysis.plots.timeline import timeline_figure
from fleetsim.record.result import Result


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    return out


def save_timeline(results: dict[str, Result], path: str | Path) -> Path:
    """Write :func:`timeline_figure` to ``path`` (PNG) and return the path."""
    return save_figure(timeline_figure(results), path)


def save_all(
    results: dict[str, Result],
    directory: str | Path,
    replications: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every figure kind for ``results`` into ``directory``; return the paths written.

    One run gives ``<kind>.png`` per kind and ``timeline.png``; several give
    ``<variant>-<kind>.png``, ``compare-timeline.png`` and ``comparison.png`` (with CI error
    bars when ``replications`` holds per-replication summaries with a ``variant`` column).
    """
    out = Path(directory)
    paths: list[Path] = []
    single = len(results) == 1
    for name, result in results.items():
        prefix = "" if single else f"{name}-"
        for kind, fig in run_figures(result).items():
            paths.append(save_figure(fig, out / f"{prefix}{kind}.png"))
    if single:
        paths.append(save_timeline(results, out / "timeline.png"))
    else:
        paths.append(save_timeline(results, out / "compare-timeline.png"))
        data = replications if replications is not None else results
        paths.append(save_figure(comparison_figure(data), out / "comparison.png"))
    return paths
