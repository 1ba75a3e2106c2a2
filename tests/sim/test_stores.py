"""Session stores in isolation: Redis failover, lag window, eviction, latency; DynamoDB; uploads."""

from __future__ import annotations

import pytest

from fleetsim.config.state import StateConfig
from fleetsim.record.recorder import Recorder
from fleetsim.sim.engine import Engine
from fleetsim.sim.entities import User
from fleetsim.sim.stores import DynamoDbStore, RedisStore
from fleetsim.sim.stores.uploads import UploadStore
from fleetsim.sim.zones import Zone

AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


class FakeInstance:
    def __init__(self, az: str, state: str = "running") -> None:
        self.az = az
        self.state = state


def redis(**redis_cfg):
    env = Engine()
    rec = Recorder(3600)
    zones = {az: Zone(az) for az in AZS}
    cfg = StateConfig.model_validate(
        {"sessions": "redis", "redis": {"primary_az": AZS[0], **redis_cfg}}
    )
    return RedisStore(cfg, env, rec, zones), env, rec, zones


def login(store, sid, now, az=AZS[0]):
    session = store.login(sid, User(sid, 5), FakeInstance(az), now)
    assert not isinstance(session, str)
    return session


def test_reserved_memory_is_a_quarter_of_maxmemory():
    # reserved-memory-percent defaults to 25 % of maxmemory (§4): 8 KB holds 3 sessions of 2 KB.
    store, *_ = redis(maxmemory=8192)
    assert store.capacity == 3


def test_volatile_lru_is_the_default_and_evicts_the_least_recently_used_session():
    # maxmemory-policy default volatile-lru (§4); sessions carry a TTL, so all are candidates.
    store, *_ = redis(maxmemory=8192)
    assert store.cfg.maxmemory_policy == "volatile-lru"
    s1, s2, s3 = (login(store, i, float(i)) for i in (1, 2, 3))
    inst = FakeInstance(AZS[0])
    s1.touched = 4.0
    assert store.check(s1, inst) is None  # s1 read: now s2 is the least recently used
    s4 = login(store, 4, 5.0)
    assert s2.lost == "store_evicted"
    assert s1.lost is None and s3.lost is None and s4.lost is None
    login(store, 5, 6.0)
    assert s3.lost == "store_evicted"  # then s3, and so on in LRU order
    assert list(store.data) == [1, 4, 5]
    assert store.evicted == 2


def test_without_ttl_volatile_lru_cannot_evict_and_the_login_fails():
    # Under volatile-lru only keys with a TTL can be evicted (§4).
    store, *_ = redis(maxmemory=8192, ttl=False)
    for i in (1, 2, 3):
        login(store, i, float(i))
    result = store.login(4, User(4, 5), FakeInstance(AZS[0]), 4.0)
    assert result == "500 store_full"


@pytest.mark.parametrize(("policy", "ok"), [("allkeys-lru", True), ("noeviction", False)])
def test_other_policies(policy, ok):
    store, *_ = redis(maxmemory=8192, ttl=False, maxmemory_policy=policy)
    first = [login(store, i, float(i)) for i in (1, 2, 3)]
    result = store.login(4, User(4, 5), FakeInstance(AZS[0]), 4.0)
    assert isinstance(result, str) != ok
    assert (first[0].lost == "store_evicted") == ok


def test_an_expired_key_is_dropped_before_any_live_session_is_evicted():
    store, *_ = redis(maxmemory=8192)
    s1, s2, _s3 = (login(store, i, float(i)) for i in (1, 2, 3))
    s1.touched = 0.0
    login(store, 4, 1800.5)  # s1 idle for the whole 1800 s session timeout
    assert s1.lost == "expired"
    assert s2.lost is None
    assert store.evicted == 0


def test_latency_is_a_round_trip_per_operation_same_or_cross_az():
    store, *_ = redis(latency_same_az=0.001, latency_cross_az=0.002, ops_per_second=1e9)
    assert store.access(FakeInstance(AZS[0]), 0.0, False) == pytest.approx(0.001)
    assert store.access(FakeInstance(AZS[1]), 1.0, False) == pytest.approx(0.002)
    # A write request does a read and a write: two round trips.
    assert store.access(FakeInstance(AZS[1]), 2.0, True) == pytest.approx(0.004)


def test_a_saturated_node_queues_operations_fifo():
    # 10 ops/s: each op takes 0.1 s; three reads at the same instant finish 0.1, 0.2, 0.3 s later.
    store, *_ = redis(latency_same_az=0.001, latency_cross_az=0.001, ops_per_second=10)
    inst = FakeInstance(AZS[0])
    delays = [store.access(inst, 5.0, False) for _ in range(3)]
    assert delays == pytest.approx([0.101, 0.201, 0.301])
    # Once the node has caught up, no wait.
    assert store.access(inst, 10.0, False) == pytest.approx(0.101)


def test_lag_window_loss_is_exactly_the_sessions_created_within_the_lag():
    store, env, _rec, zones = redis(
        replica_azs=["us-east-1b"], multi_az=True, replication_lag=1.0, latency_cross_az=0.002
    )
    # The replica trails by the configured lag plus half a cross-AZ round trip: 1.001 s.
    window = store.lag(store.replicas[0])
    assert window == pytest.approx(1.001)
    writes = [50.0, 98.0, 98.998, 99.0, 99.5, 100.0]
    sessions = [login(store, i, t) for i, t in enumerate(writes, start=1)]  # a login writes
    env.run(until=100.0)
    zones["us-east-1a"].set_up(False)
    lost = [s.id for s in sessions if s.lost == "store_failover"]
    in_window = [s.id for s, t in zip(sessions, writes, strict=True) if t > 100.0 - window]
    assert lost == in_window == [4, 5, 6]
    assert all(s.lost is None for s in sessions[:3])
    assert store.primary.az == "us-east-1b"


def test_lag_window_keys_created_there_are_missing_and_keys_updated_there_stale():
    # Fact sheet §8: a key created in the lag window is missing on the new primary; a key only
    # updated there survives with its older value.
    store, env, rec, zones = redis(
        replica_azs=["us-east-1b"], multi_az=True, replication_lag=1.0, latency_cross_az=0.002
    )
    window = store.lag(store.replicas[0])  # 1.001 s: the failover comes at 100, window > 98.999
    # (created, last written): 1-2 untouched since long before, 3-5 created in the window,
    # 6-9 created long before and updated in the window.
    times = [(10, 10), (10, 98.9), (99.0, 99.0), (99.5, 99.7), (100.0, 100.0)]
    times += [(10, 99.0), (50, 99.5), (60, 100.0), (98.9, 99.2)]
    sessions = []
    for sid, (created, written) in enumerate(times, start=1):
        session = login(store, sid, created)
        session.written = written
        session.touched = written
        sessions.append(session)
    env.run(until=100.0)
    zones["us-east-1a"].set_up(False)
    assert 100.0 - window < 99.0
    lost = [s.id for s in sessions if s.lost == "store_failover"]
    assert lost == [3, 4, 5]
    assert sorted(store.data) == [1, 2, 6, 7, 8, 9]  # the updated keys survive
    assert all(s.lost is None for s in sessions if s.id not in lost)
    event = next(e for e in rec.events if e.kind == "store.primary_lost")
    assert "3 created there lost, 4 updated there stale" in event.detail
    # The user of an updated session reads it back once: one stale read each, counted once.
    inst = FakeInstance("us-east-1b")
    for session in sessions:
        if session.lost is None:
            assert store.check(session, inst) is None
    assert store.check(sessions[5], inst) is None
    assert rec.sessions_stale == 4


def test_failover_timeline_follows_detection_promotion_and_dns():
    store, env, rec, zones = redis(
        replica_azs=["us-east-1b"],
        multi_az=True,
        failover={"detection": 12, "promotion": 6, "dns_refresh": 5},
    )
    inst = FakeInstance("us-east-1c")
    env.run(until=100.0)
    zones["us-east-1a"].set_up(False)
    assert store.access(inst, 100.0, False) == "500 store_unavailable"
    env.run(until=200.0)
    times = {kind: t for t, kind, *_ in rec.events if kind.startswith("store.")}
    assert times["store.primary_lost"] == 100.0
    assert times["store.failover_detected"] == 112.0
    assert times["store.promoted"] == 118.0
    assert times["store.writes_resumed"] == 123.0
    assert store.access(inst, 122.999, False) == "500 store_unavailable"
    assert isinstance(store.access(inst, 123.0, False), float)


def test_default_failover_is_about_thirty_seconds_plus_dns():
    # Detection + promotion "should usually take about 30 seconds"; client DNS TTL 5–10 s (§4).
    f = StateConfig().redis.failover
    assert f.detection + f.promotion == 30.0
    assert 5.0 <= f.dns_refresh <= 10.0
    assert StateConfig().redis.multi_az is False  # AutomaticFailoverEnabled API default (§4)


def test_without_failover_the_primary_loss_loses_everything_until_recreated_empty():
    store, env, _rec, zones = redis(replica_azs=["us-east-1b"], multi_az=False)
    sessions = [login(store, i, 0.0) for i in range(1, 4)]
    env.run(until=10.0)
    zones["us-east-1a"].set_up(False)
    assert [s.lost for s in sessions] == ["store_down"] * 3
    assert store.access(FakeInstance(AZS[1]), 10.0, True) == "500 store_unavailable"
    env.run(until=50.0)
    zones["us-east-1a"].set_up(True)
    env.run(until=50.0 + 299.0)
    assert store.down  # node replacement takes 300 s ("a few minutes", §4)
    env.run(until=50.0 + 301.0)
    assert not store.down and not store.data
    assert isinstance(store.access(FakeInstance(AZS[1]), 351.0, True), float)


def test_no_live_replica_means_no_failover():
    store, _env, _rec, zones = redis(replica_azs=["us-east-1a"], multi_az=True)
    s = login(store, 1, 0.0)
    zones["us-east-1a"].set_up(False)
    assert s.lost == "store_down" and store.down


def test_redis_cost_counts_every_node():
    store, *_ = redis(replica_azs=["us-east-1b", "us-east-1c"], multi_az=True)
    # cache.r7g.large on-demand $0.219/h (Price List API via third-party tables).
    [item] = store.costs(3600.0)
    assert item.key == "elasticache:cache.r7g.large" and item.usd == pytest.approx(3 * 0.219)


def test_dynamodb_capacity_units_and_throttling():
    # Eventual read 0.5 RCU per 4 KB, strong 1 RCU; write 1 WCU per 1 KB (§5).
    eventual = DynamoDbStore(StateConfig(session_size=2048))
    assert (eventual.rcu, eventual.wcu) == (0.5, 2.0)
    strong = DynamoDbStore(
        StateConfig.model_validate({"session_size": 5000, "dynamodb": {"consistent_reads": True}})
    )
    assert strong.rcu == 2.0
    cfg = StateConfig.model_validate(
        {"dynamodb": {"capacity_mode": "provisioned", "read_capacity": 100, "write_capacity": 4}}
    )
    store = DynamoDbStore(cfg)
    inst = FakeInstance(AZS[0])
    assert store.access(inst, 0.1, True) == pytest.approx(0.010)
    assert store.access(inst, 0.2, True) == pytest.approx(0.010)
    assert store.access(inst, 0.3, True) == "500 store_throttled"  # 4 WCU used this second
    assert store.access(inst, 0.4, False) == pytest.approx(0.004)  # reads still fit
    assert store.access(inst, 1.0, True) == pytest.approx(0.010)  # next second
    assert store.throttled == 1


def test_uploads_on_instance_disk_are_lost_only_with_terminated_instances():
    rec = Recorder(60)
    disk = UploadStore(StateConfig(uploads="instance_disk"), rec)
    alive, gone = FakeInstance(AZS[0]), FakeInstance(AZS[1], state="terminated")
    for inst in (alive, alive, gone, gone, gone):
        disk.stored(inst)
    assert disk.settle([alive, gone]) == 3
    assert (rec.uploads_total, rec.uploads_lost) == (5, 3)
    assert rec.uploads_lost_by_cause == {"instance_terminated": 3}
    rec2 = Recorder(60)
    s3 = UploadStore(StateConfig(uploads="s3"), rec2)
    s3.stored(gone)
    assert s3.settle([gone]) == 0 and s3.latency == 0.1
