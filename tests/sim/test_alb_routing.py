"""Routing algorithms, slow start, fail-open, stickiness and cross-zone (fact sheet §1.1, §1.2)."""

import itertools

import numpy as np
import pytest

from fleetsim.sim.alb_routing import LeastOutstanding, RoundRobin, Target, Uniforms, WeightedRandom
from fleetsim.sim.entities import Session, User
from tests.sim.alb_harness import Harness


class _Inst:
    az = "us-east-1a"


def _targets(n):
    return [Target(_Inst(), "healthy") for _ in range(n)]  # type: ignore[arg-type]


def test_least_outstanding_always_picks_a_minimum_under_random_traffic():
    # Random routed/finished events; after each, the pick must have the minimum count, as a
    # brute-force scan would find it. Targets also leave and rejoin the pool (health changes).
    rng = np.random.default_rng(3)
    targets = _targets(7)
    pool = LeastOutstanding(Uniforms(rng))
    pool.rebuild(list(targets))
    for step in range(5000):
        if step % 500 == 250:
            pool.rebuild([t for t in targets if rng.random() < 0.7] or targets[:1])
        if step % 500 == 0:
            pool.rebuild(list(targets))
        busy = [t for t in targets if t.outstanding > 0]
        if busy and rng.random() < 0.5:
            t = busy[int(rng.integers(len(busy)))]
            if t.pool is pool:
                pool.finished(t)
            else:
                t.outstanding -= 1
        else:
            chosen = pool.pick(0.0)
            assert chosen is not None
            assert chosen.outstanding == min(t.outstanding for t in pool.targets)
            pool.routed(chosen)
    assert all(t.outstanding >= 0 for t in targets)


def test_least_outstanding_breaks_ties_in_turn():
    pool = LeastOutstanding(Uniforms(np.random.default_rng(0)))
    targets = _targets(3)
    pool.rebuild(list(targets))
    order = []
    for _ in range(6):
        t = pool.pick(0.0)
        order.append(targets.index(t))
        pool.routed(t)
        pool.finished(t)
    assert order == [0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize("pool_class", [RoundRobin, WeightedRandom])
def test_slow_start_share_is_proportional_to_the_linear_weight(pool_class):
    # Two full targets and one 25 % into a 100 s ramp (§1.2: linear ramp): its expected share
    # is 0.25 / 2.25 = 0.111. 40,000 picks: binomial sd 0.0016; tolerance 0.008 (5 sd).
    pool = pool_class(Uniforms(np.random.default_rng(5)))
    targets = _targets(3)
    targets[2].ramp_from, targets[2].ramp_until = 0.0, 100.0
    pool.rebuild(targets)
    picks = [pool.pick(25.0) for _ in range(40_000)]
    share = sum(p is targets[2] for p in picks) / len(picks)
    assert abs(share - 0.25 / 2.25) < 0.008
    # After the ramp the three share equally.
    picks = [pool.pick(100.0) for _ in range(30_000)]
    assert abs(sum(p is targets[2] for p in picks) / 30_000 - 1 / 3) < 0.015


def test_round_robin_is_strict_rotation_and_weighted_random_is_not():
    rr = RoundRobin(Uniforms(np.random.default_rng(1)))
    wr = WeightedRandom(Uniforms(np.random.default_rng(1)))
    targets = _targets(3)
    rr.rebuild(targets)
    rr_seq = [targets.index(rr.pick(0.0)) for _ in range(9)]
    assert rr_seq in ([1, 2, 0] * 3, [0, 1, 2] * 3, [2, 0, 1] * 3)
    wr.rebuild(targets)
    wr_seq = [targets.index(wr.pick(0.0)) for _ in range(30_000)]
    # Uniform over three targets: each share 1/3, sd 0.0027 over 30,000; tolerance 5 sd.
    assert all(abs(wr_seq.count(k) / 30_000 - 1 / 3) < 0.014 for k in range(3))
    assert any(a == b for a, b in itertools.pairwise(wr_seq))  # repeats happen


def test_lor_sends_new_requests_to_the_target_with_fewest_outstanding():
    h = Harness(
        ["us-east-1a"] * 3,
        workers=1,
        cpu=[100.0, 100.0, 1.0, 1.0, 1.0],
        algorithm=("least_outstanding_requests"),
    )
    a, b, c = (h.send() for _ in range(3))  # one each (ties in turn)
    assert {a.instance, b.instance, c.instance} == set(h.insts)
    h.env.run(until=2)  # the third target's request (1 s) has finished; the others run 100 s
    nxt = [h.send() for _ in range(2)]
    # The free target first; then every target has one outstanding, and the tie goes to the one
    # that has had one the longest.
    assert [r.instance for r in nxt] == [c.instance, a.instance]


def test_a_new_target_ramps_up_over_slow_start_after_its_first_passing_check():
    h = Harness(["us-east-1a"] * 2, workers=50, cpu=lambda: 0.01, slow_start=120)
    reqs = h.send_every(0.05, until=400)
    h.env.run(until=1)  # registered after the first batch, so it does not skip slow start
    new = h.add("us-east-1a", workers=50)
    h.env.run(until=400)
    ev = [e for e in h.rec.events if e[1] == "target.healthy" and e[4] == new.name]
    healthy_at = ev[0][0]
    assert 1 < healthy_at <= 31  # one passing check, within one interval (§1.1)
    before = [r for r in reqs if r.arrived < healthy_at]
    assert not any(r.instance is new for r in before)  # initial: no traffic

    def share(lo, hi):
        window = [r for r in reqs if healthy_at + lo <= r.arrived < healthy_at + hi]
        return sum(r.instance is new for r in window) / len(window)

    # Weight w rises linearly over 120 s; share w / (2 + w). Windows of 30 s (600 requests):
    # expected shares about 0.06, 0.16, 0.24, 0.30, then 1/3; tolerance 0.05 (about 2.5 sd).
    expected = []
    for k in range(4):
        ws = np.linspace(k * 30, (k + 1) * 30, 301)[:-1] / 120
        expected.append(float(np.mean(ws / (2 + ws))))
    measured = [share(30 * k, 30 * (k + 1)) for k in range(4)]
    assert measured == sorted(measured)
    assert all(abs(m - e) < 0.05 for m, e in zip(measured, expected, strict=True))
    assert abs(share(150, 250) - 1 / 3) < 0.01  # after the ramp: strict rotation


def test_targets_of_the_first_batch_skip_slow_start():
    h = Harness([], slow_start=300, azs=["us-east-1a"])
    first = [h.add("us-east-1a"), h.add("us-east-1a")]
    h.env.run(until=60)
    assert all(h.tg.targets[i].state == "healthy" for i in first)
    assert all(h.tg.targets[i].ramp_until == 0.0 for i in first)


def test_fail_open_when_healthy_targets_fall_below_a_percentage():
    h = Harness(["us-east-1a"] * 4, minimum_healthy_percentage=50)
    a, b, c, d = h.insts
    h.tg.set_health(a, "unhealthy")
    h.tg.set_health(b, "unhealthy")
    assert set(h.tg.routable) == {c, d}  # 2 of 4 healthy = 50 %: not below
    h.tg.set_health(c, "unhealthy")
    assert set(h.tg.routable) == {a, b, c, d}  # 25 % < 50 %: fail open to all (§1.1)


def test_stickiness_moves_a_user_only_when_the_target_becomes_unhealthy():
    h = Harness(["us-east-1a"] * 3, stickiness={"enabled": True})
    user = User(1, 1000)
    first = h.send(user).instance
    assert all(h.send(user).instance is first for _ in range(20))
    h.tg.set_health(first, "unhealthy")
    moved = h.send(user).instance
    assert moved is not first
    h.tg.set_health(first, "healthy")
    assert all(h.send(user).instance is moved for _ in range(20))  # the new cookie holds


def test_app_cookie_binds_only_while_the_user_has_a_session():
    h = Harness(["us-east-1a"] * 3, stickiness={"enabled": True, "type": "app_cookie"})
    user = User(1, 1000)
    anonymous = {h.send(user).instance for _ in range(6)}
    assert len(anonymous) == 3  # no application cookie yet: plain round robin
    user.session = Session(1, user, 0.0, None)
    home = h.send(user).instance
    assert all(h.send(user).instance is home for _ in range(20))


def test_the_sticky_cookie_expires_after_its_duration():
    h = Harness(["us-east-1a"] * 2, stickiness={"enabled": True, "duration": 10})
    user = User(1, 1000)
    first = h.send(user).instance
    h.env.run(until=9)
    assert h.send(user).instance is first  # refreshed at 9: valid until 19
    h.env.run(until=19.5)
    assert h.send(user).instance is not first  # expired: round robin picks the next target


def test_cross_zone_off_keeps_each_node_in_its_zone():
    # AZ a has two targets, AZ b one. Cross-zone off (§1.2): clients split 50/50 over the nodes,
    # so b's single target takes half the traffic. 4,000 requests: sd of the share 0.008;
    # tolerance 0.04 (5 sd).
    h = Harness(["us-east-1a", "us-east-1a", "us-east-1b"], cross_zone=False)
    reqs = [h.send() for _ in range(4000)]
    b_target = h.insts[2]
    assert abs(sum(r.instance is b_target for r in reqs) / 4000 - 0.5) < 0.04


def test_cross_zone_off_zone_without_targets_503_until_dns_drops_it():
    h = Harness(["us-east-1a", "us-east-1b"], cross_zone=False)
    b_target = h.insts[1]
    h.tg.deregister(b_target, lambda inst: None)
    reqs = h.send_every(1.0, until=300)
    h.env.run(until=300)
    b_node = [r for r in reqs if h.outcomes[r.id][1] == "503 no_registered_targets"]
    # Requests entering AZ b, which has no target, get 503 (§1.4) until its node leaves DNS
    # 150 s later (§1.5, dns_withdrawal_delay); each comes from a new client that resolves at
    # once, so after that every request reaches AZ a.
    assert b_node and max(r.arrived for r in b_node) < 150.0
    assert abs(len(b_node) / 150 - 0.5) < 0.2
    assert all(h.outcomes[r.id][1] == "ok" for r in reqs if r.arrived >= 150.0)
    assert h.lb.dns == ["us-east-1a"]


def test_no_registered_targets_is_503_and_all_draining_is_503_no_healthy_targets():
    h = Harness(["us-east-1a"], workers=1, cpu=[100.0])
    h.send()  # keeps the only target busy, so its draining lasts
    h.tg.deregister(h.insts[0], lambda inst: None)
    draining = h.send()
    h.env.run(until=400)  # the 300 s delay expires, the target is gone
    gone = h.send()
    assert h.outcomes[draining.id] == (0.0, "503 no_healthy_targets")
    assert h.outcomes[gone.id] == (400.0, "503 no_registered_targets")  # §1.4
