"""The fleet animation: the instances of every AZ as coloured boxes, frame by frame.

The run does not keep per-instance state over time; the ``events`` frame does not need it to. The
state of an instance at time t is rebuilt from its last events before t: EC2 changes
(``ec2.pending``, ``ec2.running``, ``ec2.shutting-down``, ``ec2.terminated``), Auto Scaling
lifecycle (``asg.Pending``, ``asg.InService``, ``asg.Terminating``…) and target health
(``target.initial``, ``target.healthy``, ``target.unhealthy``, ``target.draining``,
``target.unused``). One displayed state per instance:

* ``pending`` — launched, EC2 ``pending`` (not billed yet);
* ``bootstrapping`` — EC2 ``running`` but not yet passing the ALB's health check;
* ``in service`` — a ``healthy`` target;
* ``unhealthy`` — a target failing its health checks;
* ``draining`` — being deregistered or terminated by the group;
* ``terminated`` — shutting down or gone (shown for ``linger_s`` seconds, then removed).

Each AZ panel also shows its ALB node (up or down, in DNS or not, from ``alb.*`` events) and is
tinted while the AZ is in an outage; when sessions live in Redis its nodes are drawn in their AZ
(primary, replica, down — from the scenario and the ``store.*`` events). A strip chart of load
and failures runs below with a cursor, and a clock above. Writers: ``.gif`` (Pillow), ``.html``
(matplotlib's JavaScript player, self-contained) and ``.mp4`` (only where ffmpeg is installed).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib import animation
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from fleetsim.analysis.plots import agg_figure, event_spans, rate_per_bin
from fleetsim.record.result import Result

STATE_COLOURS = {
    "pending": "#c7c7c7",
    "bootstrapping": "#f2c14e",
    "in service": "#2ca02c",
    "unhealthy": "#d62728",
    "draining": "#ff7f0e",
    "terminated": "#555555",
}
REDIS_COLOURS = {"primary": "#8c2d04", "replica": "#d08c60", "down": "#7f7f7f"}
_COLS = 4  # instance boxes per row in an AZ panel
# matplotlib's JavaScript player links Font Awesome from a CDN for its button icons; the page must
# not fetch anything, so the link goes and each icon becomes a plain character.
_CDN_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>", re.S)
_ICONS = {
    "fa fa-minus": "&minus;",
    "fa fa-fast-backward": "&#x23EE;",
    "fa fa-step-backward": "&#x23F4;&#x23F4;",
    "fa fa-play fa-flip-horizontal": "&#x25C0;",
    "fa fa-pause": "&#x23F8;",
    "fa fa-play": "&#x25B6;",
    "fa fa-step-forward": "&#x23F5;&#x23F5;",
    "fa fa-fast-forward": "&#x23ED;",
    "fa fa-plus": "+",
}


def offline_jshtml(body: str) -> str:
    """Strip the CDN stylesheet from matplotlib's JavaScript player and inline its icons."""
    body = _CDN_LINK.sub("", body)
    for cls, char in _ICONS.items():
        body = body.replace(f'<i class="{cls}"></i>', char)
    return body


class AnimationError(ValueError):
    """The animation cannot be written as asked (unknown format, missing ffmpeg)."""


def _display(ec2: str, target: str | None, terminating: bool) -> str:
    if ec2 in ("shutting-down", "terminated"):
        return "terminated"
    if terminating or target in ("draining", "unused"):
        return "draining"
    if target == "unhealthy":
        return "unhealthy"
    if target == "healthy":
        return "in service"
    if ec2 == "running":
        return "bootstrapping"
    return "pending"


def instance_states(events: pd.DataFrame) -> pd.DataFrame:
    """Rebuild every instance's displayed state over time from the ``events`` frame.

    Returns:
        One row per change: ``time``, ``instance``, ``az``, ``state`` (see the module docstring),
        in time order; an instance's first row is its launch.
    """
    ec2: dict[str, str] = {}
    target: dict[str, str | None] = {}
    terminating: dict[str, bool] = {}
    shown: dict[str, str] = {}
    rows: list[tuple[float, str, str, str]] = []
    relevant = events[events.instance.notna() & events.kind.str.match(r"(ec2|asg|target)\.")]
    columns = (relevant[c].tolist() for c in ("time", "kind", "az", "instance"))
    for time, kind, az, instance in zip(*columns, strict=True):
        name = str(instance)
        group, _, what = str(kind).partition(".")
        ec2.setdefault(name, "pending")
        if group == "ec2":
            ec2[name] = what
        elif group == "target":
            target[name] = what
        elif what in ("Terminating", "Terminated"):
            terminating[name] = True
        state = _display(ec2[name], target.get(name), terminating.get(name, False))
        if shown.get(name) != state:
            shown[name] = state
            rows.append((float(time), name, str(az), state))
    return pd.DataFrame(rows, columns=["time", "instance", "az", "state"])


def fleet_at(states: pd.DataFrame, t: float, linger_s: float = 60.0) -> pd.DataFrame:
    """The instances visible at ``t``: each one's latest state; terminated ones for ``linger_s``.

    Returns:
        ``instance``, ``az``, ``state``, ``since`` (time of that state), in launch order.
    """
    past = states[states.time <= t]
    if past.empty:
        return pd.DataFrame(columns=["instance", "az", "state", "since"])
    launch = past.groupby("instance", sort=False)["time"].first()
    last = past.groupby("instance", sort=False).last().rename(columns={"time": "since"})
    last["launched"] = launch
    keep = (last.state != "terminated") | (t - last.since <= linger_s)
    out = last[keep].sort_values(["launched", "instance"]).reset_index()
    return out[["instance", "az", "state", "since"]]


@dataclass(frozen=True)
class NodeState:
    """An ALB node at one moment: answering or not, handed out by DNS or not."""

    up: bool
    in_dns: bool


def alb_nodes_at(result: Result, t: float) -> dict[str, NodeState]:
    """The state of every AZ's ALB node at ``t``, from ``alb.*`` events."""
    nodes = {az: NodeState(True, True) for az in result.scenario["azs"]}
    ev = result.events
    for row in ev[(ev.time <= t) & ev.kind.str.startswith("alb.")].itertuples(index=False):
        az = str(row.az)
        node = nodes.get(az, NodeState(True, True))
        kind = str(row.kind)
        if kind == "alb.node_down":
            node = NodeState(False, node.in_dns)
        elif kind == "alb.node_up":
            node = NodeState(True, node.in_dns)
        elif kind == "alb.dns_removed":
            node = NodeState(node.up, False)
        elif kind == "alb.dns_added":
            node = NodeState(node.up, True)
        nodes[az] = node
    return nodes


@dataclass(frozen=True)
class RedisNode:
    """A Redis node at one moment: its AZ, whether it is the primary, whether it is up."""

    az: str
    primary: bool
    up: bool


def redis_nodes_at(result: Result, t: float) -> dict[str, RedisNode]:
    """The Redis nodes at ``t`` (empty unless sessions live in Redis).

    The topology comes from the resolved scenario (``primary`` and ``replica-N``); ``store.*``
    events change it: ``node_lost``/``node_replaced`` (down/up) and ``promoted`` (a replica
    becomes the primary). The node's name is the event's ``detail``.
    """
    state = result.scenario.get("state") or {}
    if state.get("sessions") != "redis":
        return {}
    cfg = state.get("redis") or {}
    primary_az = cfg.get("primary_az") or result.scenario["azs"][0]
    nodes = {"primary": RedisNode(str(primary_az), True, True)}
    for i, az in enumerate(cfg.get("replica_azs") or []):
        nodes[f"replica-{i + 1}"] = RedisNode(str(az), False, True)
    ev = result.events
    rows = ev[
        (ev.time <= t) & ev.kind.isin(["store.node_lost", "store.node_replaced", "store.promoted"])
    ]
    for kind, name in zip(rows.kind.tolist(), rows.detail.tolist(), strict=True):
        node = nodes.get(str(name))
        if node is None:
            continue
        if kind == "store.node_lost":
            nodes[name] = RedisNode(node.az, node.primary, False)
        elif kind == "store.node_replaced":
            nodes[name] = RedisNode(node.az, node.primary, True)
        else:
            nodes = {k: RedisNode(n.az, k == name, n.up) for k, n in nodes.items()}
    return nodes


def _clock(t: float) -> str:
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


class FleetAnimation:
    """Draws the fleet of one Result at chosen times.

    Args:
        result: the run.
        step_s: simulated seconds between frames.
        linger_s: how long a terminated instance stays on screen.
    """

    def __init__(self, result: Result, step_s: float = 30.0, linger_s: float = 60.0) -> None:
        if step_s <= 0:
            raise AnimationError(f"step_s must be positive, got {step_s}")
        self.result = result
        self.step_s = step_s
        self.linger_s = linger_s
        self.azs = list(result.scenario["azs"])
        self.duration = float(result.scenario["duration"])
        self.states = instance_states(result.events)
        self.outages = [s for s in event_spans(result) if s.label.startswith("az_outage")]
        self.has_redis = bool(redis_nodes_at(result, 0.0))
        per_az = [self._peak(az) for az in self.azs]
        self.rows = max(1, math.ceil(max(per_az, default=1) / _COLS))
        self.times = [k * step_s for k in range(int(self.duration // step_s) + 1)]
        self.fig, self.panels, self.strip, self.cursor, self.clock = self._layout()

    def _peak(self, az: str) -> int:
        # The most boxes an AZ panel ever needs, sampled at the frame step (enough for layout).
        peak = 0
        t = 0.0
        while t <= self.duration:
            fleet = fleet_at(self.states, t, self.linger_s)
            peak = max(peak, int((fleet.az == az).sum()))
            t += self.step_s
        return peak

    def _layout(self) -> tuple[Figure, list[Axes], Axes, object, object]:
        fig = agg_figure(figsize=(9, 5.2 + 0.5 * self.rows), dpi=80)
        grid = fig.add_gridspec(2, len(self.azs), height_ratios=[1.2 + 0.6 * self.rows, 1.3])
        panels = [fig.add_subplot(grid[0, i]) for i in range(len(self.azs))]
        strip = fig.add_subplot(grid[1, :])
        tl = self.result.timeline
        rates = rate_per_bin(tl, ["arrivals", "failed"], 10)
        strip.plot(rates.index / 60, rates["arrivals"], color="#222222", lw=1, label="load")
        strip.plot(rates.index / 60, rates["failed"], color="#d62728", lw=1, label="failed")
        for span in self.outages:
            strip.axvspan(span.start / 60, span.end / 60, color="red", alpha=0.10, lw=0)
        strip.set_xlim(0, self.duration / 60)
        strip.set_ylim(bottom=0)
        strip.set_ylabel("requests / s")
        strip.set_xlabel("time (minutes)")
        strip.legend(loc="upper left", fontsize=8)
        strip.grid(alpha=0.3)
        cursor = strip.axvline(0, color="black", lw=1.5)
        clock = fig.text(0.99, 0.985, "", ha="right", va="top", fontsize=13, family="monospace")
        fig.text(
            0.01,
            0.985,
            f"{self.result.name}: the fleet",
            ha="left",
            va="top",
            fontsize=12,
            fontweight="bold",
        )
        handles = [Patch(color=c, label=s) for s, c in STATE_COLOURS.items()]
        fig.legend(
            handles=handles,
            loc="upper center",
            ncol=6,
            fontsize=8,
            bbox_to_anchor=(0.5, 0.95),
            frameon=False,
        )
        fig.subplots_adjust(left=0.07, right=0.98, top=0.86, bottom=0.09, hspace=0.35, wspace=0.08)
        return fig, panels, strip, cursor, clock

    def draw(self, t: float) -> None:
        """Draw the fleet as it was at simulated time ``t``."""
        fleet = fleet_at(self.states, t, self.linger_s)
        nodes = alb_nodes_at(self.result, t)
        redis = redis_nodes_at(self.result, t) if self.has_redis else {}
        for ax, az in zip(self.panels, self.azs, strict=True):
            self._draw_az(ax, az, t, fleet[fleet.az == az], nodes.get(az), redis)
        self.cursor.set_xdata([t / 60, t / 60])  # type: ignore[attr-defined]
        self.clock.set_text(f"t = {_clock(t)}")  # type: ignore[attr-defined]

    def _draw_az(
        self,
        ax: Axes,
        az: str,
        t: float,
        fleet: pd.DataFrame,
        node: NodeState | None,
        redis: dict[str, RedisNode],
    ) -> None:
        ax.clear()
        ax.set_xlim(0, _COLS)
        extra = 1 if redis else 0
        ax.set_ylim(-(self.rows + extra), 1.1)
        ax.set_xticks([])
        ax.set_yticks([])
        down = any(s.start <= t < s.end and az in s.label for s in self.outages)
        ax.set_facecolor("#fde0e0" if down else "white")
        ax.set_title(
            f"{az}" + ("  (AZ DOWN)" if down else ""),
            fontsize=10,
            color="darkred" if down else "black",
        )
        if node is not None:
            colour = "#2ca02c" if node.up else "#d62728"
            text = ("ALB node up" if node.up else "ALB node DOWN") + (
                ", in DNS" if node.in_dns else ", out of DNS"
            )
            ax.add_patch(Rectangle((0.1, 0.2), _COLS - 0.2, 0.7, color=colour, alpha=0.85))
            ax.text(_COLS / 2, 0.55, text, ha="center", va="center", fontsize=8, color="white")
        for k, row in enumerate(fleet.itertuples(index=False)):
            x, y = k % _COLS, -(k // _COLS) - 1
            ax.add_patch(
                Rectangle((x + 0.08, y + 0.1), 0.84, 0.8, color=STATE_COLOURS[str(row.state)])
            )
            ax.text(
                x + 0.5,
                y + 0.5,
                str(row.instance)[-3:],
                ha="center",
                va="center",
                fontsize=7,
                color="white",
            )
        mine = [n for _, n in sorted(redis.items()) if n.az == az]
        for k, rnode in enumerate(mine[:_COLS]):
            y = -(self.rows + 1)
            colour = REDIS_COLOURS[
                "down" if not rnode.up else "primary" if rnode.primary else "replica"
            ]
            ax.add_patch(Rectangle((k + 0.08, y + 0.15), 0.84, 0.7, color=colour))
            role = "primary" if rnode.primary else "replica"
            label = f"redis\n{role}" + ("" if rnode.up else "\nDOWN")
            ax.text(k + 0.5, y + 0.5, label, ha="center", va="center", fontsize=6, color="white")

    def animation(self, fps: int = 4) -> animation.FuncAnimation:
        """Return the matplotlib animation over all frame times."""

        def frame(t: float) -> list[Artist]:
            self.draw(t)
            return []

        return animation.FuncAnimation(
            self.fig, frame, frames=self.times, interval=1000 / fps, blit=False, repeat=True
        )


def save_animation(
    result: Result,
    path: str | Path,
    step_s: float = 30.0,
    fps: int = 4,
) -> Path:
    """Write the fleet animation of ``result`` to ``path`` (``.gif``, ``.html`` or ``.mp4``).

    Raises:
        AnimationError: for another suffix, or ``.mp4`` without ffmpeg on the PATH.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".html", ".mp4"):
        raise AnimationError(f"--out must end in .gif, .html or .mp4, got {out.name!r}")
    if suffix == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise AnimationError("writing .mp4 needs ffmpeg, which is not installed; use .gif or .html")
    fleet = FleetAnimation(result, step_s)
    anim = fleet.animation(fps)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        anim.save(out, writer=animation.PillowWriter(fps=fps))
    elif suffix == ".mp4":
        anim.save(out, writer=animation.FFMpegWriter(fps=fps))
    else:
        with matplotlib.rc_context({"animation.embed_limit": 200.0}):
            body = offline_jshtml(anim.to_jshtml(fps=fps, default_mode="once"))
        out.write_text(
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{result.name}: the fleet</title></head>"
            f"<body>{body}</body></html>\n"
        )
    return out
