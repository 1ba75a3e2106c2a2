"""Every figure kind, drawn from a seeded run with an AZ outage, checked against the Result."""

from __future__ import annotations

import copy
from functools import cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from fleetsim.analysis import plots
from fleetsim.analysis.compare import run_variants
from fleetsim.analysis.stats import t_interval
from fleetsim.record.result import Result
from tests.conftest import BASE, merge

OUTAGE_AT, OUTAGE_FOR = 120.0, 240.0
SOURCE = merge(
    BASE,
    {
        "name": "viz",
        "faults": [{"kind": "az_outage", "az": "b", "at": OUTAGE_AT, "duration": OUTAGE_FOR}],
        "record": {"requests": True},
        "variants": {
            "stateful": {"state.sessions": "instance_memory", "alb.stickiness.enabled": True},
            "stateless": {"state.sessions": "ideal", "alb.stickiness.enabled": False},
        },
    },
)


@cache
def outage_runs() -> dict[str, Result]:
    """Both variants of a 10-minute run with AZ b down from minute 2 to minute 6 (seed 7)."""
    return run_variants(SOURCE, seed=7)


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    yield
    plt.close("all")


def lines(ax) -> dict[str, Line2D]:  # type: ignore[no-untyped-def]
    return {line.get_label(): line for line in ax.get_lines()}


def with_columns(result: Result, **columns: object) -> Result:
    """A shallow copy of ``result`` whose timeline has extra columns (as later issues add)."""
    clone = copy.copy(result)
    tl = result.timeline.copy()
    for name, value in columns.items():
        tl[name] = value
    clone.__dict__["timeline"] = tl
    return clone


def fault_spans(ax) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    return [
        (p.get_x(), p.get_x() + p.get_width())
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_gid() == "fault"
    ]


def test_fault_span_sits_at_the_outage_in_every_per_run_figure() -> None:
    result = outage_runs()["stateful"]
    expected = (OUTAGE_AT / 60, (OUTAGE_AT + OUTAGE_FOR) / 60)  # minutes 2 to 6
    for kind, fig in plots.run_figures(result).items():
        for ax in fig.axes:
            if ax.get_ylabel().startswith("demand"):
                continue  # the twin axis of the scaling figure shares the shaded one
            assert fault_spans(ax) == [pytest.approx(expected)], kind
            labels = [t.get_text() for t in ax.texts]
            assert " az_outage us-east-1b" in labels, kind


def test_event_spans_pair_start_and_end_and_close_open_ones_at_the_end() -> None:
    result = outage_runs()["stateful"]
    assert plots.event_spans(result) == [
        plots.Span(OUTAGE_AT, OUTAGE_AT + OUTAGE_FOR, "az_outage us-east-1b")
    ]
    clone = copy.copy(result)
    events = result.events
    clone.__dict__["events"] = events[events.kind != "fault.az_outage.end"]
    assert plots.event_spans(clone)[0].end == 600.0


def test_outcomes_lines_equal_the_timeline_columns_per_second() -> None:
    result = outage_runs()["stateful"]
    tl = result.timeline
    fig = plots.outcomes_figure(result, bin_s=1)
    top, bottom = fig.axes
    np.testing.assert_array_equal(lines(top)["ok"].get_ydata(), tl["ok"])
    np.testing.assert_array_equal(lines(top)["ok"].get_xdata(), tl["time"] / 60)
    causes = {
        c: c.removeprefix("failed_").replace("_", " ", 1) for c in tl if c.startswith("failed_")
    }
    assert set(lines(bottom)) == set(causes.values())
    assert "000 alb_node_down" in causes.values()  # the outage did fail requests
    for column, cause in causes.items():
        np.testing.assert_array_equal(lines(bottom)[cause].get_ydata(), tl[column])
        assert lines(bottom)[cause].get_color() == plots.cause_colour(cause)


def test_outcomes_default_bins_are_per_second_means_over_10_s() -> None:
    result = outage_runs()["stateful"]
    fig = plots.outcomes_figure(result)
    ok = result.timeline["ok"].to_numpy().reshape(-1, 10).mean(axis=1)
    np.testing.assert_allclose(lines(fig.axes[0])["ok"].get_ydata(), ok)


def test_scaling_stacks_in_service_per_az_then_pending_and_draws_demand() -> None:
    result = outage_runs()["stateful"]
    tl = result.timeline
    fig = plots.scaling_figure(result)
    ax, twin = fig.axes
    drawn = lines(ax)
    stack = np.zeros(len(tl))
    for i, az in enumerate(result.scenario["azs"]):
        stack = stack + tl[f"in_service_{az}"].to_numpy()
        line = drawn[f"in service {az}"]
        np.testing.assert_array_equal(line.get_ydata(), stack)
        assert line.get_color() == plots.AZ_COLOURS[i]
    np.testing.assert_array_equal(drawn["+ pending"].get_ydata(), stack + tl["pending"])
    # AZ b is empty during the outage once its instances are replaced elsewhere.
    assert tl.loc[tl.time == 350, "in_service_us-east-1b"].item() == 0
    np.testing.assert_array_equal(drawn["desired"].get_ydata(), tl["desired"])
    demand = next(iter(lines(twin).values()))
    np.testing.assert_allclose(
        demand.get_ydata(), tl["arrivals"].to_numpy().reshape(-1, 10).mean(axis=1)
    )


def test_scaling_draws_desired_capacity_when_the_timeline_has_it() -> None:
    result = outage_runs()["stateful"]
    desired = np.where(result.timeline["time"] < 300, 3, 4)
    fig = plots.scaling_figure(with_columns(result, desired=desired))
    np.testing.assert_array_equal(lines(fig.axes[0])["desired"].get_ydata(), desired)


def test_sessions_bars_count_lost_sessions_per_minute_by_cause() -> None:
    result = outage_runs()["stateful"]
    lost = result.sessions[result.sessions.outcome == "lost"]
    assert len(lost) > 0
    fig = plots.sessions_figure(result)
    top, bottom = fig.axes
    np.testing.assert_array_equal(
        lines(top)["active sessions"].get_ydata(), result.timeline["sessions_active"]
    )
    for cause, group in lost.groupby("cause"):
        bars = [p for p in bottom.patches if p.get_gid() == f"lost:{cause}"]
        assert len(bars) == 10  # one per minute of the 10-minute run
        heights = [b.get_height() for b in bars]
        expected = np.histogram(group["end"], bins=np.arange(0, 660, 60))[0]
        np.testing.assert_array_equal(heights, expected)
        assert bars[0].get_facecolor()[:3] == pytest.approx(
            plt.matplotlib.colors.to_rgb(plots.lost_colour(str(cause)))
        )
    # Sessions are lost only from the outage on.
    assert lost["end"].min() >= OUTAGE_AT


def test_sessions_of_the_stateless_design_say_none_were_lost() -> None:
    fig = plots.sessions_figure(outage_runs()["stateless"])
    assert "no lost sessions" in [t.get_text() for t in fig.axes[1].texts]
    assert not [p for p in fig.axes[1].patches if str(p.get_gid()).startswith("lost:")]


def test_sessions_draw_lost_uploads_when_a_column_exists() -> None:
    result = outage_runs()["stateful"]
    uploads = (result.timeline["time"] % 100 == 0).astype(int)  # one every 100 s
    fig = plots.sessions_figure(with_columns(result, uploads_lost=uploads))
    line = lines(fig.axes[1])["uploads lost"]
    # Multiples of 100 s in each minute: 0 | 100 | - | 200 | - | 300 | 400 | - | 500 | -.
    np.testing.assert_array_equal(line.get_ydata(), [1, 1, 0, 1, 0, 1, 1, 0, 1, 0])


def test_latency_lines_equal_the_per_minute_quantiles() -> None:
    result = outage_runs()["stateful"]
    lat = result.latency
    assert list(lat["time"]) == list(range(0, 600, 60))
    fig = plots.latency_figure(result)
    drawn = lines(fig.axes[0])
    for column, label in (("p50_s", "p50"), ("p95_s", "p95"), ("p99_s", "p99")):
        np.testing.assert_array_equal(drawn[label].get_ydata(), lat[column])
    assert fig.axes[0].get_yscale() == "log"


def test_per_minute_latency_quantiles_match_exact_ones_within_the_bin_width() -> None:
    result = outage_runs()["stateful"]
    req = result.requests
    ok = req[req.outcome == "ok"]
    lat = result.latency
    for _, row in lat.iterrows():
        minute = ok[(ok.ended >= row.time) & (ok.ended < row.time + 60)]
        latency = minute.ended - minute.arrived
        assert row.ok == len(minute)
        for q, column in ((0.5, "p50_s"), (0.99, "p99_s")):
            exact = float(np.quantile(latency, q, method="inverted_cdf"))
            # 100 log bins per decade: a bin spans a factor 10**0.01, its midpoint is within
            # ±1.2 % of any value in it.
            assert row[column] == pytest.approx(exact, rel=0.012), (row.time, q)


def test_cpu_figure_only_when_columns_exist_and_draws_metric_against_target() -> None:
    result = outage_runs()["stateful"]
    assert plots.cpu_figure(result) is None
    assert "cpu" not in plots.run_figures(result)
    cpu = np.linspace(10, 80, len(result.timeline))
    clone = with_columns(result, cpu_utilization=cpu, cpu_utilization_target=50.0)
    fig = plots.cpu_figure(clone)
    assert fig is not None
    drawn = lines(fig.axes[0])
    np.testing.assert_array_equal(drawn["cpu_utilization"].get_ydata(), cpu)
    np.testing.assert_array_equal(drawn["cpu_utilization target"].get_ydata(), 50.0)
    assert "cpu" in plots.run_figures(clone)


def test_comparison_of_single_runs_shows_their_summaries_without_error_bars() -> None:
    runs = outage_runs()
    fig = plots.comparison_figure(runs)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    bars = by_title["lost sessions"].patches
    assert [b.get_height() for b in bars] == [
        runs["stateful"].summary()["sessions_lost"],
        runs["stateless"].summary()["sessions_lost"],
    ]
    containers = by_title["lost sessions"].containers
    assert all(isinstance(c, BarContainer) and c.errorbar is None for c in containers)


def test_comparison_error_bars_are_t_intervals_over_replications() -> None:
    reps = pd.DataFrame(
        {
            "variant": ["a"] * 4 + ["b"] * 4,
            "sessions_lost": [10, 12, 14, 16, 0, 1, 0, 1],
            "requests_failed": [100, 110, 90, 100, 50, 55, 45, 50],
        }
    )
    fig = plots.comparison_figure(reps, metrics=["sessions_lost", "requests_failed"])
    ax = fig.axes[0]
    container = next(c for c in ax.containers if isinstance(c, BarContainer))
    assert [b.get_height() for b in container] == [13.0, 0.5]
    segments = container.errorbar.lines[2][0].get_segments()
    for seg, values in zip(segments, ([10, 12, 14, 16], [0, 1, 0, 1]), strict=True):
        ci = t_interval(values)
        assert seg[0][1] == pytest.approx(ci.low)
        assert seg[1][1] == pytest.approx(ci.high)
    assert "4 replications" in fig.texts[0].get_text()


def test_sweep_draws_one_line_per_other_parameter_with_ci_bands() -> None:
    rows = []
    for capacity in (3, 6, 9):
        for ami in ("baked", "bootstrapped"):
            for rep in range(3):
                lost = 100 / capacity + (20 if ami == "bootstrapped" else 0) + rep
                rows.append({"capacity": capacity, "ami": ami, "rep": rep, "sessions_lost": lost})
    frame = pd.DataFrame(rows)
    fig = plots.sweep_figure(frame, x="capacity", metric="sessions_lost", by="ami")
    ax = fig.axes[0]
    drawn = lines(ax)
    assert set(drawn) == {"ami = baked", "ami = bootstrapped"}
    baked = drawn["ami = baked"]
    np.testing.assert_array_equal(baked.get_xdata(), [3, 6, 9])
    np.testing.assert_allclose(baked.get_ydata(), [100 / c + 1 for c in (3, 6, 9)])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    # The band of the baked line spans [CI low at capacity 9, CI high at capacity 3].
    assert min(band) == pytest.approx(t_interval([100 / 9 + r for r in range(3)]).low)
    assert max(band) == pytest.approx(t_interval([100 / 3 + r for r in range(3)]).high)


def test_save_all_writes_every_kind_for_each_variant(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = plots.save_all(outage_runs(), tmp_path)
    names = sorted(p.name for p in paths)
    expected = [
        f"{v}-{k}.png"
        for v in ("stateful", "stateless")
        for k in ("latency", "outcomes", "scaling", "sessions")
    ]
    assert names == sorted([*expected, "compare-timeline.png", "comparison.png"])
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sessions_state_the_runs_lost_uploads_without_a_time_column() -> None:
    # The outage run with 5 % uploads on instance disk: AZ b's instance takes its files along.
    source = merge(
        SOURCE, {"traffic": {"upload_fraction": 0.05}, "state": {"uploads": "instance_disk"}}
    )
    result = run_variants(source, ["stateful"], seed=7)["stateful"]
    summary = result.summary()
    assert summary["uploads_total"] > 0
    fig = plots.sessions_figure(result)
    texts = [t.get_text() for t in fig.axes[1].texts if t.get_gid() == "uploads"]
    lost, total = summary["uploads_lost"], summary["uploads_total"]
    assert texts == [f"lost uploads (whole run): {lost:,} of {total:,}"]
