"""Deployments on the timeline: a rolling instance refresh or a blue/green switch.

**Rolling** starts the group's instance refresh (§2.9) with the fault's preferences and waits for
it to finish: batches that keep ``min_healthy_percentage`` in service, each waiting for the
instance warmup.

**Blue/green** (the way CodeDeploy's blue/green for EC2 and most hand-built pipelines do it):

1. A second ("green") Auto Scaling group of the blue group's current desired size is created
   behind the same ALB, in its own target group, and launches its instances (full boot).
2. Once every green target is healthy, the listener's weights move traffic: all at once, or
   through ``steps`` (% to green) ``interval`` apart. Each request picks a target group by weight;
   a stickiness cookie naming a blue target does not bind a request sent to green (target-group
   stickiness is not modelled), so a stateful design's users lose their session (``rerouted``)
   when they move, and again each time the weights send them back and forth.
3. At 100 % the blue group is set to 0 (min, max, desired): its instances drain (deregistration
   delay) and terminate.

The green group does not scale: the scenario's scaling policies and scheduled actions keep acting
on the blue group.

A deploy is given what it acts on: the group (rolling), or the blue group, the load balancer and
a factory making the green group behind its own target group (blue/green).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from fleetsim.config.asg import AsgConfig
from fleetsim.config.faults import Deploy, ShiftSteps
from fleetsim.config.sampler import Uniforms
from fleetsim.sim.types import Process

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.alb import LoadBalancer
    from fleetsim.sim.asg import AutoScalingGroup
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.target_group import TargetGroup

SCOPE = "fault"
POLL_S = 1.0  # how often the deploy looks at the green group's health and blue's draining

GreenFactory = Callable[[AsgConfig], "tuple[AutoScalingGroup, TargetGroup]"]
"""Makes the green group, of the given configuration, behind its own target group."""


def rolling(env: Engine, rec: Recorder, group: AutoScalingGroup, fault: Deploy) -> Process:
    """Run a rolling deploy: the group's instance refresh (§2.9)."""
    yield env.timeout(fault.at)
    prefs = group.cfg.instance_refresh
    lo = fault.min_healthy_percentage
    hi = fault.max_healthy_percentage
    # MinHealthyPercentage 90, MaxHealthyPercentage 100 by default (§2.9).
    detail = (
        f"strategy=rolling min_healthy={prefs.min_healthy_percentage if lo is None else lo}% "
        f"max_healthy={prefs.max_healthy_percentage if hi is None else hi}%"
    )
    rec.event(env.now, "fault.deploy.start", SCOPE, None, None, detail)
    yield group.start_instance_refresh(lo, hi, fault.instance_warmup)
    rec.event(env.now, "fault.deploy.end", SCOPE, None, None, "strategy=rolling")


def blue_green(
    env: Engine,
    rec: Recorder,
    blue: AutoScalingGroup,
    lb: LoadBalancer,
    make_green: GreenFactory,
    fault: Deploy,
    weights: np.random.Generator,
) -> Process:
    """Run a blue/green deploy (see the module docstring).

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        blue: the group in service.
        lb: the load balancer whose listener's weights move traffic.
        make_green: makes the green group behind its own target group on ``lb``.
        fault: the deploy.
        weights: the random stream deciding each request's target group while both get some.
    """
    yield env.timeout(fault.at)
    size = blue.desired
    shift = fault.shift
    steps = [100] if isinstance(shift, str) else list(shift.steps)
    rec.event(
        env.now,
        "fault.deploy.start",
        SCOPE,
        None,
        None,
        f"strategy=blue_green size={size} steps={steps}",
    )
    cfg = blue.cfg.model_copy(
        update={
            "min_size": size,
            "max_size": size,
            "desired_capacity": size,
            "policies": [],
            "scheduled_actions": [],
            "warm_pool": None,
        }
    )
    green, green_tg = make_green(cfg)
    green.reconcile("blue/green deploy: green group")
    # Traffic moves only once every green target passes its health check.
    while green_tg.healthy_count() < size:
        yield env.timeout(POLL_S)
    rec.event(env.now, "deploy.green_healthy", "asg.green", None, None, f"{size} targets")
    uniform = Uniforms(weights)
    for k, pct in enumerate(steps):
        if k and isinstance(shift, ShiftSteps):
            yield env.timeout(shift.interval)
        lb.forward(green_tg, pct / 100.0, uniform)
        rec.event(env.now, "deploy.shift", "alb", None, None, f"green={pct}%")
    blue.update_group(0, 0, 0, "blue/green deploy", "blue retired")
    while blue.members():
        yield env.timeout(POLL_S)
    rec.event(env.now, "fault.deploy.end", SCOPE, None, None, "strategy=blue_green")
