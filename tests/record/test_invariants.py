import pytest

from fleetsim.record.invariants import InvariantError, assert_ledger, check_ledger
from fleetsim.record.recorder import Recorder
from fleetsim.sim.entities import Request, Session, User


def _balanced():
    rec = Recorder(10)
    user = User(1, 2)
    session = Session(1, user, 0.0, None)
    rec.session_created(session)
    for rid in (1, 2):
        req = Request(rid, user, 0.0)
        rec.arrival(req, 0.0)
        (rec.ok if rid == 1 else lambda r, t: rec.fail(r, t, "502 target_reset"))(req, 1.0)
    rec.session_ended(session, 2.0, "completed")
    return rec, user, session


def test_a_balanced_ledger_passes():
    rec, _, _ = _balanced()
    assert all(c.ok for c in check_ledger(rec))
    assert_ledger(rec)


def test_a_second_outcome_for_a_request_is_caught():
    rec, user, _ = _balanced()
    req = Request(9, user, 0.0)
    rec.arrival(req, 0.0)
    rec.ok(req, 1.0)
    rec.fail(req, 2.0, "504 target_timeout")
    with pytest.raises(InvariantError, match="one outcome each"):
        assert_ledger(rec)


def test_a_lost_request_is_caught():
    rec, _, _ = _balanced()
    rec.requests_total += 1  # a request that arrived but was never counted anywhere
    with pytest.raises(InvariantError, match="total = ok \\+ failed"):
        assert_ledger(rec)


def test_a_session_ended_twice_or_never_is_caught():
    rec, user, session = _balanced()
    rec.session_ended(session, 3.0, "lost", "rerouted")
    rec.session_created(Session(2, user, 0.0, None))  # never ended
    with pytest.raises(InvariantError) as info:
        assert_ledger(rec)
    assert "one end each" in str(info.value) and "created = completed" in str(info.value)


def test_latency_quantiles_from_the_histogram_are_within_bin_resolution():
    rec = Recorder(10)
    user = User(1, 1)
    for rid, latency in enumerate([0.01 * k for k in range(1, 101)], start=1):
        req = Request(rid, user, 0.0)
        rec.arrival(req, 0.0)
        rec.ok(req, latency)
    # 100 bins per decade: a quantile is within a factor 10**0.01 (2.3 %) of the true value.
    assert rec.latency_quantile(0.5) == pytest.approx(0.50, rel=0.025)
    assert rec.latency_quantile(0.99) == pytest.approx(0.99, rel=0.025)
