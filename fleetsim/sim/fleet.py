"""The fleet registry: the Auto Scaling groups, their target groups, and who is a member.

Usually one group behind one target group; a blue/green deploy adds a second pair
(:meth:`Fleet.add_group`). The registry makes the instances (:meth:`Fleet.make_instance`, the
factory every group launches through, which tells the launch listeners — Spot interruptions,
random crashes — of each new instance), answers membership questions across groups, and handles
what an AZ outage does to the instances in that AZ: they stop answering (a black hole: the
requests in service there get no answer and end 504 at the ALB's idle timeout), and their group
learns they are impaired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fleetsim.config.catalog import instance_type
from fleetsim.config.models import AsgConfig, Scenario
from fleetsim.sim.asg import AutoScalingGroup
from fleetsim.sim.component import Component
from fleetsim.sim.instance import Instance
from fleetsim.sim.target_group import TargetGroup

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.alb import LoadBalancer
    from fleetsim.sim.application import Application
    from fleetsim.sim.boot import BootModel
    from fleetsim.sim.engine import Engine
    from fleetsim.sim.rng import RandomStreams
    from fleetsim.sim.zones import Zone


class Fleet(Component):
    """The groups and target groups of one world, and the instances they launch.

    Built before the application and the load balancer its groups talk to; :meth:`connect`
    then gives it those and the boot model its groups need.

    Args:
        env: the simulation environment.
        rec: the run's recorder.
        streams: the run's named random streams.
        zones: the AZs.
        scenario: the scenario (instance, app and ALB settings).
        scope: its scope in the event rows.
    """

    app: Application
    lb: LoadBalancer
    boot: BootModel

    def __init__(
        self,
        env: Engine,
        rec: Recorder,
        streams: RandomStreams,
        zones: dict[str, Zone],
        scenario: Scenario,
        scope: str = "fleet",
    ) -> None:
        super().__init__(env, rec, scope, streams)
        self.scenario = scenario
        self.zones = zones
        self.itype = instance_type(scenario.instance.type)
        self.groups: list[AutoScalingGroup] = []
        self.target_groups: list[TargetGroup] = []
        #: Called with every instance made, in order (Spot interruptions, then random crashes).
        self.launch_listeners: list[Callable[[Instance], None]] = []
        self._next_instance = 0
        self._cpu_time = scenario.app.cpu_time.sampler(self.stream("app.cpu_time"))

    def connect(self, app: Application, lb: LoadBalancer, boot: BootModel) -> None:
        """Give the registry what its groups need (build phase, before :meth:`add_group`)."""
        self.app = app
        self.lb = lb
        self.boot = boot

    # --- groups --------------------------------------------------------------------------

    def add_group(
        self, cfg: AsgConfig, stream: str = "", name: str = ""
    ) -> tuple[AutoScalingGroup, TargetGroup]:
        """Add an Auto Scaling group behind its own target group on the load balancer.

        Args:
            cfg: the group's configuration.
            stream: prefix of its random streams (``<stream>.alb``, ``<stream>.asg``; none for
                the first group: ``alb``, ``asg``).
            name: suffix of its scopes (``asg.<name>``, ``alb.tg.<name>``; none for the first).

        Returns:
            The new group, which has launched nothing yet, and its target group.
        """
        prefix = f"{stream}." if stream else ""
        suffix = f".{name}" if name else ""
        app = self.app
        tg = TargetGroup(
            self.env,
            self.rec,
            self.scenario.alb,
            self.scenario.azs,
            self.streams,
            f"{prefix}alb",
            app.routed,
            app.failed,
            zones=self.zones,
            scope=f"alb.tg{suffix}",
        )
        self.lb.attach(tg)
        group = AutoScalingGroup(
            self.env,
            self.rec,
            cfg,
            self.zones,
            tg,
            self.make_instance,
            self.boot,
            self.streams,
            scope=f"asg{suffix}",
            stream=f"{prefix}asg",
        )
        self.groups.append(group)
        self.target_groups.append(tg)
        return group, tg

    def make_instance(self, az: str) -> Instance:
        """Make a new instance in ``az`` (every group launches through this factory)."""
        self._next_instance += 1
        app = self.scenario.app
        cfg = self.scenario.instance
        inst = Instance(
            self.env,
            self.rec,
            f"i-{self._next_instance:05d}",
            az,
            self.itype,
            app.workers,
            app.queue_size,
            self._cpu_time,
            self.app.served,
            self.app.failed,
            speed=cfg.speed,
            credit_mode=cfg.cpu_credits,
            spot=cfg.spot is not None,
        )
        for listener in self.launch_listeners:
            listener(inst)
        return inst

    # --- membership ----------------------------------------------------------------------

    def members(self, *states: str) -> list[Instance]:
        """Instances of every group whose lifecycle state is one of ``states`` (all if none)."""
        if len(self.groups) == 1:
            return self.groups[0].members(*states)
        return [i for g in self.groups for i in g.members(*states)]

    def all_instances(self) -> list[Instance]:
        """Every instance any group ever launched."""
        return [i for g in self.groups for i in g.all_instances]

    def in_service(self, inst: Instance) -> bool:
        """True if ``inst`` is InService in its group."""
        return any(g.lifecycle.get(inst) == "InService" for g in self.groups)

    def group_of(self, inst: Instance) -> AutoScalingGroup | None:
        """The group ``inst`` is a member of (None once it has left)."""
        return next((g for g in self.groups if inst in g.lifecycle), None)

    def healthy_targets(self) -> int:
        """Healthy targets over every target group."""
        return sum(tg.healthy_count() for tg in self.target_groups)

    # --- AZ outages ----------------------------------------------------------------------

    def zone_changed(self, zone: Zone) -> None:
        """An AZ failed or recovered: its instances stop or resume answering."""
        if zone.up:
            for inst in self.members():
                if inst.az == zone.name:
                    inst.reachable = not inst.impaired  # a failed host stays failed
            return
        for group in self.groups:
            for inst in group.members():
                if inst.az == zone.name:
                    inst.reachable = False
                    # The AZ is gone: requests in service there never get an answer, nor a
                    # reset; the ALB fails them 504 at its idle timeout (§8).
                    inst.black_hole()
                    group.instance_impaired(inst)
