"""Every fault kind is drawn: a band for one with a duration, a line for an instantaneous one."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from fleetsim.analysis import plots
from tests.faults.helpers import run

FAULTS = [
    {"kind": "az_outage", "az": "a", "at": 30, "duration": 60},
    {"kind": "az_degraded", "az": "b", "at": 60, "duration": 120},
    {"kind": "instance_crash", "at": 150, "mode": "app"},
    {"kind": "redis_node_failure", "at": 200, "node": "replica-1"},
    {"kind": "spot_interruptions", "at": 250, "count": 1},
    {"kind": "bootstrap_outage", "at": 300, "duration": 60},
    {"kind": "deploy", "at": 400, "strategy": "rolling", "instance_warmup": 0},
]


@pytest.fixture(scope="module")
def result():
    return run(
        {
            "duration": 900,
            "design": "stateless",
            "instance": {"type": "m5.xlarge", "spot": {}},
            "faults": FAULTS,
        }
    )


def test_every_fault_writes_start_and_end_rows(result):
    ev = result.events
    faults = ev[ev.scope == "fault"]
    for fault in FAULTS:
        kind = fault["kind"]
        starts = faults[faults.kind == f"fault.{kind}.start"]
        ends = faults[faults.kind == f"fault.{kind}.end"]
        assert list(starts.time) == [fault["at"]], kind
        assert len(ends) == 1 and ends.time.iloc[0] >= fault["at"], kind
        if "duration" in fault:
            assert ends.time.iloc[0] == fault["at"] + fault["duration"], kind
    degraded = faults[faults.kind == "fault.az_degraded.start"]
    assert degraded.az.iloc[0] == "us-east-1b"
    assert degraded.detail.iloc[0] == "duration=120 added_latency=0.2 loss_fraction=0.05"


def test_shade_faults_draws_bands_and_lines(result):
    fig, ax = plt.subplots()
    plots.shade_faults(ax, result)
    bands = sorted(
        (round(p.get_x() * 60), round((p.get_x() + p.get_width()) * 60))
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_gid() == "fault"
    )
    deploy_end = float(result.events.query("kind == 'fault.deploy.end'").time.iloc[0])
    # The rolling deploy is drawn twice: the fault and the instance refresh it starts.
    end = round(deploy_end)
    assert bands == [(30, 90), (60, 180), (300, 360), (400, end), (400, end)]
    lines = sorted(
        round(line.get_xdata()[0] * 60)
        for line in ax.lines
        if isinstance(line, Line2D) and line.get_gid() == "fault"
    )
    assert lines == [150, 200, 250]  # crash, Redis node, Spot burst
    labels = {t.get_text().strip() for t in ax.texts}
    assert {
        "az_outage us-east-1a",
        "az_degraded us-east-1b",
        "instance_crash",
        "redis_node_failure us-east-1b",
        "spot_interruptions",
        "bootstrap_outage",
        "deploy",
    } <= labels
    plt.close(fig)
