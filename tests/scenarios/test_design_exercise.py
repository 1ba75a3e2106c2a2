"""The design exercise: one instance, no ALB, state on its disk vs the well-architected tier."""

from __future__ import annotations

import json

import pytest

import fleetsim
from fleetsim.analysis.compare import run_variants
from fleetsim.cli import main
from fleetsim.config import packaged_scenarios

FILES = ["design-exercise-before", "design-exercise-after"]


@pytest.fixture(scope="module")
def summaries():
    # The real files, full length (about 2 s of CPU each): the spike at 40 min is the point.
    results = run_variants(FILES)
    return {name: r.summary() for name, r in results.items()}


def test_both_files_are_packaged_with_a_question():
    found = packaged_scenarios()
    for name in FILES:
        assert found[name].endswith("?")


def test_after_fails_under_a_tenth_of_before_and_loses_no_upload(summaries):
    before, after = summaries["design-exercise-before"], summaries["design-exercise-after"]
    assert before["invariants_ok"] and after["invariants_ok"]
    assert after["requests_failed"] < 0.1 * before["requests_failed"]
    assert after["uploads_lost"] == 0
    # The single instance's disk goes with it when the group of one replaces it.
    assert before["uploads_lost"] > 0
    # Before: unreachable while its AZ is out, overloaded while the spike pegs its CPU.
    assert before["failed_by_cause"]["000 instance_down"] > 0
    assert before["failed_by_cause"]["503 target_overloaded"] > 0
    assert "000 alb_node_down" not in before["failed_by_cause"]
    # The redundancy is not free.
    assert after["cost_usd"] > before["cost_usd"]


def test_compare_takes_several_files_one_column_each(summaries):
    table = fleetsim.compare(FILES, overrides=["duration=5m"])
    assert list(table.columns) == FILES
    # Same seed and the same traffic block: the first five minutes (no fault, no spike, both
    # fleets far from saturation) bring the very same users.
    assert table.loc["sessions_total", FILES[0]] == table.loc["sessions_total", FILES[1]]


def test_cli_compare_with_two_files(capsys):
    assert main(["compare", *FILES, "--set", "duration=5m", "--format", "json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == FILES


def test_cli_compare_refuses_variants_with_several_files(capsys):
    assert main(["compare", *FILES, "--variants", "x", "--quiet"]) == 2
    assert "each file is one design" in capsys.readouterr().err
