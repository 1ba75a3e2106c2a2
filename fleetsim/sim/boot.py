"""The boot model: how long a launch takes, phase by phase, and whether the app comes up.

At each launch :meth:`BootModel.plan` draws every phase of the instance's boot from the phase's own
named random stream (``ec2.boot.api``, ``ec2.boot.pending``, ``ec2.boot.os_boot``,
``ec2.boot.step.<name>`` and ``ec2.boot.step.<name>.fail``, ``ec2.boot.app_start``), so the
baked and bootstrapped variants of a scenario draw the same API and pending times for their n-th
launch. A plan is a plain value: the Auto Scaling group waits ``launch`` seconds (not billed), moves
the instance to ``running`` (it goes ``InService`` then, unless a launch hook holds it, §8) and
runs the bootstrap in parallel: ``ready_after`` seconds later the app answers, or, if the plan
``failed``, the bootstrap stops there and the app never answers (the ``ec2.boot_failed`` event).
Nothing in EC2 acts on a failed bootstrap: the ALB keeps the target unhealthy, and only ELB health
checks or a launch hook completed by the app make the group replace it.

A user-data step that fails is assumed to fail at the end of its drawn time (the script ran, then
exited non-zero); a step longer than its ``timeout`` is killed at the timeout. Either way the boot
stops there: later steps and the app start never run.

User-data steps fetch from the network (package repository, S3). During a ``bootstrap_outage``
(:attr:`BootModel.unreachable` windows) a step that runs while the repository is unreachable fails
at the moment it meets the outage; the app never comes up, exactly like a failed step. A baked AMI
has no user-data steps, so an outage cannot touch it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fleetsim.config.app import BootConfig, BootStep


@dataclass(frozen=True)
class BootPlan:
    """The drawn timeline of one launch.

    Attributes:
        launch: launch request to EC2 ``running`` (API call + ``pending``; not billed).
        phases: ``(name, seconds)`` of each phase after ``running`` that ran, in order.
        failure: why the app never comes up (e.g. ``"package_install failed"``), or None.
        ready_after: seconds after ``running`` when the app answers, or, if ``failure``, when
            the bootstrap stops (the app never answers).
        warmup: seconds at reduced speed after the app starts.
        warm_speed: speed factor during the warm-up.
    """

    launch: float
    phases: tuple[tuple[str, float], ...]
    failure: str | None
    ready_after: float
    warmup: float = 0.0
    warm_speed: float = 1.0

    @property
    def failed(self) -> bool:
        """True if the app never comes up."""
        return self.failure is not None

    @property
    def time_to_ready(self) -> float:
        """Launch request to the app answering (or to the bootstrap stopping)."""
        return self.launch + self.ready_after


class _Step:
    """A user-data step bound to its random streams."""

    def __init__(self, cfg: BootStep, stream: Callable[[str], np.random.Generator]) -> None:
        self.name = cfg.name
        self.timeout = cfg.timeout
        self.p_fail = cfg.failure_probability
        base = f"ec2.boot.step.{cfg.name}"
        self.duration = cfg.duration.sampler(stream(base)) if cfg.duration is not None else None
        self.transfer = (
            cfg.size_mb / cfg.bandwidth_mb_s
            if cfg.size_mb is not None and cfg.bandwidth_mb_s is not None
            else 0.0
        )
        self.fail_rng = stream(f"{base}.fail")

    def draw(self) -> tuple[float, str | None]:
        t = (self.duration() if self.duration is not None else 0.0) + self.transfer
        # Draw the failure every time so the stream stays aligned across launches and variants.
        fails = self.fail_rng.random() < self.p_fail
        if self.timeout is not None and t > self.timeout:
            return self.timeout, f"{self.name} exceeded its {self.timeout:g} s timeout"
        return t, f"{self.name} failed" if fails else None


class BootModel:
    """Draws boot plans for the launches of one Auto Scaling group.

    Args:
        cfg: the resolved boot phases.
        stream: returns the named random generator (each name is taken once).
    """

    def __init__(self, cfg: BootConfig, stream: Callable[[str], np.random.Generator]) -> None:
        self.cfg = cfg
        self._api = cfg.api.sampler(stream("ec2.boot.api"))
        self._pending = cfg.pending.sampler(stream("ec2.boot.pending"))
        self._os = cfg.os_boot.sampler(stream("ec2.boot.os_boot"))
        self._steps = [_Step(s, stream) for s in cfg.user_data]
        self._app = cfg.app_start.sampler(stream("ec2.boot.app_start"))
        #: ``(start, end)`` windows when the package repository / S3 cannot be reached.
        self.unreachable: list[tuple[float, float]] = []

    def _blocked(self, start: float, end: float) -> float | None:
        """When a step running over ``[start, end)`` first meets an outage, or None."""
        hits = [max(start, a) for a, b in self.unreachable if a < end and start < b]
        return min(hits) if hits else None

    def plan(self, start: float | None = None) -> BootPlan:
        """Draw one launch's timeline.

        Args:
            start: simulated time of the launch request; needed only to place the user-data
                steps against :attr:`unreachable` windows.
        """
        cfg = self.cfg
        # Every phase is drawn, even after a failure, so later launches see the same numbers.
        launch = self._api() + self._pending()
        drawn = [("os_boot", self._os())]
        failure: str | None = None
        clock = None if start is None else start + launch + drawn[0][1]
        for step in self._steps:
            t, why = step.draw()
            if failure is None:
                if clock is not None and self.unreachable:
                    hit = self._blocked(clock, clock + t)
                    if hit is not None:
                        t, why = hit - clock, f"{step.name} failed: package repository unreachable"
                    clock += t
                drawn.append((step.name, t))
                failure = why
        app = self._app()
        if failure is None:
            drawn.append(("app_start", app))
        ran = tuple(drawn)
        total = sum(t for _, t in ran)
        if failure is None and total > cfg.timeout:
            failure = f"app not up within the {cfg.timeout:g} s boot timeout"
        if failure is not None:
            # The bootstrap stops where it failed, or is given up at the boot timeout.
            return BootPlan(launch, ran, failure, min(total, cfg.timeout))
        return BootPlan(launch, ran, None, total, cfg.warmup.duration, cfg.warmup.initial_speed)
