"""Executors: the same table whoever computes it, and a dead worker costs only its task."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from fleetsim.analysis.executors import ProcessExecutor, SerialExecutor, WorkerLost
from fleetsim.analysis.sweep import sweep
from tests.conftest import BASE, merge

# An AZ outage fails requests in flight at once: their order must not depend on the process
# (it once followed memory addresses, and runs on worker processes differed from serial ones).
SMALL = merge(
    BASE,
    {
        "duration": 120,
        "seed": 3,
        "traffic": {"shape": {"kind": "constant", "rate": 60}},
        "app": {"cpu_time": {"dist": "exponential", "mean": 0.2}},
        "faults": [{"kind": "az_outage", "az": "b", "at": 40, "duration": 40}],
    },
)
GRID = ["asg.desired_capacity=3,4", "app.workers=4,8"]


def square_or_die_once(task: tuple[int, str]) -> int:
    """Top-level (spawn-safe): the task named ``marker`` kills its worker the first time."""
    value, marker = task
    if marker and not Path(marker).exists():
        Path(marker).write_text("died once")
        os._exit(3)
    return value * value


def always_die(task: int) -> int:
    os._exit(4)


@pytest.fixture(scope="module")
def serial_table() -> pd.DataFrame:
    return sweep(SMALL, GRID, replications=2, executor=SerialExecutor())


def test_process_pool_is_bit_identical_to_serial(serial_table):
    assert serial_table.failed_504_target_timeout.sum() > 10  # the outage did fail requests
    with ProcessExecutor(2) as ex:
        table = sweep(SMALL, GRID, replications=2, executor=ex)
    pd.testing.assert_frame_equal(table, serial_table, check_exact=True)


def test_dask_local_cluster_is_bit_identical_to_serial(serial_table, tmp_path):
    pytest.importorskip("distributed", reason="dask[distributed] not installed")
    from fleetsim.analysis.executors import DaskExecutor

    try:
        ex = DaskExecutor(local_workers=2)
    except Exception as exc:  # pragma: no cover - depends on the host
        pytest.skip(f"a Dask LocalCluster could not start here: {exc!r}")
    with ex:
        pids = set(ex.client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids  # separate worker processes
        table = sweep(SMALL, GRID, replications=2, executor=ex)
        # A worker that dies mid-task: the scheduler reruns that task elsewhere, the rest stand.
        marker = str(tmp_path / "died")
        tasks = [(i, marker if i == 2 else "") for i in range(6)]
        results = dict(ex.imap_unordered(square_or_die_once, tasks))
    pd.testing.assert_frame_equal(table, serial_table, check_exact=True)
    assert results == {i: i * i for i in range(6)}
    assert Path(marker).read_text() == "died once"


def test_a_dead_worker_loses_only_its_task_which_is_retried(tmp_path):
    marker = str(tmp_path / "died")
    tasks = [(i, marker if i == 3 else "") for i in range(8)]
    with ProcessExecutor(2) as ex:
        results = dict(ex.imap_unordered(square_or_die_once, tasks))
        assert ex.restarts == 1
    assert results == {i: i * i for i in range(8)}
    assert Path(marker).read_text() == "died once"


def test_a_task_that_always_kills_its_worker_is_given_up():
    with ProcessExecutor(1, max_attempts=2) as ex, pytest.raises(WorkerLost, match="2 times"):
        list(ex.imap_unordered(always_die, [1]))
