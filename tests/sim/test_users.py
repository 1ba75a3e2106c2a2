"""Users and their planned actions: the same demand in every variant, and what became of it.

Each user's plan is drawn at arrival, so variants of a scenario on one seed face the same users
and the same actions; the ledgers (actions, users, sessions, requests) balance in every run; a
lost session costs a login request and the work the session held.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from typing import Any

import pandas as pd
import pytest
import yaml

import fleetsim
from fleetsim.analysis.sweep import sweep
from fleetsim.config import load_scenario
from fleetsim.config.loader import packaged_scenarios
from fleetsim.sim.world import simulate
from tests.conftest import BASE, make_scenario, merge

MINUTES = 40  # as the fingerprints: past every packaged fault and deploy


def _ledgers_balance(s: dict[str, Any]) -> None:
    assert s["invariants_ok"]
    assert s["actions_total"] == (
        s["actions_served"]
        + s["actions_failed"]
        + s["actions_abandoned"]
        + s["actions_pending_at_end"]
    )
    assert s["users_total"] == (
        s["users_completed"] + s["users_left_early"] + s["users_active_at_end"]
    )
    assert s["users_left_early"] == (
        s["users_left_early_failures"] + s["users_left_early_lost_session"]
    )
    assert s["users_turned_away"] <= s["users_left_early_failures"]
    assert s["actions_failed"] == s["users_left_early"]
    assert s["sessions_total"] == (
        s["sessions_completed"]
        + s["sessions_lost"]
        + s["sessions_abandoned"]
        + s["sessions_expired"]
        + s["sessions_active_at_end"]
    )
    assert s["requests_total"] == (
        s["requests_ok"] + s["requests_failed"] + s["requests_in_flight_at_end"]
    )


@pytest.mark.parametrize("name", list(packaged_scenarios()))
def test_every_variant_of_a_packaged_scenario_faces_the_same_demand(name: str) -> None:
    variants = fleetsim.load_variants(name, [f"duration={MINUTES}m"])
    summaries = {v: dict(simulate(sc).summary()) for v, sc in variants.items()}
    for s in summaries.values():
        _ledgers_balance(s)
    assert len({s["users_total"] for s in summaries.values()}) == 1, summaries
    assert len({s["actions_total"] for s in summaries.values()}) == 1, summaries


@pytest.fixture(scope="module")
def az_outage() -> dict[str, dict[str, Any]]:
    # The packaged scenario as shipped: one hour, its own seed.
    return {
        v: dict(simulate(sc).summary()) for v, sc in fleetsim.load_variants("az-outage").items()
    }


def test_az_outage_stateless_serves_its_users_better(az_outage):
    # What an architect expects: keeping sessions off the instances loses none when an AZ
    # fails, so fewer users are hurt, fewer actions fail and fewer are abandoned.
    stateful, stateless = az_outage["stateful"], az_outage["stateless"]
    assert stateful["actions_total"] == stateless["actions_total"]
    assert stateless["sessions_lost"] == 0 < stateful["sessions_lost"]
    assert stateless["users_affected"] < stateful["users_affected"]
    assert stateless["actions_failed"] < stateful["actions_failed"]
    assert stateless["actions_abandoned"] < stateful["actions_abandoned"]
    assert (
        stateless["users_left_early_lost_session"] == 0 < stateful["users_left_early_lost_session"]
    )


def test_az_outage_failed_requests_alone_point_the_other_way(az_outage):
    # Users who give up send nothing more to fail, and sticky users pinned to the dead AZ fail
    # fewer, slower attempts: counted per request, the stateful design looks better.
    stateful, stateless = az_outage["stateful"], az_outage["stateless"]
    assert stateful["requests_failed"] < stateless["requests_failed"]


def test_az_outage_the_readme_s_other_claims(az_outage):
    # README, "How to read it to a class": the per-request picture and what each design pays.
    stateful, stateless = az_outage["stateful"], az_outage["stateless"]
    assert stateful["users_total"] == stateless["users_total"]
    # Lost sessions cost a login and the work they held; stateless users leave far less often.
    assert stateful["actions_redone"] > 0 == stateless["actions_redone"]
    assert stateless["users_left_early"] < stateful["users_left_early"] / 2
    # Unpinned requests reach the dead AZ's instances until the checks take them out (504);
    # the node's failures hit both designs alike (users on the dead node's connection).
    causes = {v: s["failed_by_cause"] for v, s in az_outage.items()}
    assert causes["stateless"]["504 target_timeout"] > causes["stateful"]["504 target_timeout"]
    assert causes["stateless"]["000 alb_node_down"] == causes["stateful"]["000 alb_node_down"] > 0
    # The Redis nodes are the stateless design's price.
    assert stateless["cost_usd"] > stateful["cost_usd"]


def _lossy(**extra: Any) -> fleetsim.Result:
    # Sessions in instance memory without stickiness: most requests reach another instance
    # and find no session (the trap the warning names), so sessions are lost all the time.
    with pytest.warns(UserWarning, match="alb.stickiness.enabled"):
        sc = load_scenario(
            merge(
                BASE,
                merge(
                    {
                        "duration": 300,
                        "traffic": {"mix": {}, "relogin_probability": 1.0},
                        "record": {"requests": True},
                    },
                    extra,
                ),
            )
        )
    return simulate(sc)


def test_a_relogin_is_a_login_request_sent_before_the_action_is_tried_again():
    result = _lossy()
    s = result.summary()
    req, sessions = result.requests, result.sessions
    assert s["sessions_lost"] > 100
    # Every request that ended is a row and counted, logins included.
    assert len(req) == s["requests_ok"] + s["requests_failed"]
    logins = req[req.kind == "login"]
    assert len(logins[logins.outcome == "ok"]) >= s["sessions_total"] - s["requests_failed"]
    # Each user's second session starts with a login request of its own, after the first ended.
    lost = sessions[sessions.outcome == "lost"].sort_values("start").groupby("user").first()
    checked = 0
    for user, row in lost.head(50).iterrows():
        later = logins[(logins.user == user) & (logins.arrived >= row.end)]
        assert len(later) >= 1, user
        checked += 1
    assert checked == 50


def test_the_work_a_lost_session_held_is_redone():
    with_work = _lossy(traffic={"session_work_actions": 2}).summary()
    without = _lossy(traffic={"session_work_actions": 0}).summary()
    assert without["actions_redone"] == 0
    # At most two actions redone per lost (or expired) session, and some are.
    ended = with_work["sessions_lost"] + with_work["sessions_expired"]
    assert 0 < with_work["actions_redone"] <= 2 * ended
    # Same users, same plans: the redone work is extra requests, not extra demand.
    assert with_work["actions_total"] == without["actions_total"]
    assert with_work["requests_total"] > without["requests_total"]


def test_a_user_who_never_logs_in_is_turned_away():
    # One AZ, dark from the start: every login fails.
    sc = make_scenario(
        duration=120,
        azs=["a"],
        state={"sessions": "ideal"},
        faults=[{"kind": "az_outage", "az": "a", "at": 0, "duration": 120}],
        traffic={"abandon_after_failures": 1},
    )
    s = simulate(sc).summary()
    _ledgers_balance(dict(s))
    assert s["sessions_total"] == s["actions_served"] == 0
    assert s["users_turned_away"] == s["users_left_early"] == s["users_affected"] > 0


def test_sessions_in_memory_without_stickiness_warn_naming_the_fixes():
    data = merge(BASE, {"duration": 60})
    with pytest.warns(UserWarning, match="alb.stickiness.enabled") as caught:
        load_scenario(data)
    message = str(caught[0].message)
    assert "alb.stickiness.enabled: true" in message and "state.sessions" in message
    for fixed in (
        {"alb": {"stickiness": {"enabled": True}}},
        {"state": {"sessions": "redis"}},
        {"asg": {"min_size": 1, "max_size": 1, "desired_capacity": 1}},
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            load_scenario(merge(data, fixed))


def test_the_warning_reaches_validate_and_run_as_one_line(tmp_path):
    path = tmp_path / "trap.yaml"
    path.write_text("name: trap\nduration: 30\n")
    for command in (["validate"], ["run", "--format", "json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "fleetsim", *command, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("fleetsim: warning: state.sessions")
        assert "Traceback" not in proc.stderr


USER_KEYS = [
    "users_total",
    "users_completed",
    "users_affected",
    "users_turned_away",
    "users_left_early",
    "users_left_early_failures",
    "users_left_early_lost_session",
    "users_active_at_end",
    "actions_total",
    "actions_served",
    "actions_failed",
    "actions_abandoned",
    "actions_pending_at_end",
    "actions_redone",
]


def test_the_new_keys_reach_json_the_compare_table_and_the_sweep_parquet(tmp_path):
    small = merge(BASE, {"duration": 60, "state": {"sessions": "ideal"}})
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump({**small, "variants": {"a": {}, "b": {"asg.max_size": 7}}}))
    run = subprocess.run(
        [sys.executable, "-m", "fleetsim", "run", str(path), "--variant", "a", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert set(USER_KEYS) <= set(json.loads(run.stdout))
    for fmt in ("json", "table"):
        proc = subprocess.run(
            [sys.executable, "-m", "fleetsim", "compare", str(path), "--format", fmt],
            capture_output=True,
            text=True,
            check=True,
        )
        if fmt == "json":
            assert all(set(USER_KEYS) <= set(v) for v in json.loads(proc.stdout).values())
        else:
            labels = {line.split()[0] for line in proc.stdout.splitlines()[2:] if line.strip()}
            assert set(USER_KEYS) <= labels
    table = sweep(small, {"asg.desired_capacity": [3]}, out=tmp_path / "sweep.parquet")
    stored = pd.read_parquet(tmp_path / "sweep.parquet")
    assert set(USER_KEYS) <= set(table.columns) and set(USER_KEYS) <= set(stored.columns)
