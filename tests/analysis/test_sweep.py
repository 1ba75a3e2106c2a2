"""Sweeps: factorial grids, explicit points, one row per (point, replication), resumable output."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from fleetsim.analysis.executors import SerialExecutor
from fleetsim.analysis.stats import replication_seeds
from fleetsim.analysis.sweep import load_points, parse_grid, plan_sweep, point_means, sweep
from fleetsim.config import ConfigError
from tests.conftest import BASE, merge

SMALL = merge(BASE, {"duration": 120, "seed": 11})
GRID = {"asg.desired_capacity": [3, 4], "instance.ami": ["baked", "bootstrapped"]}


class CountingExecutor(SerialExecutor):
    """Serial, but counts runs and can fail after a given number (an injected crash)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.runs = 0
        self.fail_after = fail_after

    def imap_unordered(self, fn, tasks):
        for i, task in enumerate(tasks):
            if self.fail_after is not None and self.runs == self.fail_after:
                raise RuntimeError("injected crash")
            self.runs += 1
            yield i, fn(task)


def test_parse_grid_reads_yaml_values():
    grid = parse_grid(
        [
            "asg.max_size=10,20,40",
            "instance.ami=baked,bootstrapped",
            "d={dist: uniform, low: 1, high: 2},3",
        ]
    )
    assert grid["asg.max_size"] == [10, 20, 40]
    assert grid["instance.ami"] == ["baked", "bootstrapped"]
    assert grid["d"] == [{"dist": "uniform", "low": 1, "high": 2}, 3]
    with pytest.raises(ConfigError, match=r"key\.path=v1,v2"):
        parse_grid(["asg.max_size"])


def test_full_factorial_then_explicit_points_in_order():
    plan = plan_sweep(SMALL, GRID, points=[{"asg.desired_capacity": 5}], replications=2)
    assert plan.points == [
        {"asg.desired_capacity": 3, "instance.ami": "baked"},
        {"asg.desired_capacity": 3, "instance.ami": "bootstrapped"},
        {"asg.desired_capacity": 4, "instance.ami": "baked"},
        {"asg.desired_capacity": 4, "instance.ami": "bootstrapped"},
        {"asg.desired_capacity": 5},
    ]
    assert plan.scenarios[4]["asg"]["desired_capacity"] == 5
    assert plan.seeds == replication_seeds(11, 2)


def test_an_invalid_point_is_refused_before_anything_runs_naming_the_field():
    with pytest.raises(ConfigError, match=r"asg\.desired_capacity"):
        plan_sweep(SMALL, {"asg.desired_capacity": [3, -1]})
    with pytest.raises(ConfigError, match=r"asg\.max"):
        plan_sweep(SMALL, ["asg.max=3,4"])


def test_rows_columns_and_common_random_numbers():
    table = sweep(SMALL, GRID, replications=2)
    assert len(table) == 4 * 2
    assert list(table.columns[:5]) == [
        "point",
        "replication",
        "seed",
        "asg.desired_capacity",
        "instance.ami",
    ]
    for metric in ("requests_total", "sessions_lost", "latency_p99_s", "cost_usd"):
        assert pd.api.types.is_numeric_dtype(table[metric])
    assert table.seed.tolist() == replication_seeds(11, 2) * 4
    # Each point's replication r runs seed r: the instance's AMI does not change the first
    # instances (already in service), so the users and their requests are identical.
    baked = table[table["instance.ami"] == "baked"].requests_total.tolist()
    boot = table[table["instance.ami"] == "bootstrapped"].requests_total.tolist()
    assert baked == boot
    assert table.invariants_ok.all()
    means = point_means(table, ["cost_usd"])
    assert means["asg.desired_capacity"].tolist() == [3, 3, 4, 4]
    assert means.cost_usd[2] == pytest.approx(means.cost_usd[0] * 4 / 3)


def test_explicit_points_file(tmp_path):
    path = tmp_path / "points.yaml"
    path.write_text(yaml.safe_dump([{"asg.desired_capacity": 4}, {"duration": 60}]))
    points = load_points(path)
    table = sweep(SMALL, points=points)
    assert table.duration_s.tolist() == [120.0, 60.0]
    assert table["asg.desired_capacity"].iloc[0] == 4 and pd.isna(table["duration"].iloc[0])


def test_interrupted_sweep_resumes_without_redoing_finished_points(tmp_path):
    out = tmp_path / "results.parquet"
    crashing = CountingExecutor(fail_after=5)  # 2 replications: points 0, 1 done, 2 half done
    with pytest.raises(RuntimeError, match="injected crash"):
        sweep(SMALL, GRID, replications=2, out=out, executor=crashing)
    parts = sorted((tmp_path / "results.parquet.parts").glob("point-*.parquet"))
    assert len(parts) == 2 and not out.exists()
    stamps = {p: p.stat().st_mtime_ns for p in parts}

    with pytest.raises(ConfigError, match="--resume"):
        sweep(SMALL, GRID, replications=2, out=out)
    resumed = CountingExecutor()
    table = sweep(SMALL, GRID, replications=2, out=out, resume=True, executor=resumed)
    assert resumed.runs == 2 * 2  # only the two unfinished points, both replications
    assert {p: p.stat().st_mtime_ns for p in parts} == stamps  # finished parts untouched
    fresh = sweep(SMALL, GRID, replications=2)
    pd.testing.assert_frame_equal(table, fresh, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out), fresh, check_exact=True)

    # An extended grid reuses every finished point.
    again = CountingExecutor()
    bigger = {**GRID, "asg.desired_capacity": [3, 4, 5]}
    sweep(SMALL, bigger, replications=2, out=out, resume=True, executor=again)
    assert again.runs == 2 * 2


def test_resume_refuses_a_different_sweep(tmp_path):
    out = tmp_path / "r.parquet"
    sweep(SMALL, GRID, replications=1, out=out)
    with pytest.raises(ConfigError, match="different"):
        sweep(SMALL, GRID, replications=2, out=out, resume=True)


def test_killed_cli_sweep_resumes_and_runs_only_what_was_missing(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(merge(SMALL, {"duration": 300})))
    out = tmp_path / "r.parquet"
    args = [
        sys.executable,
        "-m",
        "fleetsim",
        "sweep",
        str(scenario),
        "--grid",
        "asg.desired_capacity=3,4,5,6",
        "--grid",
        "app.workers=4,8",
        "--replications",
        "2",
        "--executor",
        "serial",
        "--out",
        str(out),
    ]
    parts = tmp_path / "r.parquet.parts"
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(parts.glob("point-*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(parts.glob("point-*.parquet")))
    assert 2 <= finished < 8, "the sweep finished before it could be killed"
    done = subprocess.run(
        [*args, "--resume", "--quiet"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert f"ran {(8 - finished) * 2} runs, {finished} points were already done" in done.stderr
    table = pd.read_parquet(out)
    assert len(table) == 16 and table.groupby("point").size().eq(2).all()
    fresh = sweep(
        merge(SMALL, {"duration": 300}),
        ["asg.desired_capacity=3,4,5,6", "app.workers=4,8"],
        replications=2,
    )
    cols = [c for c in fresh.columns if c != "scenario"]
    pd.testing.assert_frame_equal(table[cols], fresh[cols], check_exact=True)


def test_cli_sweep_prints_point_means(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(SMALL))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetsim",
            "sweep",
            str(scenario),
            "--grid",
            "asg.desired_capacity=3,4",
            "--replications",
            "2",
            "--executor",
            "serial",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_json(io.StringIO(proc.stdout))
    assert rows["asg.desired_capacity"].tolist() == [3, 4]
    assert {"sessions_lost", "sessions_lost_hw", "cost_usd"} <= set(rows.columns)
