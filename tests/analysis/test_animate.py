"""The fleet animation: per-instance states rebuilt from events, frames, writers, CLI."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Rectangle
from PIL import Image

from fleetsim.analysis.animate import (
    REDIS_COLOURS,
    STATE_COLOURS,
    AnimationError,
    FleetAnimation,
    NodeState,
    RedisNode,
    alb_nodes_at,
    fleet_at,
    instance_states,
    redis_nodes_at,
    save_animation,
)
from tests.analysis.test_plots import OUTAGE_AT, outage_runs

# Display states in the order an instance may pass through them.
ORDER = ["pending", "bootstrapping", "in service", "unhealthy", "draining", "terminated"]


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    yield
    plt.close("all")


def test_every_instance_moves_forward_through_the_lifecycle() -> None:
    states = instance_states(outage_runs()["stateful"].events)
    for name, rows in states.groupby("instance"):
        ranks = [ORDER.index(s) for s in rows.state]
        # in service ↔ unhealthy may alternate; nothing returns to pending or bootstrapping.
        assert rows.state.iloc[0] == "pending", name
        assert all(b >= min(a, 2) for a, b in itertools.pairwise(ranks)), name
        assert rows.time.is_monotonic_increasing


def test_the_instance_in_the_failed_az_turns_unhealthy_then_is_replaced() -> None:
    states = instance_states(outage_runs()["stateful"].events)
    before = fleet_at(states, OUTAGE_AT - 1)
    assert list(before.state) == ["in service"] * 3  # one per AZ, all serving
    b = states[states.az == "us-east-1b"]
    first = b[b.instance == b.instance.iloc[0]].set_index("state").time
    # Unhealthy after 2 failed checks (interval 30 s, timeout 5 s, random phase < 30 s).
    assert OUTAGE_AT + 35 <= first["unhealthy"] <= OUTAGE_AT + 30 + 2 * 30 + 5
    # EC2 impaired replacement after 180 s: terminated and a new one pending in another AZ.
    assert first["terminated"] == pytest.approx(OUTAGE_AT + 180)
    at = fleet_at(states, OUTAGE_AT + 181)
    new = at[(at.since - (OUTAGE_AT + 180)).abs().lt(1e-6) & (at.state == "pending")]
    assert len(new) == 1 and new.az.item() != "us-east-1b"
    # Terminated boxes disappear after the linger time.
    gone = fleet_at(states, OUTAGE_AT + 180 + 61)
    assert b.instance.iloc[0] not in set(gone.instance)
    assert list(fleet_at(states, 599).state) == ["in service"] * 3


def test_alb_nodes_follow_the_outage_and_dns() -> None:
    result = outage_runs()["stateful"]
    delay = result.scenario["alb"]["dns_withdrawal_delay"]
    assert alb_nodes_at(result, OUTAGE_AT + 1)["us-east-1b"] == NodeState(False, True)
    assert alb_nodes_at(result, OUTAGE_AT + delay + 1)["us-east-1b"] == NodeState(False, False)
    assert alb_nodes_at(result, 599)["us-east-1b"] == NodeState(True, True)
    assert alb_nodes_at(result, OUTAGE_AT + 1)["us-east-1a"] == NodeState(True, True)


def test_a_frame_draws_one_box_per_visible_instance_in_its_state_colour() -> None:
    fleet = FleetAnimation(outage_runs()["stateful"])
    fleet.draw(200.0)
    panels = dict(zip(fleet.azs, fleet.panels, strict=True))
    unhealthy = plt.matplotlib.colors.to_rgba(STATE_COLOURS["unhealthy"])
    in_service = plt.matplotlib.colors.to_rgba(STATE_COLOURS["in service"])

    def boxes(az: str) -> list[tuple[float, ...]]:
        return [
            tuple(p.get_facecolor())
            for p in panels[az].patches
            if isinstance(p, Rectangle) and p.get_width() < 1
        ]

    assert boxes("us-east-1b") == [unhealthy]
    assert boxes("us-east-1a") == [in_service]
    assert "AZ DOWN" in panels["us-east-1b"].get_title()
    assert "AZ DOWN" not in panels["us-east-1a"].get_title()
    texts = [t.get_text() for t in panels["us-east-1b"].texts]
    assert "ALB node DOWN, in DNS" in texts
    assert fleet.clock.get_text() == "t = 0:03:20"  # type: ignore[attr-defined]


def test_gif_has_one_frame_per_step(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = save_animation(outage_runs()["stateful"], tmp_path / "fleet.gif", step_s=60)
    with Image.open(path) as gif:
        assert gif.n_frames == 11  # 0, 60, …, 600 s
        assert gif.size[0] >= 600
    assert path.stat().st_size < 2_000_000


def test_html_uses_the_javascript_player_and_is_self_contained(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = save_animation(outage_runs()["stateful"], tmp_path / "fleet.html", step_s=120)
    text = path.read_text()
    assert "<script" in text and "data:image/png;base64" in text
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text and "font-awesome" not in text
    assert "&#x25B6;" in text  # the play button is a character, not a CDN icon


def test_bad_output_names_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnimationError, match=r"\.gif, \.html or \.mp4"):
        save_animation(outage_runs()["stateful"], tmp_path / "fleet.avi")
    if shutil.which("ffmpeg") is None:
        with pytest.raises(AnimationError, match="needs ffmpeg"):
            save_animation(outage_runs()["stateful"], tmp_path / "fleet.mp4")


@pytest.mark.skipif(shutil.which("ffmpeg") is not None, reason="ffmpeg is installed here")
def test_cli_animate_mp4_without_ffmpeg_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetsim",
            "animate",
            "az-outage",
            "--out",
            str(tmp_path / "f.mp4"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "needs ffmpeg" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_animate_writes_a_gif(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fleet.gif"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetsim",
            "animate",
            "az-outage",
            "--variant",
            "stateless",
            "--set",
            "duration=5m",
            "--step",
            "60",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with Image.open(out) as gif:
        assert gif.n_frames == 6


def test_redis_nodes_follow_the_failover_and_are_drawn_in_their_az() -> None:
    from fleetsim import load_scenario, simulate

    result = simulate(load_scenario("redis-failover", "multi-az", ["duration=12m"]))
    a, b = "us-east-1a", "us-east-1b"
    assert redis_nodes_at(result, 0) == {
        "primary": RedisNode(a, True, True),
        "replica-1": RedisNode(b, False, True),
    }
    # AZ a fails at 10 min: the primary is lost and, once promoted, replica-1 is the primary.
    promoted = result.events[result.events.kind == "store.promoted"].time.item()
    assert redis_nodes_at(result, promoted) == {
        "primary": RedisNode(a, False, False),
        "replica-1": RedisNode(b, True, True),
    }
    fleet = FleetAnimation(result, step_s=60)
    fleet.draw(promoted)
    panels = dict(zip(fleet.azs, fleet.panels, strict=True))
    assert "redis\nreplica\nDOWN" in [t.get_text() for t in panels[a].texts]
    assert "redis\nprimary" in [t.get_text() for t in panels[b].texts]
    colours = [tuple(p.get_facecolor()) for p in panels[b].patches]
    assert plt.matplotlib.colors.to_rgba(REDIS_COLOURS["primary"]) in colours
