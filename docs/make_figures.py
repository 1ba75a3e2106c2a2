"""Regenerate the figures the documentation quotes: ``make figures``.

Every number the README and ``docs/`` quote about a packaged scenario comes from one file here:
``docs/figures/<scenario>.md`` holds the full ``fleetsim compare <scenario>`` table (every summary
key, every variant, on the scenario's own seed; wall time left out, as it is not a result). Each
file also records the seeded fingerprints (``tests/data/fingerprints.json``) its runs were made
under, so ``tests/test_docs_figures.py`` notices when results for a seed have moved but the
figures were not regenerated, and checks that the README's tables quote these files.

Without arguments it also redraws the README's two images in ``docs/img/`` from the same
commands: the az-outage comparison timeline and the fleet animation of its stateful variant.

Usage: ``python docs/make_figures.py [SCENARIO ...]`` (default: every packaged scenario).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
FINGERPRINTS = ROOT / "tests" / "data" / "fingerprints.json"
#: Summary keys that are not results of the model (they vary from machine to machine).
NOT_RESULTS = ("wall_s",)


def fingerprint_line(name: str, fingerprints: dict[str, str]) -> str:
    """The fingerprints of ``name``'s variants, as the figures file records them."""
    mine = sorted((k, v) for k, v in fingerprints.items() if k.split("/")[0] == name)
    return "fingerprints: " + ", ".join(f"{k}={v[:16]}" for k, v in mine)


def figures_text(name: str, fingerprints: dict[str, str]) -> str:
    """Run every variant of the packaged scenario ``name`` and lay out its figures file."""
    import fleetsim
    from fleetsim.analysis.compare import run_variants
    from fleetsim.analysis.tables import format_summaries

    results = run_variants(name)
    summaries = {
        variant: {k: v for k, v in r.summary().items() if k not in NOT_RESULTS}
        for variant, r in results.items()
    }
    seed = next(iter(results.values())).seed
    return "\n".join(
        [
            f"# Figures: `{name}`",
            "",
            f"`fleetsim compare {name}` on the scenario's seed ({seed}), fleetsim "
            f"{fleetsim.__version__}. Written by `make figures` (docs/make_figures.py): "
            "never edit.",
            "",
            fingerprint_line(name, fingerprints),
            "",
            "```",
            format_summaries(summaries),
            "```",
            "",
        ]
    )


def draw_images() -> None:
    """Redraw ``docs/img/``: az-outage's comparison timeline and its stateful fleet animation."""
    from fleetsim.cli import main as cli

    images = ROOT / "docs" / "img"
    with tempfile.TemporaryDirectory() as tmp:
        cli(["compare", "az-outage", "--quiet", "--plots", tmp])
        shutil.copy(Path(tmp) / "compare-timeline.png", images / "az-outage-compare.png")
    cli(
        [
            "animate",
            "az-outage",
            "--variant",
            "stateful",
            "--out",
            str(images / "az-outage-fleet.gif"),
        ]
    )
    print("wrote docs/img/az-outage-compare.png and docs/img/az-outage-fleet.gif")


def main(argv: list[str]) -> int:
    """Write ``docs/figures/<name>.md`` for the named (default: every) packaged scenario."""
    from fleetsim.config.loader import packaged_scenarios

    names = argv or packaged_scenarios()
    fingerprints = json.loads(FINGERPRINTS.read_text())
    FIGURES.mkdir(exist_ok=True)
    for name in names:
        path = FIGURES / f"{name}.md"
        path.write_text(figures_text(name, fingerprints))
        print(f"wrote {path.relative_to(ROOT)}")
    if not argv:
        draw_images()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
