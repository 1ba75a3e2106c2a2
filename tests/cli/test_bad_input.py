"""Bad input on the command line: every case exits 2 with one paragraph, never a traceback.

Each case gives the exact input (files written into the working directory, the arguments), the
expected exit status and the first line of the message, as listed in docs/bad-input.md. The
cases run in-process through :func:`fleetsim.cli.main`; a few also run the installed command to
check the real exit status.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleetsim import cli
from fleetsim.cli import files as files_commands

FLEETSIM = shutil.which("fleetsim") or str(Path(sys.executable).parent / "fleetsim")


def _bomb(levels: int = 10) -> str:
    # "Billion laughs": each level is a list of nine aliases to the level below.
    lines = ["duration: 60", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _random_bytes() -> bytes:
    return bytes([0xED]) + random.Random(21).randbytes(3000)


PACKAGED = "fleetsim: invalid scenario: az-outage (packaged): "

#: name -> (files to write, arguments, exit status, first line of stderr)
CASES: dict[str, tuple[dict[str, str | bytes], list[str], int, str]] = {
    "random bytes (validate)": (
        {"bytes.yaml": _random_bytes()},
        ["validate", "bytes.yaml"],
        2,
        "fleetsim: invalid scenario: bytes.yaml: not UTF-8 text (byte 0xed at offset 0); a "
        "scenario is a YAML text file. Is it the right file?",
    ),
    "random bytes (run)": (
        {"bytes.yaml": _random_bytes()},
        ["run", "bytes.yaml"],
        2,
        "fleetsim: invalid scenario: bytes.yaml: not UTF-8 text (byte 0xed at offset 0); a "
        "scenario is a YAML text file. Is it the right file?",
    ),
    "duration .inf (validate)": (
        {"inf.yaml": "duration: .inf\n"},
        ["validate", "inf.yaml"],
        2,
        "fleetsim: invalid scenario: inf.yaml: field 'duration' = inf: inf is not a finite "
        "duration.",
    ),
    "duration .inf (--set)": (
        {},
        ["run", "az-outage", "--set", "duration=.inf"],
        2,
        PACKAGED + "field 'duration' = inf: inf is not a finite duration.",
    ),
    "duration over 400 days": (
        {"long.yaml": "duration: 401d\n"},
        ["validate", "long.yaml"],
        2,
        "fleetsim: invalid scenario: long.yaml: field 'duration' = '401d': '401d' is longer than "
        "the longest duration fleetsim accepts, 400 days (34560000 s).",
    ),
    "duration a huge integer": (
        {"huge.yaml": "duration: " + "9" * 400 + "\n"},
        ["validate", "huge.yaml"],
        2,
        f"fleetsim: invalid scenario: huge.yaml: field 'duration' = {'9' * 57}... (400 "
        f"characters): {'9' * 37}... is longer than the longest duration fleetsim accepts, 400 "
        "days (34560000 s).",
    ),
    "rate .nan": (
        {"nan.yaml": "duration: 60\ntraffic: {shape: {kind: constant, rate: .nan}}\n"},
        ["validate", "nan.yaml"],
        2,
        "fleetsim: invalid scenario: nan.yaml: field 'traffic.shape.rate' = nan: Input should "
        "be a finite number.",
    ),
    "alias bomb (validate)": (
        {"bomb.yaml": _bomb()},
        ["validate", "bomb.yaml"],
        2,
        "fleetsim: invalid scenario: bomb.yaml: the YAML document expands to more than 100,000 "
        "values (its aliases (*name) repeat anchored parts: an alias bomb?); a scenario is far "
        "smaller.",
    ),
    "alias bomb (run)": (
        {"bomb.yaml": _bomb()},
        ["run", "bomb.yaml"],
        2,
        "fleetsim: invalid scenario: bomb.yaml: the YAML document expands to more than 100,000 "
        "values (its aliases (*name) repeat anchored parts: an alias bomb?); a scenario is far "
        "smaller.",
    ),
    "recursive alias": (
        {"loop.yaml": "duration: 60\nazs: &x [a, *x]\n"},
        ["validate", "loop.yaml"],
        2,
        "fleetsim: invalid scenario: loop.yaml: the YAML alias *x refers to a collection that "
        "contains it (a recursive structure); a scenario is a tree.",
    ),
    "text that is not YAML": (
        {"notyaml.yaml": "duration: [60\n"},
        ["validate", "notyaml.yaml"],
        2,
        "fleetsim: invalid scenario: notyaml.yaml: not valid YAML: while parsing a flow sequence "
        "in \"<unicode string>\", line 1, column 11 did not find expected ',' or ']' in "
        '"<unicode string>", line 2, column 1',
    ),
    "nesting deeper than 64 levels": (
        {"deep.yaml": "duration: 60\nx: " + "[" * 70 + "]" * 70 + "\n"},
        ["validate", "deep.yaml"],
        2,
        "fleetsim: invalid scenario: deep.yaml: YAML nested more than 64 levels deep; a scenario "
        "is a few levels of sections.",
    ),
    "more than 1,000 aliases": (
        {"many.yaml": "duration: 60\na: &a 1\nb: [" + ",".join(["*a"] * 1001) + "]\n"},
        ["validate", "many.yaml"],
        2,
        "fleetsim: invalid scenario: many.yaml: more than 1,000 YAML aliases (*name); a scenario "
        "needs few or none.",
    ),
    "a --set value over 100,000 characters": (
        {},
        ["run", "az-outage", "--set", "name=" + "x" * 100_001],
        2,
        "fleetsim: invalid scenario: override 'name': the value is 100,001 characters, more than "
        "the 100,000 allowed.",
    ),
    "a distribution with an infinite mean": (
        {},
        [
            "run",
            "az-outage",
            "--set",
            "traffic.think_time={dist: lognormal, median: 1, sigma: 100}",
        ],
        2,
        PACKAGED + "field 'traffic.think_time': the distribution's mean (inf) is not a finite "
        "number up to 34,560,000 (400 days in seconds).",
    ),
    "a distribution with a huge parameter": (
        {},
        ["run", "az-outage", "--set", "traffic.think_time={dist: empirical, samples: [1.0e+308]}"],
        2,
        PACKAGED + "field 'traffic.think_time': samples is larger than 34,560,000 (400 days in "
        "seconds), the largest value a distribution may have.",
    ),
    "two billion users in progress": (
        {},
        ["run", "az-outage", "--set", "traffic.think_time=10000000"],
        2,
        PACKAGED + "field 'traffic': traffic: about 2,000,000,000 users would be in progress at "
        "once (demand up to 200 req/s x think time 1e+07 s); at most 1,000,000 are simulated: "
        "lower the demand or the think time.",
    ),
    "variants not a mapping": (
        {"v.yaml": "duration: 60\nvariants: [a, b]\n"},
        ["validate", "v.yaml"],
        2,
        "fleetsim: invalid scenario: v.yaml: field 'variants' must be a mapping of variant name "
        "to overrides, got list.",
    ),
    "a 1.1 MB file": (
        {"big.yaml": "duration: 60\nname: " + "x" * 1_100_000 + "\n"},
        ["validate", "big.yaml"],
        2,
        "fleetsim: invalid scenario: big.yaml: the file is 1,100,020 bytes, more than the "
        "1,000,000 a scenario file may have; is it the right file?",
    ),
    "a 300-character name": (
        {"name.yaml": "duration: 60\nname: " + "n" * 300 + "\n"},
        ["validate", "name.yaml"],
        2,
        f"fleetsim: invalid scenario: name.yaml: field 'name' = '{'n' * 56}... (302 characters): "
        "String should have at most 200 characters.",
    ),
    "an override list index out of range": (
        {},
        ["run", "az-outage", "--set", "azs.7=d"],
        2,
        "fleetsim: invalid scenario: override 'azs.7': '7' is not an index of a list of 3 "
        "item(s) (use 0 to 2).",
    ),
    "an override value that is an alias bomb": (
        {},
        ["run", "az-outage", "--set", "name=&a [*a]"],
        2,
        "fleetsim: invalid scenario: override 'name': the YAML alias *a refers to a collection "
        "that contains it (a recursive structure); a scenario is a tree.",
    ),
    "run --seed -1": (
        {},
        ["run", "az-outage", "--seed", "-1"],
        2,
        "usage: fleetsim run [-h] [--seed SEED] [--set KEY=VALUE]",
    ),
    "compare --warmup 99999": (
        {},
        ["compare", "az-outage", "--warmup", "99999", "--executor", "serial"],
        2,
        "fleetsim: argument --warmup: 99999 s must be shorter than the run of 'stateful' (3600 s).",
    ),
    "compare --warmup -5": (
        {},
        ["compare", "az-outage", "--warmup", "-5"],
        2,
        "usage: fleetsim compare [-h] [--seed SEED] [--set KEY=VALUE]",
    ),
    "a removed setting (alb.dns_failover_delay)": (
        {"old.yaml": "duration: 60\nalb: {dns_failover_delay: 300}\n"},
        ["validate", "old.yaml"],
        2,
        "fleetsim: invalid scenario: old.yaml: field 'alb.dns_failover_delay' was removed: how "
        "long users keep reaching a failed ALB node is now the time AWS takes to withdraw it "
        "from DNS (alb.dns_withdrawal_delay, default 150 s) plus what their clients do with the "
        "60 s TTL (alb.clients: long_cache_share, long_cache, next_address_share, "
        "connect_timeout, keep_alive); see docs/alb.md.",
    ),
    "a client-cache share outside [0, 1]": (
        {"share.yaml": "duration: 60\nalb: {clients: {long_cache_share: 1.5}}\n"},
        ["validate", "share.yaml"],
        2,
        "fleetsim: invalid scenario: share.yaml: field 'alb.clients.long_cache_share' = 1.5: "
        "Input should be less than or equal to 1.",
    ),
    "max_size above the documented maximum": (
        {"asg.yaml": "duration: 60\nasg: {max_size: 1000000}\n"},
        ["validate", "asg.yaml"],
        2,
        "fleetsim: invalid scenario: asg.yaml: field 'asg.max_size' = 1000000: Input should be "
        "less than or equal to 1000.",
    ),
    "lifecycle hook heartbeat below 30 s": (
        {
            "hook.yaml": "duration: 60\nasg:\n  lifecycle_hooks:\n"
            "    - {transition: launching, heartbeat_timeout: 10}\n"
        },
        ["validate", "hook.yaml"],
        2,
        "fleetsim: invalid scenario: hook.yaml: field 'asg.lifecycle_hooks.0.heartbeat_timeout' "
        "= 10.0: Input should be greater than or equal to 30.",
    ),
    "lifecycle hook heartbeat above 7200 s": (
        {
            "hook.yaml": "duration: 60\nasg:\n  lifecycle_hooks:\n"
            "    - {transition: launching, heartbeat_timeout: 3h}\n"
        },
        ["run", "hook.yaml"],
        2,
        "fleetsim: invalid scenario: hook.yaml: field 'asg.lifecycle_hooks.0.heartbeat_timeout' "
        "= 10800.0: Input should be less than or equal to 7200.",
    ),
}

#: The last line of argparse's messages (its first line is the usage).
ARGPARSE_ERRORS = {
    "run --seed -1": "fleetsim run: error: argument --seed: must be a whole number from 0 to "
    "9223372036854775807, got -1",
    "compare --warmup -5": "fleetsim compare: error: argument --warmup: must be a finite "
    "number of seconds >= 0, got -5",
}


def _write(files: dict[str, str | bytes], folder: Path) -> None:
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _main(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse exits on its own
        return int(exc.code or 0)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_one_paragraph(case, tmp_path, monkeypatch, capsys):
    files, argv, status, first_line = CASES[case]
    monkeypatch.chdir(tmp_path)
    _write(files, tmp_path)
    assert _main(argv) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[0] == first_line
    if case in ARGPARSE_ERRORS:
        assert err.strip().splitlines()[-1] == ARGPARSE_ERRORS[case]
    else:
        assert err.strip().count("\n") == 0  # one paragraph


def test_an_internal_error_exits_3_with_how_to_report(monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(files_commands, "cmd_scenarios", broken)
    assert _main(["scenarios"]) == 3
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "fleetsim: internal error (a bug in fleetsim, not in your input): ZeroDivisionError: "
        "float division by zero"
    )
    assert "--debug" in err and "Traceback" not in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(monkeypatch, where):
    def broken(args):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(files_commands, "cmd_scenarios", broken)
    argv = ["--debug", "scenarios"] if where == "before" else ["scenarios", "--debug"]
    with pytest.raises(ZeroDivisionError):
        cli.main(argv)


def test_a_20_mb_name_is_refused_by_its_length():
    from fleetsim.config import ConfigError, load_scenario

    with pytest.raises(ConfigError) as caught:
        load_scenario({"duration": 60, "name": "x" * 20_000_000})
    message = str(caught.value)
    assert message.startswith(
        f"scenario: field 'name' = '{'x' * 56}... (20,000,002 characters): String should have "
        "at most 200 characters."
    )
    assert len(message) < 300


@pytest.mark.parametrize("case", ["random bytes (run)", "alias bomb (validate)", "run --seed -1"])
def test_the_installed_command_exits_2(case, tmp_path):
    files, argv, status, first_line = CASES[case]
    _write(files, tmp_path)
    proc = subprocess.run(
        [FLEETSIM, *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == status
    assert proc.stderr.splitlines()[0] == first_line
    assert "Traceback" not in proc.stderr
