"""The installed ``fleetsim`` command, run as a user would."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FLEETSIM = shutil.which("fleetsim") or str(Path(sys.executable).parent / "fleetsim")

SUMMARY_KEYS = {
    "requests_total",
    "requests_ok",
    "requests_failed",
    "failed_by_cause",
    "sessions_total",
    "sessions_lost",
    "lost_by_cause",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "instance_hours",
    "invariants_ok",
}


def run(*args, check=True):
    proc = subprocess.run([FLEETSIM, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_run_json_has_the_documented_keys(tmp_path):
    proc = run(
        "run",
        "az-outage",
        "--variant",
        "stateless",
        "--set",
        "duration=5m",
        "--format",
        "json",
        "--out",
        str(tmp_path / "o"),
    )
    summary = json.loads(proc.stdout)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["invariants_ok"] is True
    assert (tmp_path / "o" / "timeline.parquet").exists()
    scenario = json.loads((tmp_path / "o" / "scenario.json").read_text())
    assert scenario["alb"]["deregistration_delay"] == 300  # resolved defaults travel along


def test_compare_prints_both_variants(tmp_path):
    proc = run("compare", "az-outage", "--set", "duration=5m", "--plots", str(tmp_path))
    assert "stateful" in proc.stdout and "stateless" in proc.stdout
    assert (tmp_path / "compare-timeline.png").stat().st_size > 10_000


def test_python_dash_m_works():
    proc = subprocess.run(
        [sys.executable, "-m", "fleetsim", "scenarios"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "az-outage" in proc.stdout


def test_schema_is_json():
    schema = json.loads(run("schema").stdout)
    assert "asg" in schema["properties"]


BAD = {
    "unknown key": ({"asg": {"max": 3}}, "asg.max"),
    "negative capacity": ({"asg": {"desired_capacity": -1}}, "asg.desired_capacity"),
    "min above max": ({"asg": {"min_size": 4, "max_size": 2, "desired_capacity": 3}}, "min_size"),
    "unknown AZ": (
        {"faults": [{"kind": "az_outage", "az": "us-east-1z", "at": 1, "duration": 5}]},
        "faults.0.az",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_validate_rejects_bad_files_without_traceback(tmp_path, case):
    extra, field = BAD[case]
    data = {"duration": 60, "asg": {"min_size": 1, "max_size": 3, "desired_capacity": 2}}
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    proc = run("validate", str(path), check=False)
    assert proc.returncode == 2
    assert field in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0  # one paragraph


def test_validate_accepts_the_packaged_scenario():
    assert "valid" in run("validate", "scenarios/az-outage.yaml").stdout


def test_missing_file_is_a_clear_error():
    proc = run("run", "nowhere.yaml", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "nowhere.yaml" in proc.stderr


def test_traces_inspect_packaged_trace():
    out = run("traces", "inspect", "nasa-1995-07-13").stdout
    assert "134,203 requests" in out and "20.000 req/s" in out and "13:32:58" in out


def test_traces_inspect_bad_file_names_line_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    rows = [f"2020-01-01T00:00:0{i}Z,{n}" for i, n in enumerate([5, -3, 4, 2, 7])]
    bad.write_text("timestamp,requests\n" + "\n".join(rows) + "\n")
    proc = run("traces", "inspect", str(bad), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "line 3" in proc.stderr and "'requests'" in proc.stderr
    skipped = run("traces", "inspect", str(bad), "--on-error", "skip").stdout
    assert "Skipped lines  1" in skipped


def test_nasa_launch_day_runs_from_the_cli():
    proc = run(
        "run",
        "nasa-launch-day",
        "--variant",
        "sized-for-peak",
        "--set",
        "duration=10m",
        "--format",
        "json",
    )
    summary = json.loads(proc.stdout)
    assert summary["requests_total"] > 10_000 and summary["invariants_ok"]


def test_a_scenario_warning_is_one_line_without_source():
    proc = run("run", "az-outage", "--variant", "stateful", "--set", "duration=60")
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [
        "fleetsim: warning: faults.0.at = 1200 s is at or after the end of the run (60 s): "
        "the az_outage fault never happens"
    ]
