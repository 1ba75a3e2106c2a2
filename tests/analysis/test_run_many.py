"""run_many, group_intervals and the text tables: the shared pieces of the analysis layer."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd
import pytest

from fleetsim.analysis.replicate import RunTask, run_many, run_task
from fleetsim.analysis.stats import group_intervals, t_interval
from fleetsim.analysis.tables import format_summaries, render_table
from tests.conftest import make_scenario


class ReversedExecutor:
    """Finishes the tasks last to first: results must still come back in task order."""

    name = "reversed"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        for i in reversed(range(len(tasks))):
            yield i, fn(tasks[i])

    def close(self) -> None:
        pass


def test_run_many_returns_task_order_whatever_the_finishing_order():
    data = make_scenario(duration=60).model_dump(mode="json")
    tasks = [RunTask(data, seed) for seed in (1, 2, 3)]
    seen: list[int] = []
    summaries = run_many(tasks, ReversedExecutor(), lambda i, _s: seen.append(i))
    assert seen == [2, 1, 0]
    assert summaries == [run_task(t) for t in tasks]
    assert [s["seed"] for s in summaries] == [1, 2, 3]


def test_group_intervals_one_row_per_group_and_metric_in_first_seen_order():
    frame = pd.DataFrame(
        {
            "design": ["b", "b", "b", "a", "a", "a"],
            "x": [1.0, 2.0, 4.0, 3.0, 3.0, 6.0],
            "y": [1.0, math.nan, 2.0, 5.0, 6.0, 7.0],
        }
    )
    table = group_intervals(frame, ["design"], ["x", "y"], sort=False)
    assert list(zip(table.design, table.metric, strict=True)) == [
        ("b", "x"),
        ("b", "y"),
        ("a", "x"),
        ("a", "y"),
    ]
    ci = t_interval([1.0, 2.0, 4.0])
    assert table.loc[0, ["mean", "half_width", "ci_low"]].tolist() == [
        ci.mean,
        ci.half_width,
        ci.low,
    ]
    # A NaN in one replication leaves the group's statistics undefined, not over the lucky runs.
    assert table.loc[1, "n"] == 3 and table.loc[1, ["mean", "ci_high"]].isna().all()
    assert table.loc[3, "mean"] == pytest.approx(6.0)


def test_render_table_aligns_labels_left_and_values_right_under_a_rule():
    text = render_table([["", "one", "two"], ["alpha", "1", "22"], ["b", "333", "4"]])
    assert text.splitlines() == [
        "       one  two",
        "---------------",
        "alpha    1   22",
        "b      333    4",
    ]


def test_format_summaries_breaks_failures_down_by_cause_under_their_total():
    summaries = {
        "x": {"requests_failed": 3, "failed_by_cause": {"502 target_reset": 3}, "ok": True},
        "y": {"requests_failed": 0, "failed_by_cause": {}, "ok": False},
    }
    lines = format_summaries(summaries).splitlines()
    assert lines[2].split() == ["requests_failed", "3", "0"]
    assert lines[3].split() == ["failed:", "502", "target_reset", "3", "0"]
    assert lines[4].split() == ["ok", "yes", "NO"]
