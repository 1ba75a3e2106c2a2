"""Conservation checks run at the end of every simulation.

Every request ends in exactly one outcome (or is still in flight when the run stops); every
session ends exactly once (completed, lost with a cause, abandoned, expired, or active at the
end); every user's visit ends once (completed, left early, or active at the end) and every
action a user planned ends once (served, failed, abandoned, or pending at the end). A run whose
ledger does not balance raises :class:`InvariantError` instead of returning a Result.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetsim.record.outcomes import UserOutcome
from fleetsim.record.recorder import Recorder


class InvariantError(AssertionError):
    """The run's ledger does not balance; the message lists every broken invariant."""


@dataclass(frozen=True)
class Check:
    """One invariant and whether it held."""

    name: str
    ok: bool
    detail: str


def check_ledger(rec: Recorder) -> list[Check]:
    """Return every invariant of a finished run's ledger with its verdict."""
    failed_sum = sum(rec.failed_total.values())
    outcomes = rec.session_outcomes
    ended = sum(outcomes.values())
    checks = [
        Check(
            "requests: total = ok + failed + in flight",
            rec.requests_total == rec.requests_ok + rec.requests_failed + rec.in_system,
            f"{rec.requests_total} vs {rec.requests_ok} + {rec.requests_failed} + {rec.in_system}",
        ),
        Check("requests: one outcome each", rec.double_outcomes == 0, f"{rec.double_outcomes}"),
        Check(
            "requests: failures by cause add up",
            failed_sum == rec.requests_failed,
            f"{failed_sum} vs {rec.requests_failed}",
        ),
        Check(
            "requests: per-second bins add up",
            sum(rec.arrival_bins) == rec.requests_total and sum(rec.ok_bins) == rec.requests_ok,
            f"{sum(rec.arrival_bins)}/{rec.requests_total}, {sum(rec.ok_bins)}/{rec.requests_ok}",
        ),
        Check("requests: none in flight below zero", rec.in_system >= 0, f"{rec.in_system}"),
        Check(
            "sessions: created = completed + lost + abandoned + expired + active",
            rec.sessions_created == ended,
            f"{rec.sessions_created} vs {outcomes}",
        ),
        Check("sessions: one end each", rec.double_session_ends == 0, f"{rec.double_session_ends}"),
        Check(
            "sessions: losses by cause add up",
            sum(rec.lost_by_cause.values()) == outcomes.get("lost", 0),
            f"{rec.lost_by_cause} vs {outcomes.get('lost', 0)}",
        ),
    ]
    return checks + _user_checks(rec)


def _user_checks(rec: Recorder) -> list[Check]:
    # Every planned action ends once; every user's visit ends once (or is active at the end).
    users = rec.user_outcomes
    ended = sum(users.values())
    left = users.get(UserOutcome.LEFT_FAILURES, 0) + users.get(UserOutcome.LEFT_LOST_SESSION, 0)
    actions = rec.actions_served + rec.actions_failed + rec.actions_abandoned + rec.actions_pending
    return [
        Check(
            "actions: total = served + failed + abandoned + pending at end",
            rec.actions_total == actions,
            f"{rec.actions_total} vs {rec.actions_served} + {rec.actions_failed} + "
            f"{rec.actions_abandoned} + {rec.actions_pending}",
        ),
        Check(
            "users: total = completed + left early + active at end",
            rec.users_total == ended,
            f"{rec.users_total} vs {users}",
        ),
        Check(
            "users: each who left early failed the action they were trying",
            rec.actions_failed == left,
            f"{rec.actions_failed} vs {left}",
        ),
        Check(
            "users: turned away and affected are among the users",
            rec.users_turned_away <= left and rec.users_affected <= rec.users_total,
            f"{rec.users_turned_away} <= {left}, {rec.users_affected} <= {rec.users_total}",
        ),
    ]


def assert_ledger(rec: Recorder) -> list[Check]:
    """Check the ledger and raise :class:`InvariantError` naming every violation.

    Returns:
        The checks (all passing) so callers can report them.
    """
    checks = check_ledger(rec)
    broken = [c for c in checks if not c.ok]
    if broken:
        raise InvariantError(
            "ledger does not balance: " + "; ".join(f"{c.name} ({c.detail})" for c in broken)
        )
    return checks
