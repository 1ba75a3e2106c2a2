"""The vocabulary of the ledger: how sessions, visits and requests end; why sessions are lost.

Every value is a ``StrEnum``: it compares, hashes and formats as its plain string, so the recorded
rows, the summary's keys and the frames hold exactly the strings they always held, while the code
that produces and compares them names a member instead of spelling a string.
"""

from __future__ import annotations

from enum import StrEnum


class SessionOutcome(StrEnum):
    """The one outcome of a session (the ``sessions`` frame's ``outcome``)."""

    COMPLETED = "completed"  # the user made every request
    LOST = "lost"  # the session's data was gone (a :class:`LostCause` says why)
    ABANDONED = "abandoned"  # the user gave up after consecutive failures
    EXPIRED = "expired"  # idle past ``state.session_timeout``
    ACTIVE = "active"  # still running when the run ended


class UserOutcome(StrEnum):
    """How a user's visit ended (the users ledger)."""

    COMPLETED = "completed"  # every planned action was served
    LEFT_FAILURES = "left_failures"  # gave up after ``abandon_after_failures`` failures in a row
    LEFT_LOST_SESSION = "left_lost_session"  # lost the session and did not log in again
    ACTIVE = "active"  # still in progress when the run ended


class LostCause(StrEnum):
    """Why a lost session's data was gone (the ``sessions`` frame's ``cause``)."""

    INSTANCE_TERMINATED = "instance_terminated"  # its home instance (and its data) is gone
    REROUTED = "rerouted"  # routed to an instance other than its home
    STORE_EVICTED = "store_evicted"  # Redis evicted the key to make room
    STORE_FAILOVER = "store_failover"  # written after the promoted replica's lag
    STORE_DOWN = "store_down"  # the store lost its data (no failover)
    UNKNOWN = "unknown"  # a loss recorded without a cause


class RequestOutcome(StrEnum):
    """How a request ended: ``ok``, or ``"<status> <reason>"`` for a failure.

    Components may also record a failure cause that is not listed here (the ledger keeps any
    string); :attr:`status` and :attr:`reason` split a member the way such a string is split.
    """

    OK = "ok"
    ALB_NODE_DOWN = "000 alb_node_down"  # sent to a dead AZ's ALB node: never reached the ALB
    INSTANCE_DOWN = "000 instance_down"  # sent straight to a dead instance (direct clients)
    STORE_UNAVAILABLE = "500 store_unavailable"
    STORE_FULL = "500 store_full"
    STORE_THROTTLED = "500 store_throttled"
    TARGET_RESET = "502 target_reset"
    DEREGISTRATION_TIMEOUT = "502 deregistration_timeout"
    NO_REGISTERED_TARGETS = "503 no_registered_targets"
    NO_HEALTHY_TARGETS = "503 no_healthy_targets"
    TARGET_OVERLOADED = "503 target_overloaded"
    TARGET_TIMEOUT = "504 target_timeout"

    @property
    def status(self) -> str:
        """The HTTP status (``000`` when no HTTP answer came), empty for ``ok``."""
        return split_cause(self)[0]

    @property
    def reason(self) -> str:
        """The reason after the status, empty for ``ok``."""
        return split_cause(self)[1]


def split_cause(cause: str) -> tuple[str, str]:
    """Split a failure cause ``"<status> <reason>"`` into its status and reason (plain strings)."""
    if cause == RequestOutcome.OK:
        return "", ""
    status, _, reason = str(cause).partition(" ")
    return status, reason
