import pytest

from fleetsim.record.invariants import InvariantError, assert_ledger, check_ledger
from fleetsim.record.outcomes import LostCause, SessionOutcome
from fleetsim.record.recorder import Recorder
from fleetsim.sim.entities import Request, Session, User


def _balanced():
    rec = Recorder(10)
    user = User(1, 2)
    session = Session(1, user, 0.0, None)
    rec.session_created()
    for rid in (1, 2):
        req = Request(rid, user, 0.0)
        rec.arrival(0.0)
        if rid == 1:
            req.succeed(rec, 1.0)
        else:
            req.fail(rec, 1.0, "502 target_reset")
    session.end(rec, 2.0, SessionOutcome.COMPLETED)
    return rec, user, session


def test_a_balanced_ledger_passes():
    rec, _, _ = _balanced()
    assert all(c.ok for c in check_ledger(rec))
    assert_ledger(rec)


def test_a_second_outcome_for_a_request_is_caught():
    rec, user, _ = _balanced()
    req = Request(9, user, 0.0)
    rec.arrival(0.0)
    req.succeed(rec, 1.0)
    req.fail(rec, 2.0, "504 target_timeout")  # refused by the request, counted by the ledger
    assert rec.requests_ok == 2 and rec.requests_failed == 1
    with pytest.raises(InvariantError, match="one outcome each"):
        assert_ledger(rec)


def test_a_lost_request_is_caught():
    rec, _, _ = _balanced()
    rec.requests_total += 1  # a request that arrived but was never counted anywhere
    with pytest.raises(InvariantError, match="total = ok \\+ failed"):
        assert_ledger(rec)


def test_a_session_ended_twice_or_never_is_caught():
    rec, _, session = _balanced()
    session.end(rec, 3.0, SessionOutcome.LOST, LostCause.REROUTED)
    rec.session_created()  # a second session, never ended
    with pytest.raises(InvariantError) as info:
        assert_ledger(rec)
    assert "one end each" in str(info.value) and "created = completed" in str(info.value)


def test_latency_quantiles_from_the_histogram_are_within_bin_resolution():
    rec = Recorder(10)
    user = User(1, 1)
    for rid, latency in enumerate([0.01 * k for k in range(1, 101)], start=1):
        req = Request(rid, user, 0.0)
        rec.arrival(0.0)
        req.succeed(rec, latency)
    # 100 bins per decade: a quantile is within a factor 10**0.01 (2.3 %) of the true value.
    assert rec.latency_quantile(0.5) == pytest.approx(0.50, rel=0.025)
    assert rec.latency_quantile(0.99) == pytest.approx(0.99, rel=0.025)


def test_the_users_and_actions_ledgers_balance_and_a_lost_action_is_caught():
    rec, _, _ = _balanced()
    rec.user_arrived(5)
    rec.action_served()
    rec.user_ended("left_failures", failed=1, abandoned=3, pending=0, turned_away=False,
                   affected=True)  # fmt: skip
    rec.user_arrived(2)
    rec.user_ended("active", failed=0, abandoned=0, pending=2, turned_away=False, affected=False)
    assert_ledger(rec)
    rec.actions_total += 1  # an action planned but never ended
    with pytest.raises(InvariantError, match="actions: total = served"):
        assert_ledger(rec)


def test_a_user_never_ended_is_caught():
    rec, _, _ = _balanced()
    rec.user_arrived(1)
    with pytest.raises(InvariantError, match="users: total = completed"):
        assert_ledger(rec)
