"""Fuzzing the command line with Hypothesis: random YAML documents, random bytes and random
``--set`` values fed to ``validate`` and ``run``.

Whatever the input, the answer is exit 0 (valid) or 2 (one paragraph naming the problem): never
a traceback, never exit 1 or 3. Examples are derandomized and bounded so the test takes seconds;
runs are kept short by a last ``--set duration=3s`` (overrides apply in order), and each example
is checked to stay within a memory bound (tracemalloc). Two subprocess checks confirm the real
exit status of the installed command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetsim import cli

FLEETSIM = shutil.which("fleetsim") or str(Path(sys.executable).parent / "fleetsim")

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Peak memory one example may allocate (tracemalloc), far above what a 3-s run needs.
MEMORY_BOUND = 150e6

BASE = (
    "name: fuzz\nduration: 3s\nseed: 1\n"
    "traffic: {shape: {kind: constant, rate: 5}}\n"
    "asg: {min_size: 1, max_size: 2, desired_capacity: 1}\n"
)

KEYS = [
    "duration",
    "seed",
    "name",
    "description",
    "azs",
    "azs.0",
    "region",
    "traffic.shape",
    "traffic.shape.rate",
    "traffic.shape.kind",
    "traffic.think_time",
    "traffic.requests_per_session",
    "traffic.retries.count",
    "traffic.warm_start",
    "app.workers",
    "app.queue_size",
    "app.cpu_time",
    "asg.desired_capacity",
    "asg.max_size",
    "asg.min_size",
    "alb.idle_timeout",
    "faults",
    "faults.0",
    "state.sessions",
    "variants",
    "instance.type",
    "record.requests",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["5m", "-1s", "1e999", ".inf", ".nan", "1d", "401d", "&a [*a]", "[", "{"]),
    st.sampled_from([1e308, -1e308, 10**7, 10**400, 0, -1, 1e-300]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
mappings = st.dictionaries(
    st.sampled_from([k.split(".")[0] for k in KEYS] + ["unknown"]), documents, max_size=5
)


def _value_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _check(argv: list[str], capsys: object) -> None:
    tracemalloc.start()
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse
        status = int(exc.code or 0)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert status in (0, 2), (argv, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if status == 2:
        assert err.strip(), argv
    assert peak < MEMORY_BOUND, (argv, peak)


@FUZZ
@given(document=mappings)
def test_random_yaml_documents(document, tmp_path, capsys):
    path = tmp_path / "fuzz.yaml"
    path.write_text(BASE + yaml.safe_dump(document))
    _check(["validate", str(path)], capsys)
    _check(["run", str(path), "--quiet", "--set", "duration=3s"], capsys)


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_random_bytes(raw, tmp_path, capsys):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    _check(["validate", str(path)], capsys)
    _check(["run", str(path), "--quiet"], capsys)


@FUZZ
@given(
    overrides=st.lists(
        st.tuples(st.sampled_from(KEYS), documents).map(lambda kv: f"{kv[0]}={_value_text(kv[1])}"),
        min_size=1,
        max_size=3,
    )
)
def test_random_set_values(overrides, tmp_path, capsys):
    path = tmp_path / "base.yaml"
    path.write_text(BASE)
    sets = [arg for o in overrides for arg in ("--set", o)]
    _check(["run", str(path), "--quiet", *sets, "--set", "duration=3s"], capsys)


def test_the_installed_command_on_fuzzed_input(tmp_path):
    # Two fixed inputs from the classes above, through the real process and its exit status.
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe{[*\x00")
    proc = subprocess.run(
        [FLEETSIM, "validate", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    base = tmp_path / "base.yaml"
    base.write_text(BASE)
    proc = subprocess.run(
        [FLEETSIM, "run", str(base), "--quiet", "--set", "app.workers=[1, {a: .nan}]"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("fleetsim: invalid scenario: ")
