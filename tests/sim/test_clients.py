"""Clients reaching the ALB's nodes (fleetsim.sim.clients): DNS TTL, long caches, keep-alive,
trying the next address. Exact checks on hand-driven load balancers (tests/sim/alb_harness.py):
cross-zone is off, so the AZ of the target that served a request names the node it went through.
"""

from __future__ import annotations

import numpy as np

from fleetsim.config.clients import ClientsConfig
from fleetsim.sim.clients import DNS_TTL_S, ClientModel
from fleetsim.sim.entities import Request, User
from tests.sim.alb_harness import Harness

AZS = ["us-east-1a", "us-east-1b"]
FAIL_AT = 200.0
WITHDRAWN = FAIL_AT + 150.0  # default dns_withdrawal_delay (fact sheet §6)
CONNECT = ClientsConfig().connect_timeout


def _harness(**clients: object) -> Harness:
    return Harness(AZS, workers=100, queue=1000, cross_zone=False, clients=clients)


def _users(h: Harness, n: int, gap: float, until: float) -> list[Request]:
    # n users, each sending a request every ``gap`` seconds, their starts spread over a TTL
    # (so that their DNS resolutions, one per TTL, are spread evenly over time).
    sent: list[Request] = []

    def user(uid: int):  # type: ignore[no-untyped-def]
        me = User(uid, 10**6)
        yield h.env.timeout(DNS_TTL_S * uid / n)
        while h.env.now < until:
            sent.append(h.send(me))
            yield h.env.timeout(gap)

    for uid in range(n):
        h.env.process(user(uid))
    return sent


def _fail_b_at(h: Harness, at: float) -> None:
    def fail():  # type: ignore[no-untyped-def]
        yield h.env.timeout(at)
        h.lb.node_failed("us-east-1b")

    h.env.process(fail())


def _sent(req: Request) -> float:
    return req.arrived - req.waited


def _az(req: Request) -> str:
    # With cross-zone off, the AZ of the node the request went through.
    assert req.instance is not None
    return req.instance.az


def _node_down(h: Harness, reqs: list[Request]) -> list[Request]:
    return [r for r in reqs if h.outcomes.get(r.id, (0.0, ""))[1] == "000 alb_node_down"]


def test_ttl_clients_stop_reaching_a_withdrawn_node_within_the_ttl():
    # Every client keeps the answer 60 s (§1.5, §9.9) and fails when its first address is dead;
    # no keep-alive, so every request connects and clients keep resolving.
    h = _harness(next_address_share=0, keep_alive=False)
    _fail_b_at(h, FAIL_AT)
    reqs = _users(h, 300, 5.0, 700.0)
    h.env.run(until=800)
    assert h.lb.dns == ["us-east-1a"]
    down = [_sent(r) for r in _node_down(h, reqs)]
    assert down and min(down) >= FAIL_AT
    # None later than withdrawal + TTL; clients that resolved just before it still fail late.
    assert max(down) < WITHDRAWN + DNS_TTL_S
    assert max(down) > WITHDRAWN + DNS_TTL_S / 2
    late = [r for r in reqs if _sent(r) >= WITHDRAWN + DNS_TTL_S]
    assert late and all(h.outcomes[r.id][1] == "ok" for r in late if r.id in h.outcomes)


def _late_failures(share: float) -> tuple[int, float]:
    h = _harness(next_address_share=0, long_cache_share=share, long_cache=600)
    _fail_b_at(h, FAIL_AT)
    reqs = _users(h, 1000, 10.0, 1000.0)
    h.env.run(until=1100)
    down = [_sent(r) for r in _node_down(h, reqs)]
    return sum(t >= WITHDRAWN + DNS_TTL_S for t in down), max(down)


def test_long_caching_clients_keep_failing_in_proportion_to_their_share():
    # Past withdrawal + TTL only the long-caching clients still hold the dead node's address;
    # they fail until their 600 s cache runs out. Same clients in every run (common random
    # numbers): doubling the share adds as many again; tolerance about 3 sigma at ~125 clients.
    none, last_none = _late_failures(0.0)
    quarter, _ = _late_failures(0.25)
    half, last_half = _late_failures(0.5)
    assert none == 0 and last_none < WITHDRAWN + DNS_TTL_S
    assert 0 < quarter < half
    assert 1.6 < half / quarter < 2.4
    # They resolved at their first request, in the first minute: their caches end by 660 s.
    assert WITHDRAWN + DNS_TTL_S < last_half < 600.0 + DNS_TTL_S


def test_next_address_clients_lose_one_connect_and_succeed_on_the_other_node():
    # No keep-alive: every request connects; half the answers list the dead node first.
    h = _harness(next_address_share=1, keep_alive=False)
    _fail_b_at(h, 0.0)
    reqs = _users(h, 100, 5.0, 140.0)
    h.env.run(until=300)
    assert all(h.outcomes[r.id][1] == "ok" for r in reqs)
    assert all(r.instance is not None and r.instance.az == "us-east-1a" for r in reqs)
    waits = {round(r.waited, 9) for r in reqs}
    assert waits == {0.0, CONNECT}  # at most one failed connect per request
    slow = sum(r.waited > 0 for r in reqs) / len(reqs)
    assert abs(slow - 0.5) < 0.1


def test_when_every_address_is_dead_the_request_fails_after_a_connect_to_each():
    h = Harness(AZS, cross_zone=False, clients={"next_address_share": 1})
    h.lb.node_failed("us-east-1a")
    h.lb.node_failed("us-east-1b")
    req = h.send()
    h.env.run(until=100)
    assert h.outcomes[req.id] == (2 * CONNECT, "000 alb_node_down")


def test_a_keep_alive_connection_pins_a_user_to_one_node():
    # A user sending every 10 s never idles 60 s: one connection for the whole run.
    h = _harness()
    me = User(1, 10**6)
    reqs = h.send_every(10.0, 1000.0, me)
    h.env.run(until=1100)
    assert len({_az(r) for r in reqs}) == 1
    # The ALB closes a connection after client_keep_alive (§9.9): the user reconnects to the
    # first address of a fresh answer, whose order varies, so the node changes at some reopen.
    h = _harness()
    h.lb.clients = ClientModel(ClientsConfig(), np.random.default_rng(3), 60.0, 300.0)
    reqs = h.send_every(10.0, 1200.0, User(2, 10**6))
    h.env.run(until=1300)
    lives = (0, 300, 600, 900)
    per_life = [{_az(r) for r in reqs if k <= r.arrived < k + 300} for k in lives]
    assert all(len(azs) == 1 for azs in per_life)
    assert len(set().union(*per_life)) == 2


def test_a_pinned_user_ignores_dns_until_its_connection_closes():
    # Cross-zone off, AZ b loses its only target: its node leaves DNS after 150 s (§1.5), but a
    # user already connected to it keeps sending there (503) while a new user reaches AZ a.
    h = _harness()
    users = [User(i, 10**6) for i in range(20)]
    first = [h.send(u) for u in users]
    h.env.run(until=1)
    pinned = next(u for u, r in zip(users, first, strict=True) if _az(r) == "us-east-1b")
    h.tg.deregister(h.insts[1], lambda inst: None)
    reqs = h.send_every(10.0, 400.0, pinned)
    h.env.run(until=450)
    assert h.lb.dns == ["us-east-1a"]
    after = [r for r in reqs if r.arrived > WITHDRAWN - FAIL_AT + DNS_TTL_S + 10]
    assert after and all(h.outcomes[r.id][1] == "503 no_registered_targets" for r in after)
    fresh = h.send()
    h.env.run(until=460)
    assert fresh.instance is h.insts[0]


def test_the_alb_closes_idle_and_old_connections():
    model = ClientModel(ClientsConfig(), np.random.default_rng(1), 60.0, 3600.0)
    client = model.new_client()
    model.connected(client, "us-east-1a", 0.0)
    assert model.pinned(client, 60.0) == "us-east-1a"  # idle exactly the timeout: still open
    assert model.pinned(client, 120.5) is None  # idle 60.5 s (§9.9: idle timeout 60 s)
    model.connected(client, "us-east-1b", 200.0)
    t = 200.0
    while t + 50 < 200.0 + 3600:
        t += 50
        assert model.pinned(client, t) == "us-east-1b"
    assert model.pinned(client, 3800.0) is None  # client_keep_alive 3600 s reached


def test_clients_share_draws_across_variants():
    # Three draws per client whatever the shares: the same users get the same answer orders,
    # and a larger share only turns more of the same clients into long-cachers.
    def draw(share: float) -> list[tuple[float, bool, float]]:
        cfg = ClientsConfig(long_cache_share=share, next_address_share=share)
        model = ClientModel(cfg, np.random.default_rng(5), 60.0, 3600.0)
        out = []
        for _ in range(500):
            c = model.new_client()
            out.append((c.cache_s, c.next_address, c.turn))
        return out

    low, high = draw(0.2), draw(0.6)
    assert [t for *_, t in low] == [t for *_, t in high]
    assert all(h_[0] > DNS_TTL_S for lo, h_ in zip(low, high, strict=True) if lo[0] > DNS_TTL_S)
    assert all(h_[1] for lo, h_ in zip(low, high, strict=True) if lo[1])
    assert sum(c > DNS_TTL_S for c, *_ in low) < sum(c > DNS_TTL_S for c, *_ in high)
