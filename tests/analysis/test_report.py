"""The HTML report: content and self-containment (the browser test is test_report_browser)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from functools import cache

import pandas as pd
import yaml

from fleetsim.analysis.report import build_report, replication_frame
from tests.analysis.test_plots import SOURCE, outage_runs


@cache
def report_html() -> str:
    return build_report(outage_runs())


def test_report_holds_summary_config_figures_and_events() -> None:
    html = report_html()
    runs = outage_runs()
    lost = runs["stateful"].summary()["sessions_lost"]
    # The summary row of lost sessions carries both variants' figures.
    row = re.search(r"<tr><td>sessions_lost</td>(.*?)</tr>", html)
    assert row is not None
    assert re.findall(r"<td>([\d,]+)</td>", row.group(1)) == [f"{lost:,}", "0"]
    assert "instance_terminated" in html  # the lost-by-cause sub-row
    # The resolved config, with defaults filled in (deregistration delay 300 s).
    assert "&quot;deregistration_delay&quot;: 300.0" in html
    # The events list of each run holds the outage and the health changes.
    for kind in ("fault.az_outage.start", "target.unhealthy", "alb.dns_removed"):
        assert kind in html
    # Figures: comparison, timeline, 4 kinds × 2 variants — every one an embedded PNG.
    sources = re.findall(r"<img[^>]*src='([^']*)'", html)
    assert len(sources) == 1 + 1 + 4 * 2
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_fetches_nothing_and_runs_no_script() -> None:
    html = report_html()
    assert "<script" not in html
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html)
    assert "@import" not in html and "url(" not in html


def test_report_with_replications_shows_confidence_intervals() -> None:
    reps = pd.DataFrame(
        {
            "variant": ["stateful"] * 3 + ["stateless"] * 3,
            "sessions_lost": [10.0, 20.0, 30.0, 0.0, 0.0, 0.0],
            "requests_failed": [5.0, 6.0, 7.0, 5.0, 6.0, 7.0],
            "latency_p99_s": [0.4] * 6,
            "cost_usd": [1.0] * 6,
        }
    )
    html = build_report(outage_runs(), reps)
    assert "over 3 replications" in html
    section = html.split("<h2>Comparison</h2>")[1].split("<h2>")[0]
    cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", section, re.S)]
    # Columns: variant, metric, n, mean, half_width, ci_low, ci_high.
    k = next(
        i for i in range(0, len(cells), 7) if cells[i : i + 2] == ["stateful", "sessions_lost"]
    )
    # t(0.975, 2) = 4.303; sd = 10; half width = 4.303 * 10 / sqrt(3) = 24.84
    assert cells[k + 2 : k + 5] == ["3", "20", "24.84"]


def test_replication_frame_runs_every_variant_on_shared_seeds() -> None:
    source = {**SOURCE, "duration": 120}
    frame = replication_frame(source, seed=7, replications=2)
    assert list(frame.variant) == ["stateful", "stateless", "stateful", "stateless"]
    assert frame.groupby("replication").seed.nunique().tolist() == [1, 1]
    assert frame.seed.nunique() == 2
    assert (frame.requests_total > 0).all()


def test_cli_report_writes_one_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scenario = tmp_path / "viz.yaml"
    scenario.write_text(yaml.safe_dump({**SOURCE, "duration": 180}))
    out = tmp_path / "report.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetsim",
            "report",
            str(scenario),
            "--replications",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "over 2 replications" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "viz.yaml"]
