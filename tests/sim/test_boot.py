"""Boot phases: sums, failures, timeouts, and what becomes of an instance that never boots."""

import pytest

from fleetsim.config import ConfigError, load_scenario
from fleetsim.config.app import InstanceConfig
from fleetsim.sim.boot import BootModel
from fleetsim.sim.rng import RandomStreams
from fleetsim.sim.world import simulate
from tests.conftest import BASE, merge

CONST_BOOT = {
    "api": 5,
    "pending": 15,
    "os_boot": 3,
    "user_data": [
        {"name": "package_install", "duration": 60},
        {"name": "artifact_download", "size_mb": 400, "bandwidth_mb_s": 20},  # 20 s
        {"name": "build", "duration": 100},
    ],
    "app_start": 7,
}


def _model(boot, ami="baked"):
    cfg = InstanceConfig.model_validate({"ami": ami, "boot": boot})
    return BootModel(cfg.boot, RandomStreams(1).stream)


def test_phases_sum_to_the_time_to_ready():
    plan = _model(CONST_BOOT).plan()
    assert plan.launch == 20  # API 5 + pending 15, not billed
    assert [name for name, _ in plan.phases] == [
        "os_boot",
        "package_install",
        "artifact_download",
        "build",
        "app_start",
    ]
    assert plan.ready_after == 3 + 60 + 20 + 100 + 7
    assert plan.time_to_ready == 210 and not plan.failed


def test_profiles_cite_the_measured_launch_and_differ_by_user_data():
    baked = InstanceConfig.model_validate({"ami": "baked"}).boot
    boot = InstanceConfig.model_validate({"ami": "bootstrapped"}).boot
    # Measured medians (fact sheet §3): API 4.8 s, pending→running 17.8 s, boot 3.2 s.
    assert (baked.api.median, baked.pending.median, baked.os_boot.median) == (4.8, 17.8, 3.2)
    assert baked.user_data == [] and 30 < baked.mean_ready() < 45  # tens of seconds
    assert [s.name for s in boot.user_data] == [
        "package_install",
        "artifact_download",
        "config_fetch",
        "build",
    ]
    assert 240 < boot.mean_ready() - baked.mean_ready() < 360  # minutes of user data


def test_the_classic_15_minute_bootstrap_is_one_override():
    sc = load_scenario(
        merge(
            BASE,
            {
                "instance": {
                    "ami": "bootstrapped",
                    "boot": {
                        "user_data": [{"name": "install_and_build", "duration": 900}],
                        "timeout": "20m",
                    },
                }
            },
        )
    )
    plan = BootModel(sc.instance.boot, RandomStreams(3).stream).plan()
    assert dict(plan.phases)["install_and_build"] == 900 and not plan.failed


def test_a_failing_step_stops_the_boot_where_it_failed():
    boot = {**CONST_BOOT, "timeout": 600}
    boot["user_data"] = [
        {"name": "package_install", "duration": 60, "failure_probability": 1.0},
        {"name": "build", "duration": 100},
    ]
    plan = _model(boot).plan()
    assert plan.failure == "package_install failed"
    assert [name for name, _ in plan.phases] == ["os_boot", "package_install"]
    assert plan.ready_after == 3 + 60  # the bootstrap stops there; nothing waits for a timeout


def test_a_step_over_its_timeout_is_killed():
    boot = {**CONST_BOOT, "timeout": 900}
    boot["user_data"] = [{"name": "build", "duration": 500, "timeout": 300}]
    plan = _model(boot).plan()
    assert plan.failure == "build exceeded its 300 s timeout"
    assert dict(plan.phases)["build"] == 300 and plan.ready_after == 3 + 300


def test_a_boot_longer_than_the_boot_timeout_fails():
    plan = _model({**CONST_BOOT, "timeout": 200}).plan()  # needs 193 s after running + nothing
    assert not plan.failed
    plan = _model({**CONST_BOOT, "timeout": 150}).plan()
    assert plan.failure == "app not up within the 150 s boot timeout"


def _spot_run(boot, duration=900, **extra):
    data = merge(
        BASE,
        {
            "duration": duration,
            "instance": {"boot": boot, "spot": {"interruptions": [{"at": 60, "count": 1}]}},
            "state": {"sessions": "ideal"},
            **extra,
        },
    )
    return simulate(load_scenario(data))


def test_a_launched_instance_is_in_service_when_running_and_healthy_after_its_phases():
    result = _spot_run(CONST_BOOT)
    ev = result.events
    # Notice at 60 s, terminated 120 s later: the group launches the replacement at 180 s.
    launch = ev[(ev.kind == "asg.Pending") & (ev.time > 0)].iloc[0]
    assert launch.time == pytest.approx(180)
    mine = ev[ev.instance == launch.instance]

    def first(kind):
        return mine[mine.kind == kind].time.iloc[0]

    # InService (and registered, target initial) when EC2 reports it running (§8) ...
    assert first("ec2.running") == pytest.approx(180 + 20)
    assert first("asg.InService") == pytest.approx(180 + 20)
    assert first("target.initial") == pytest.approx(180 + 20)
    # ... while the bootstrap runs: the app answers after the sum of its phases.
    assert first("app.ready") == pytest.approx(180 + 210)
    # Checks every 30 s failed meanwhile (2 failures: unhealthy); from unhealthy it takes the
    # healthy threshold, 5 passes, the first within one interval of the app answering (§8).
    unhealthy, healthy = first("target.unhealthy"), first("target.healthy")
    assert 200 + 30 <= unhealthy <= 200 + 30 + 35
    assert 390 + 4 * 30 <= healthy <= 390 + 5 * 30
    s = result.summary()
    assert s["time_to_in_service_mean_s"] == pytest.approx(20)
    assert s["time_to_healthy_mean_s"] == pytest.approx(healthy - 180)
    assert s["launches_in_service"] == 1 and s["boot_failures"] == 0
    assert s["launches_never_healthy"] == 0
    row = result.launches.iloc[0]
    assert (row.instance, row.time_to_in_service) == (launch.instance, pytest.approx(20))


def test_a_failed_boot_is_abandoned_by_a_launch_hook_completed_by_the_app():
    boot = dict(CONST_BOOT)
    boot["user_data"] = [{"name": "package_install", "duration": 60, "failure_probability": 1.0}]
    hook = {"transition": "launching", "heartbeat_timeout": 300, "complete_when_app_ready": True}
    result = _spot_run(boot, duration=1000, asg={**BASE["asg"], "lifecycle_hooks": [hook]})
    ev = result.events
    failed = ev[ev.kind == "ec2.boot_failed"]
    # First replacement launched at 180 s, running at 200 s (hook waits), its bootstrap fails
    # 3 + 60 s later; the hook times out at 200 + 300 s and ABANDON terminates it (§2.6, §8).
    # Its replacements are launched at once and fail the same way, 320 s apart.
    assert list(failed.time) == pytest.approx([263, 583, 903])
    assert (failed.detail == "package_install failed").all()
    gone = ev[(ev.kind == "asg.Terminating") & (ev.time > 180)]
    assert list(gone.time) == pytest.approx([500, 820])
    assert (gone.detail == "launch lifecycle hook abandoned").all()
    relaunch = ev[(ev.kind == "asg.Pending") & (ev.time == 500)]
    assert len(relaunch) == 1
    s = result.summary()
    assert s["boot_failures"] == 3 and s["launches_in_service"] == 0
    assert s["launches_never_healthy"] == 2  # the third is still waiting at the end
    assert s["instances_launched"] == 3 + 3  # initial fleet + three launches
    assert s["invariants_ok"]


@pytest.mark.parametrize(
    ("instance", "field", "words"),
    [
        ({"boot": {"api": -5}}, "instance.boot.api.value", "greater than or equal to 0"),
        ({"boot": {"timeout": "-1m"}}, "instance.boot.timeout", "negative"),
        (
            {"boot": {"user_data": [{"name": "x", "duration": 1, "failure_probability": 1.5}]}},
            "instance.boot.user_data.0.failure_probability",
            "less than or equal to 1",
        ),
        (
            {"boot": {"user_data": [{"name": "x", "size_mb": 10}]}},
            "instance.boot.user_data.0",
            "has size_mb but no bandwidth_mb_s",
        ),
        ({"spot": {"price_factor": 0}}, "instance.spot.price_factor", "greater than 0"),
        ({"type": "m9.huge"}, "instance.type", "known types: c7g.2xlarge"),
    ],
)
def test_bad_instance_input_names_the_field(instance, field, words):
    with pytest.raises(ConfigError) as info:
        load_scenario(merge(BASE, {"instance": instance}))
    message = str(info.value)
    assert f"'{field}'" in message and words in message, message
