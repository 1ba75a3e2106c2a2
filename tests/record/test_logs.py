"""The recorder's compact logs give back exactly what went in, across packed chunks."""

import pickle
import random

import numpy as np
import pytest

from fleetsim.record.logs import LevelLog, SessionLog


def _session_rows(n: int, seed: int = 3) -> list[tuple]:
    rng = random.Random(seed)
    rows = []
    for sid in range(n):
        start = rng.uniform(0, 86_400)
        outcome = rng.choice(["completed", "lost", "abandoned", "active"])
        cause = rng.choice(["instance_terminated", "store_failover"]) if outcome == "lost" else None
        home = rng.choice(["us-east-1a", "us-east-1b", None])
        end = start + rng.expovariate(0.02)
        rows.append(
            (sid, rng.randrange(2**31), start, end, outcome, cause, rng.randrange(500), home)
        )
    return rows


@pytest.mark.parametrize("n", [0, 1, 6, 7, 20])
def test_session_log_round_trips_across_chunks(n):
    rows = _session_rows(n)
    log = SessionLog(chunk_rows=3)
    for row in rows:
        log.append(row)
    assert len(log) == n
    assert list(log) == rows
    assert log.column("ids").tolist() == [r[0] for r in rows]
    assert log.column("starts").tolist() == [r[2] for r in rows]  # bit-exact doubles
    assert log.column("users", np.int64).dtype == np.int64
    assert log.column("ends").dtype == np.float64
    labels = log.labels()
    assert [labels[c] for c in log.column("causes")] == [r[5] for r in rows]
    assert list(pickle.loads(pickle.dumps(log))) == rows


def test_level_log_round_trips_across_chunks():
    rows = [(t, t % 7, -t, 2**31 - 1) for t in range(11)]
    log = LevelLog(chunk_rows=4)
    for row in rows:
        log.append(row)
    assert len(log) == 11
    assert list(log) == rows
    grid = log.as_array()
    assert grid.dtype == np.int64
    assert grid.tolist() == [list(r) for r in rows]
    assert list(pickle.loads(pickle.dumps(log))) == rows


def test_level_log_falls_back_to_tuples_after_packing():
    log = LevelLog(chunk_rows=2)
    rows: list[tuple] = [(t, t) for t in range(5)]
    for row in rows:
        log.append(row)
    log.append((5, 0.5))  # not an integer: every row becomes a tuple
    rows.append((5, 0.5))
    assert log.as_array() is None
    assert len(log) == 6
    assert list(log) == rows
