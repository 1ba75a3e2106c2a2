"""What the ``fleetsim`` command writes: JSON without NaN, and one run's files under ``--out``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only for annotations: importing it loads pandas, which validate and schema never need.
    from fleetsim.record.result import Result


def json_default(value: Any) -> Any:
    """Serialise NaN as JSON ``null`` (``json.dumps(default=...)``).

    Raises:
        TypeError: any other value JSON cannot hold.
    """
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {value!r}")


def clean(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``summary`` with NaN values replaced by ``None`` (JSON ``null``)."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}


def write_outputs(result: Result, out: Path) -> None:
    """Write one run's summary, scenario and Parquet frames into the directory ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(clean(result.summary()), indent=2) + "\n")
    (out / "scenario.json").write_text(json.dumps(result.scenario, indent=2) + "\n")
    result.timeline.to_parquet(out / "timeline.parquet", index=False)
    result.sessions.to_parquet(out / "sessions.parquet", index=False)
    result.events.to_parquet(out / "events.parquet", index=False)
