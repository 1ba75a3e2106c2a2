"""The world: wires the components of one scenario together and runs it.

:class:`World` builds, on one :class:`~fleetsim.sim.engine.Engine` (a SimPy environment with
plain timed calls), the traffic source, the load balancer, the Auto Scaling group and its
instances, the session store and the fault schedule, each with its own named random stream. It
also holds the application's request logic — where a routed request meets its session — and the
user's reaction to each response. :meth:`World.run` advances the clock to the scenario's end,
closes the books (billing, sessions still active), checks the invariants and returns
a :class:`~fleetsim.record.result.Result`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fleetsim.config.catalog import T3_SURPLUS_USD_PER_VCPU_HOUR, instance_type
from fleetsim.config.models import AsgConfig, Scenario
from fleetsim.record.invariants import assert_ledger
from fleetsim.record.recorder import Recorder
from fleetsim.record.result import Result
from fleetsim.record.rows import LevelLayout
from fleetsim.sim.alb import LoadBalancer
from fleetsim.sim.alb_routing import Uniforms
from fleetsim.sim.asg import AutoScalingGroup
from fleetsim.sim.boot import BootModel
from fleetsim.sim.cloudwatch import CloudWatch, group_metrics
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import Request, Session, User
from fleetsim.sim.faults import Degradation, FaultSchedule
from fleetsim.sim.instance import Instance
from fleetsim.sim.mix import WRITING, RequestMixer
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
        self._clock = self.env.clock
        self.streams = RandomStreams(self.seed)
        self.rec = Recorder(scenario.duration, keep_requests=scenario.record.requests)
        self.zones = {az: Zone(az) for az in scenario.azs}
        self.itype = instance_type(scenario.instance.type)
        self.store = build_store(scenario.state, self.env, self.rec, self.zones)
        self.uploads = UploadStore(scenario.state, self.rec)
        self._timeout = scenario.state.session_timeout
        self._write_fraction = scenario.state.write_fraction
        self._upload_fraction = scenario.traffic.upload_fraction
        self._writes = Uniforms(self.streams.stream("state.writes"))
        self._upload_draws = Uniforms(self.streams.stream("traffic.uploads"))
        mix = scenario.traffic.mix
        self._mix = None if mix is None else RequestMixer(mix, self.streams.stream)
        self.sessions: dict[int, Session] = {}
        self._next_session = 0
        self._next_instance = 0
        self._cpu_time = scenario.app.cpu_time.sampler(self.streams.stream("app.cpu_time"))
        self._relogin = self.streams.stream("traffic.relogin")
        self.alb = LoadBalancer(
            self.env,
            self.rec,
            scenario.alb,
            scenario.azs,
            self.streams.stream("alb"),
            on_routed=self._routed,
            on_failed=self._failed,
            check_loss=self._check_lost,
        )
        self.boot = BootModel(scenario.instance.boot, self.streams.stream)
        self.asg = AutoScalingGroup(
            self.env,
            self.rec,
            scenario.asg,
            self.zones,
            self.alb,
            self._make_instance,
            self.boot,
            self.streams,
        )
        # A blue/green deploy adds a second group behind its own target group (add_group).
        self.groups: list[AutoScalingGroup] = [self.asg]
        self.target_groups: list[LoadBalancer] = [self.alb]
        # AZs in a gray failure (az_degraded), consulted for every routed request.
        self.degraded: dict[str, Degradation] = {}
        self.cloudwatch = CloudWatch(self.env, self.rec, scenario.asg.monitoring)
        group_metrics(
            self.cloudwatch, self.asg, self.rec, {p.metric for p in scenario.asg.policies}
        )
        self.scaling = ScalingPolicies(self.env, scenario.asg, self.asg, self.cloudwatch)
        spot = scenario.instance.spot
        self.spot = (
            SpotMarket(self.env, self.rec, spot, self.asg, self.streams.stream) if spot else None
        )
        self.traffic = Traffic(
            self.env,
            self.rec,
            scenario.traffic,
            build_shape(scenario.traffic.shape),
            scenario.duration,
            self.streams.stream,
            self.alb.handle if self._mix is None else self._send_mixed,
        )
        self.faults = FaultSchedule(self)
        for zone in self.zones.values():
            zone.listeners.insert(0, self._zone_changed)
        self.rec.level_layout = LevelLayout(tuple(scenario.azs), tuple(self.asg.level_columns()))

    # --- wiring --------------------------------------------------------------------------

    def _make_instance(self, az: str) -> Instance:
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
            self._served,
            self._failed,
            speed=cfg.speed,
            credit_mode=cfg.cpu_credits,
            spot=self.spot is not None,
        )
        if self.spot is not None:
            self.spot.watch(inst)
        self.faults.watch(inst)
        return inst

    def add_group(self, cfg: AsgConfig, stream: str) -> tuple[AutoScalingGroup, LoadBalancer]:
        """Add a second Auto Scaling group behind its own target group (a blue/green deploy).

        Args:
            cfg: the new group's configuration.
            stream: prefix of its random streams (``<stream>.alb``, ``<stream>.asg``).

        Returns:
            The new group and the load balancer standing for its target group; the group has
            launched nothing yet.
        """
        alb = LoadBalancer(
            self.env,
            self.rec,
            self.scenario.alb,
            self.scenario.azs,
            self.streams.stream(f"{stream}.alb"),
            on_routed=self._routed,
            on_failed=self._failed,
            check_loss=self._check_lost,
        )
        for az, up in self.alb.node_up.items():
            if not up:
                alb.node_failed(az)
        group = AutoScalingGroup(
            self.env,
            self.rec,
            cfg,
            self.zones,
            alb,
            self._make_instance,
            self.boot,
            self.streams,
            stream=f"{stream}.asg",
        )
        self.groups.append(group)
        self.target_groups.append(alb)
        return group, alb

    def members(self, *states: str) -> list[Instance]:
        """Instances of every group whose lifecycle state is one of ``states`` (all if none)."""
        if len(self.groups) == 1:
            return self.asg.members(*states)
        return [i for g in self.groups for i in g.members(*states)]

    def all_instances(self) -> list[Instance]:
        """Every instance any group ever launched."""
        return [i for g in self.groups for i in g.all_instances]

    def _zone_changed(self, zone: Zone) -> None:
        if zone.up:
            for alb in self.target_groups:
                alb.node_recovered(zone.name)
            for inst in self.members():
                if inst.az == zone.name:
                    inst.reachable = True
            return
        for alb in self.target_groups:
            alb.node_failed(zone.name)
        for group in self.groups:
            for inst in group.members():
                if inst.az == zone.name:
                    inst.reachable = False
                    # The AZ is gone: requests in service there never get an answer.
                    inst.fail_in_flight("502 target_reset")
                    group.instance_impaired(inst)

    # --- the application: a routed request meets its session -----------------------------

    def _login(self, user: User, inst: Instance) -> str | None:
        """Create the user's session; return the failure cause if the store refuses it."""
        self._next_session += 1
        session = self.store.login(self._next_session, user, inst, self._clock.now)
        if isinstance(session, str):
            return session
        user.session = session
        self.sessions[session.id] = session
        self.rec.session_created()
        return None

    def _end_session(self, user: User, outcome: str, cause: str | None = None) -> None:
        session = user.session
        if session is None:
            return
        at = self._clock.now
        if outcome in ("abandoned", "active") and session.lost is not None:
            # The store destroyed the data before the user noticed: the loss is what happened.
            lost = session.lost
            outcome, cause = ("expired", None) if lost == "expired" else ("lost", lost)
        elif (
            outcome in ("abandoned", "active")
            and session.home is not None
            and session.home.state in ("shutting-down", "terminated")
            and at - session.touched < self._timeout
        ):
            # An instance store's data died with its instance, whether or not the user came back.
            outcome, cause = "lost", "instance_terminated"
        elif outcome == "active" and at - session.touched >= self._timeout:
            outcome = "expired"
        if outcome == "expired":
            at = session.touched + self._timeout
        if outcome in ("completed", "expired"):
            self.store.forget(session)
        session.end(self.rec, at, outcome, cause)
        del self.sessions[session.id]
        user.session = None

    def _send_mixed(self, req: Request) -> None:
        assert self._mix is not None
        self._mix.assign(req)
        self.alb.handle(req)

    def _check_lost(self, inst: Instance) -> bool:
        # A gray failure (az_degraded) loses health checks in the share it loses requests.
        gray = self.degraded.get(inst.az) if self.degraded else None
        return gray is not None and gray.lost()

    def _routed(self, req: Request, inst: Instance) -> None:
        user = req.user
        session = user.session
        now = self._clock.now
        store = self.store
        write = session is None
        gray = self.degraded.get(inst.az) if self.degraded else None
        if gray is not None and gray.lost():
            # No answer ever comes: the ALB times the request out (504 at the idle timeout).
            req.started = now
            return
        mixer = self._mix
        if mixer is not None:
            write = req.kind in WRITING
        if store.external:
            if mixer is None:
                write = write or self._writes() < self._write_fraction
            cost = store.access(inst, now, write)
            if isinstance(cost, str):
                # The store cannot be reached or refuses: the application answers 500.
                self._failed(req, now, cost)
                return
            req.extra += cost
        if session is None:
            if user.remaining > 0 and (cause := self._login(user, inst)) is not None:
                self._failed(req, now, cause)
                return
        else:
            # Order matters: data the store destroyed, then idle expiry, then where it lives.
            cause = session.lost
            if cause is None:
                cause = "expired" if now - session.touched >= self._timeout else None
            if cause is None:
                cause = store.check(session, inst)
            if cause is not None:
                if cause == "expired":
                    self._end_session(user, "expired")
                else:
                    self._end_session(user, "lost", cause)
                if self._relogin.random() < self.scenario.traffic.relogin_probability:
                    if (cause := self._login(user, inst)) is not None:
                        self._failed(req, now, cause)
                        return
                else:
                    user.remaining = 0  # sees the login page and leaves
            else:
                session.touched = now
                if write:
                    session.written = now
        if user.session is not None:
            user.session.requests += 1
        if mixer is not None:
            if req.kind == "upload":
                req.upload = True
                req.extra += self.uploads.latency
        else:
            share = self._upload_fraction
            if share and self._upload_draws() < share:
                req.upload = True
                req.extra += self.uploads.latency
        if gray is not None:
            req.extra += gray.added_latency
        inst.accept(req)

    # --- the user: reaction to each response ---------------------------------------------

    def _served(self, req: Request, now: float) -> None:
        req.succeed(self.rec, now)
        if req.upload and req.instance is not None:
            self.uploads.stored(req.instance)
        self.alb.finished(req)
        user = req.user
        user.failures = 0
        user.kind = None  # the next request is a new draw from the mix
        user.remaining -= 1
        if user.remaining <= 0:
            self._end_session(user, "completed")
        else:
            self.traffic.think_then_send(user)

    def _failed(self, req: Request, now: float, cause: str) -> None:
        req.fail(self.rec, now, cause)
        self.alb.finished(req)
        user = req.user
        if user.remaining <= 0 or self.traffic.retry_later(req):
            return
        user.failures += 1
        if user.failures >= self.scenario.traffic.abandon_after_failures:
            self._end_session(user, "abandoned")
            user.remaining = 0
        else:
            self.traffic.think_then_send(user)

    # --- running -------------------------------------------------------------------------

    def _sampler(self) -> Process:
        azs = self.scenario.azs
        rec = self.rec
        while True:
            in_service = self.members("InService")
            per_az = dict.fromkeys(azs, 0)
            busy = queued = 0
            for inst in in_service:
                per_az[inst.az] += 1
            for inst in self.members():
                busy += inst.busy
                queued += len(inst.queue)
            rec.level(
                rec.level_layout.row(
                    time=int(self.env.now),
                    in_service=len(in_service),
                    in_service_by_az=per_az,
                    pending=len(self.members("Pending")),
                    healthy_targets=sum(alb.healthy_count() for alb in self.target_groups),
                    busy_workers=busy,
                    queued=queued,
                    sessions_active=len(self.sessions),
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
        for session in list(self.sessions.values()):
            self._end_session(session.user, "active")
        self.uploads.settle(self.all_instances())
        checks = assert_ledger(self.rec)
        seconds: dict[str, float] = {}
        surplus: dict[str, float] = {}
        for inst in self.all_instances():
            # On-demand keyed by type (as before), Spot as "<type>:spot".
            key = inst.itype.name + (":spot" if inst.spot else "")
            seconds[key] = seconds.get(key, 0.0) + inst.bill_until(duration)
            if inst.burstable and inst.unlimited:
                owed = -inst.credit_balance(duration)
                if owed > 0:
                    surplus[inst.itype.name] = surplus.get(inst.itype.name, 0.0) + owed
        factor = self.scenario.instance.spot.price_factor if self.scenario.instance.spot else 1.0
        cost = {}
        for key, s in seconds.items():
            name, _, purchase = key.partition(":")
            price = instance_type(name).price_usd_hour * (factor if purchase == "spot" else 1.0)
            cost[f"ec2:{key}"] = s / 3600.0 * price
        for name, credits in surplus.items():
            # Surplus credits not earned back: $0.05 per vCPU-hour = per 60 credits.
            cost[f"ec2:{name}:cpu_credits"] = credits / 60.0 * T3_SURPLUS_USD_PER_VCPU_HOUR
        cost.update(self.store.cost_usd(duration))
        return Result(
            scenario=self.scenario.model_dump(mode="json"),
            seed=self.seed,
            recorder=self.rec,
            instance_seconds=seconds,
            cost_usd=cost,
            checks=checks,
            instances_launched=len(self.all_instances()),
            meta={"wall_s": time.perf_counter() - wall, "events": None},
        )


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
