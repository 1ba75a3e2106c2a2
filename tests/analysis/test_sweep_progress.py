"""Progress on stderr: a status line for one long run (terminals only), quiet turns it off."""

from __future__ import annotations

import io

from fleetsim.analysis.progress import RunProgress, run_progress
from fleetsim.cli import main
from fleetsim.sim.world import simulate
from tests.conftest import make_scenario


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_shows_the_simulated_clock_and_ends_with_a_newline():
    term = FakeTerminal()
    sc = make_scenario(duration=3700)
    progress = RunProgress(sc.duration, term, min_interval=0.0)
    result = simulate(sc, 1, progress)
    text = term.getvalue()
    assert "simulated 00:00:10 / 01:01:40" in text  # first chunk, 10 simulated seconds
    assert "simulated 01:01:40 / 01:01:40 (100%)" in text
    assert f"{result.summary()['requests_total']:,} requests" in text
    assert "req/s" in text and text.endswith("\n")


def test_no_status_line_when_quiet_or_not_a_terminal():
    assert run_progress(60, quiet=True, stream=FakeTerminal()) is None
    assert run_progress(60, quiet=False, stream=io.StringIO()) is None
    assert isinstance(run_progress(60, quiet=False, stream=FakeTerminal()), RunProgress)


def test_run_accepts_quiet(capsys):
    # Without its fault (which a 1-minute run would warn never happens): stderr stays empty.
    args = ["run", "az-outage", "--set", "duration=1m", "--set", "faults=[]", "--quiet"]
    assert main([*args, "--format", "json"]) == 0
    assert capsys.readouterr().err == ""
