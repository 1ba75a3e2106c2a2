"""The world: builds the components of one scenario, runs it, and assembles the Result.

:class:`World` builds, on one :class:`~fleetsim.sim.engine.Engine` (a SimPy environment with
plain timed calls), every component of a scenario — the load balancer and its target groups, the
fleet registry with its Auto Scaling group, the application and its session store, CloudWatch
and the scaling policies, the Spot market, the traffic source and the fault schedule — each with
its own scope and named random streams. As in desmod, the build has stated phases: construct the
components (:meth:`World._construct`), wire them to one another (:meth:`World._connect`), and
start them when the run begins (:meth:`World._start`). :meth:`World.run` advances the clock to the
scenario's end, closes the books (sessions still active, uploads, billing), checks the invariants
and returns a :class:`~fleetsim.record.result.Result`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fleetsim._version import build
from fleetsim.config.models import Scenario
from fleetsim.record.invariants import assert_ledger
from fleetsim.record.recorder import Recorder
from fleetsim.record.result import Result
from fleetsim.record.rows import LevelLayout
from fleetsim.sim.alb import LoadBalancer
from fleetsim.sim.application import Application
from fleetsim.sim.billing import InstanceUsage, bill_ec2, instance_seconds
from fleetsim.sim.boot import BootModel
from fleetsim.sim.cloudwatch import CloudWatch, group_metrics
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Session
from fleetsim.sim.faults import FaultSchedule
from fleetsim.sim.fleet import Fleet
from fleetsim.sim.instance import Instance
from fleetsim.sim.rng import RandomStreams
from fleetsim.sim.scaling import ScalingPolicies
from fleetsim.sim.shapes import build_shape
from fleetsim.sim.spot import SpotMarket
from fleetsim.sim.stores import build_store
from fleetsim.sim.stores.uploads import UploadStore
from fleetsim.sim.traffic import Traffic
from fleetsim.sim.types import Process
from fleetsim.sim.zones import Zone


class World:
    """One simulated world built from a scenario.

    Args:
        scenario: the validated scenario.
        seed: overrides ``scenario.seed`` when given.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.env = Engine()
        self.streams = RandomStreams(self.seed)
        self.rec = Recorder(scenario.duration, keep_requests=scenario.record.requests)
        self._construct()
        self._connect()

    # --- build ---------------------------------------------------------------------------

    def _construct(self) -> None:
        # Every component, each from its configuration. An AZ change is heard in the order of
        # registration: the load balancer's nodes, then the fleet's instances (both wired
        # below), then the store (its constructor), then each group (its constructor).
        sc, env, rec, streams = self.scenario, self.env, self.rec, self.streams
        self.zones = {az: Zone(az) for az in sc.azs}
        self.lb = LoadBalancer(env, rec, sc.alb, streams, sc.azs)
        self.fleet = Fleet(env, rec, streams, self.zones, sc)
        for zone in self.zones.values():
            zone.listeners.append(self.lb.zone_changed)
            zone.listeners.append(self.fleet.zone_changed)
        self.store = build_store(sc.state, env, rec, self.zones)
        self.uploads = UploadStore(sc.state, rec)
        self.app = Application(
            env, rec, streams, sc.state, sc.traffic, self.store, self.uploads, self.zones
        )
        self.boot = BootModel(sc.instance.boot, streams.stream)
        self.fleet.connect(self.app, self.lb, self.boot)
        self.asg, self.tg = self.fleet.add_group(sc.asg)
        self.cloudwatch = CloudWatch(env, rec, sc.asg.monitoring)
        # The group's metrics exist before the policies that alarm on them.
        group_metrics(self.cloudwatch, self.asg, self.tg, {p.metric for p in sc.asg.policies})
        self.scaling = ScalingPolicies(env, sc.asg, self.asg, self.cloudwatch)
        spot = sc.instance.spot
        self.spot = SpotMarket(env, rec, spot, self.asg, streams.stream) if spot else None
        self.traffic = Traffic(
            env,
            rec,
            sc.traffic,
            build_shape(sc.traffic.shape),
            sc.duration,
            streams.stream,
            self.app.send,
            self.app.arrived,
            self.app.next_kind,
        )
        self.faults = FaultSchedule(
            env,
            rec,
            streams,
            sc.faults,
            sc.duration,
            zones=self.zones,
            fleet=self.fleet,
            store=self.store,
            spot=self.spot,
            boot=self.boot,
            lb=self.lb,
        )

    def _connect(self) -> None:
        # The callbacks between components built above, in this order.
        sc = self.scenario
        self.app.connect(self.lb, self.traffic)
        if self.spot is not None:
            self.fleet.launch_listeners.append(self.spot.watch)
        self.fleet.launch_listeners.append(self.faults.watch)
        self.rec.level_layout = LevelLayout(tuple(sc.azs), tuple(self.asg.level_columns()))

    def _start(self) -> None:
        # The initial fleet, then the actors, in this order (each schedules its first events).
        self.asg.start()
        self.cloudwatch.start()
        self.scaling.start()
        # The warm initial fleet has earned credits (T3 get no launch credits; later launches
        # start at zero).
        initial = self.scenario.instance.initial_credits
        for inst in self.asg.all_instances:
            inst.set_credits(inst.itype.max_credits if initial is None else initial)
        if self.spot is not None:
            self.spot.start()
        self.traffic.start()
        self.faults.start()
        self.env.process(self._sampler())

    # --- views ---------------------------------------------------------------------------

    @property
    def sessions(self) -> dict[int, Session]:
        """The sessions active now, by id."""
        return self.app.sessions

    # --- running -------------------------------------------------------------------------

    def _sampler(self) -> Process:
        azs = self.scenario.azs
        rec = self.rec
        fleet = self.fleet
        while True:
            in_service = fleet.members("InService")
            per_az = dict.fromkeys(azs, 0)
            busy = queued = 0
            for inst in in_service:
                per_az[inst.az] += 1
            for inst in fleet.members():
                busy += inst.busy
                queued += len(inst.queue)
            rec.level(
                rec.level_layout.row(
                    time=int(self.env.now),
                    in_service=len(in_service),
                    in_service_by_az=per_az,
                    pending=len(fleet.members("Pending")),
                    healthy_targets=fleet.healthy_targets(),
                    busy_workers=busy,
                    queued=queued,
                    sessions_active=len(self.app.sessions),
                    group=self.asg.levels(),
                )
            )
            yield self.env.timeout(1.0)

    def run(
        self,
        progress: Callable[[float, int], None] | None = None,
        progress_every: float = 10.0,
    ) -> Result:
        """Run to the scenario's end and return the checked Result.

        Args:
            progress: called every ``progress_every`` simulated seconds with the simulated
                time and the number of requests so far (e.g. to show progress on a terminal).
            progress_every: simulated seconds between two ``progress`` calls.

        Raises:
            InvariantError: if the ledger does not balance at the end.
        """
        wall = time.perf_counter()
        self._start()
        duration = self.scenario.duration
        with _young_collections_rarer():
            if progress is None:
                self.env.run(until=duration)
            else:
                # Each chunk ends on an urgent stop event that leaves the order of the model's
                # own events untouched, so a run with progress is bit-identical to one without.
                now = 0.0
                while now < duration:
                    now = min(now + progress_every, duration)
                    self.env.run(until=now)
                    progress(now, self.rec.requests_total)
        self.app.close()
        instances = self.fleet.all_instances()
        self.uploads.settle(instances)
        checks = assert_ledger(self.rec)
        usages = [_usage(inst, duration) for inst in instances]
        spot = self.scenario.instance.spot
        items = [*bill_ec2(usages, spot.price_factor if spot else 1.0)]
        items += self.store.costs(duration)
        return Result(
            scenario=self.scenario.model_dump(mode="json"),
            seed=self.seed,
            recorder=self.rec,
            instance_seconds=instance_seconds(usages),
            cost_items=items,
            checks=checks,
            instances_launched=len(instances),
            meta={"wall_s": time.perf_counter() - wall, "events": None, "build": build()},
        )


def _usage(inst: Instance, end: float) -> InstanceUsage:
    # What the instance reports for billing at the end of the run (plain values).
    surplus = 0.0
    if inst.burstable and inst.unlimited:
        surplus = max(0.0, -inst.credit_balance(end))
    return InstanceUsage(inst.itype.name, inst.spot, inst.bill_until(end), surplus)


@contextmanager
def _young_collections_rarer() -> Iterator[None]:
    # Every request allocates a few short-lived objects (the request, heap tuples), so CPython's
    # cyclic collector, run every 700 allocations by default, took ~15 % of a run while finding
    # almost nothing (users and sessions are unlinked when a session ends). Collect the young
    # generation less often while the clock runs; the setting is put back afterwards.
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> Result:
    """Run one scenario once and return its Result.

    Args:
        scenario: a validated scenario (see :func:`fleetsim.load_scenario`).
        seed: overrides the scenario's seed.
        progress: optional callback ``(simulated_time, requests_so_far)``, see :meth:`World.run`.
    """
    return World(scenario, seed).run(progress)
