"""The HTML report: content and self-containment (the browser test is test_report_browser)."""

from __future__ import annotations

import base64
import html as htmllib
import math
import re
import subprocess
import sys
from functools import cache
from typing import Any

import pandas as pd
import pytest
import yaml

from fleetsim.analysis.compare import replicate_variants
from fleetsim.analysis.report import (
    DEFAULT_REPLICATIONS,
    build_report,
    replication_frame,
    run_report,
    story_lines,
)
from fleetsim.cli import main
from fleetsim.cli.parser import REPORT_REPLICATIONS
from tests.analysis.test_plots import SOURCE, outage_runs


@cache
def report_html() -> str:
    return build_report(outage_runs())


def section(html: str, title: str) -> str:
    """The HTML between the ``<h2>`` starting with ``title`` and the next ``<h2>``."""
    return html.split(f"<h2>{title}")[1].split("<h2>")[0]


def interval_cells(html: str, metric: str) -> list[dict[str, Any]]:
    """A metric's row of an interval table: per cell its text and its data-* numbers."""
    row = re.search(rf"<tr(?: class='sub')?><td>{re.escape(metric)}</td>(.*?)</tr>", html)
    assert row is not None, metric
    cells = []
    for attrs, text in re.findall(r"<td([^>]*)>(.*?)</td>", row.group(1)):
        numbers = {k: float(v) for k, v in re.findall(r"data-(\w+)='([^']*)'", attrs)}
        cells.append({"text": htmllib.unescape(text), **numbers})
    return cells


def test_report_holds_summary_config_figures_and_events() -> None:
    html = report_html()
    runs = outage_runs()
    lost = runs["stateful"].summary()["sessions_lost"]
    # The detailed summary row of lost sessions carries both variants' figures.
    row = re.search(r"<tr><td>sessions_lost</td>(.*?)</tr>", section(html, "The run told above"))
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


def test_report_with_replications_shows_intervals_and_paired_differences() -> None:
    reps = pd.DataFrame(
        {
            "variant": ["stateful"] * 3 + ["stateless"] * 3,
            "replication": [0, 1, 2] * 2,
            "sessions_lost": [10.0, 20.0, 30.0, 0.0, 0.0, 0.0],
            "requests_failed": [5.0, 6.0, 7.0, 5.0, 6.0, 7.0],
            "latency_p99_s": [0.4] * 6,
            "cost_usd": [1.0] * 6,
        }
    )
    html = build_report(outage_runs(), reps)
    assert "over 3 replications" in html
    users = section(html, "Users and requests")
    lost = interval_cells(users, "sessions_lost")
    # t(0.975, 2) = 4.303; sd = 10; half width = 4.303 * 10 / sqrt(3) = 24.84
    assert lost[0]["text"] == "20 [-4.841, 44.84]"
    assert lost[0]["high"] - lost[0]["mean"] == pytest.approx(24.84, abs=0.01)
    # The paired difference stateful − stateless is 10, 20, 30: the same interval.
    assert lost[2]["text"] == "20 [-4.841, 44.84] n.s."
    # Same failures in every replication: a difference of exactly 0 in each.
    assert interval_cells(users, "requests_failed")[2]["text"] == "0 [0, 0] n.s."
    assert "stateful − stateless" in users


def test_report_numbers_are_those_of_a_replicate_run_on_the_same_seeds() -> None:
    source = {**SOURCE, "duration": 240}
    results, frame = run_report(source, seed=11, replications=3)
    assert frame is not None
    html = build_report(results, frame)
    check = replicate_variants(source, seed=11, replications=3).summary()
    headline = section(html, "Headline figures")
    for metric in ("requests_total", "requests_failed", "sessions_lost", "latency_p99_s"):
        cells = interval_cells(headline, metric)
        blocks = [check["stateful"][metric], check["stateless"][metric]]
        blocks.append(check["diff"]["stateful - stateless"][metric])
        for cell, block in zip(cells, blocks, strict=True):
            for key, stat in (("mean", "mean"), ("low", "ci_low"), ("high", "ci_high")):
                want = block[stat]
                assert cell.get(key, math.nan) == pytest.approx(want, rel=1e-12), (metric, key)
    # The story is that of the detailed runs, on the master seed itself.
    assert {r.seed for r in results.values()} == {11}
    story = section(html, "What happened")
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", story))
    for name, result in results.items():
        told = [line.sentence for line in story_lines(result)]
        assert any("goes down" in s for s in told), name
        for sentence in told:
            assert sentence in text


def test_the_top_table_sets_users_and_requests_side_by_side_with_its_reason() -> None:
    html = report_html()
    users = section(html, "Users and requests")
    assert "Per user and per request can disagree" in users
    runs = outage_runs()
    for metric in ("sessions_lost", "requests_failed"):
        cells = interval_cells(users, metric)
        values = [runs[n].summary()[metric] for n in ("stateful", "stateless")]
        assert [c["mean"] for c in cells] == [*values, values[0] - values[1]]
    # The per-user keys are shown exactly when the summaries carry them.
    for key in ("users_affected", "users_turned_away", "actions_failed", "actions_abandoned"):
        carried = key in runs["stateful"].summary()
        assert (f"<td>{key}</td>" in users) == carried


def test_replication_frame_runs_every_variant_on_shared_seeds() -> None:
    source = {**SOURCE, "duration": 120}
    frame = replication_frame(source, seed=7, replications=2)
    assert list(frame.variant) == ["stateful", "stateful", "stateless", "stateless"]
    assert frame.groupby("replication").seed.nunique().tolist() == [1, 1]
    assert frame.seed.nunique() == 2
    assert (frame.requests_total > 0).all()


def test_report_replicates_by_default(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    asked: dict[str, Any] = {}

    def fake_run_report(*args: Any, **kwargs: Any) -> Any:
        asked.update(kwargs)
        return outage_runs(), None

    monkeypatch.setattr("fleetsim.analysis.report.run_report", fake_run_report)
    monkeypatch.setattr("fleetsim.analysis.report.write_report", lambda *a: a[1])
    assert main(["report", "az-outage", "--out", "x.html", "--executor", "serial"]) == 0
    assert asked["replications"] == DEFAULT_REPLICATIONS
    # The parser cannot import the analysis (quick commands stay quick): same number twice.
    assert REPORT_REPLICATIONS == DEFAULT_REPLICATIONS
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert f"(default {DEFAULT_REPLICATIONS})" in " ".join(capsys.readouterr().out.split())


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
            "--executor",
            "serial",
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


def test_user_and_action_keys_are_shown_first_with_their_splits_indented() -> None:
    keys = {
        "users_affected": [30.0, 20.0],
        "users_left_early": [5.0, 3.0],
        "users_left_early_failures": [4.0, 3.0],
        "users_left_early_lost_session": [1.0, 0.0],
        "actions_failed": [7.0, 6.0],
        "requests_failed": [50.0, 60.0],
    }
    reps = pd.DataFrame({"variant": ["stateful", "stateless"], "replication": [0, 0], **keys})
    html = build_report(outage_runs(), reps)
    users = section(html, "Users and requests")
    assert [c["mean"] for c in interval_cells(users, "users_affected")] == [30, 20, 10]
    assert "users_left_early" not in users  # not one of the side-by-side figures
    headline = section(html, "Headline figures")
    rows = re.findall(r"<tr(?: class='(sub)')?><td>(\w+)</td>", headline)
    assert rows[:5] == [
        ("", "users_affected"),
        ("", "users_left_early"),
        ("sub", "users_left_early_failures"),
        ("sub", "users_left_early_lost_session"),
        ("", "actions_failed"),
    ]
    assert rows[5] == ("", "requests_failed")
