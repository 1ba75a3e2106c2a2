"""The recorder takes plain values and records plain strings; a level row fills its columns."""

from fleetsim.record.outcomes import LostCause, RequestOutcome, SessionOutcome
from fleetsim.record.recorder import Recorder
from fleetsim.record.rows import LevelLayout, SessionRow


def test_outcome_members_are_recorded_as_their_plain_strings():
    rec = Recorder(10)
    rec.arrival(0.0)
    rec.fail(1.0, RequestOutcome.TARGET_RESET)
    row = SessionRow(1, 1, 0.0, 2.0, SessionOutcome.LOST, LostCause.STORE_FAILOVER, 3, None)
    rec.session_ended(row)
    keys = [*rec.failed, *rec.failed_total, *rec.session_outcomes, *rec.lost_by_cause]
    labels = [label for label in rec.session_rows.labels() if label is not None]
    assert keys == ["502 target_reset", "502 target_reset", "lost", "store_failover"]
    assert labels == ["lost", "store_failover"]
    assert all(type(k) is str for k in keys + labels)  # not the enum members
    assert list(rec.session_rows) == [(1, 1, 0.0, 2.0, "lost", "store_failover", 3, None)]


def test_a_failure_cause_splits_into_status_and_reason():
    assert (RequestOutcome.NO_HEALTHY_TARGETS.status, RequestOutcome.NO_HEALTHY_TARGETS.reason) == (
        "503",
        "no_healthy_targets",
    )
    assert RequestOutcome.OK.status == "" and RequestOutcome.OK.reason == ""


def test_a_level_row_fills_the_columns_it_names():
    layout = LevelLayout(("us-east-1a", "us-east-1b"), ("desired", "warm_pool"))
    row = layout.row(
        time=7,
        in_service=3,
        in_service_by_az={"us-east-1b": 1, "us-east-1a": 2},
        pending=1,
        healthy_targets=3,
        busy_workers=5,
        queued=0,
        sessions_active=9,
        group=(4, 0),
    )
    assert dict(zip(layout.columns, row, strict=True)) == {
        "time": 7,
        "in_service": 3,
        "in_service_us-east-1a": 2,
        "in_service_us-east-1b": 1,
        "pending": 1,
        "healthy_targets": 3,
        "busy_workers": 5,
        "queued": 0,
        "sessions_active": 9,
        "desired": 4,
        "warm_pool": 0,
    }
