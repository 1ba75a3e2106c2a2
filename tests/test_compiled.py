"""The compiled build (mypyc, ``make fast``) gives bit-identical results to the pure-Python one.

Both builds run every variant of every packaged scenario for 40 simulated minutes (see
``tests/build_digest.py``) and must produce the same digest of summary, timeline, sessions,
events and latency frames. The two builds also keep the event heap differently (tuples in
``heapq`` for pure Python, native entries when compiled; see ``fleetsim/sim/engine.py``), so this
also checks that both heaps give one order. ``make test`` builds ``.venv-fast`` and points
``FLEETSIM_COMPILED_PYTHON`` at it; run by hand without it, the test is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMPILED = os.environ.get("FLEETSIM_COMPILED_PYTHON")
SCRIPT = Path(__file__).with_name("build_digest.py")


def _start(python: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    # From outside the checkout, so each interpreter imports its own installed fleetsim.
    return subprocess.Popen(
        [python, str(SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
        env=env,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return dict(json.loads(out))


@pytest.mark.skipif(not COMPILED, reason="FLEETSIM_COMPILED_PYTHON unset (make test sets it)")
def test_compiled_build_gives_identical_results():
    assert COMPILED is not None and Path(COMPILED).exists(), f"no interpreter at {COMPILED}"
    compiled_python = str(Path(COMPILED).absolute())  # the runs start in another directory
    # A PYTHONPATH pointing at a source tree would shadow the compiled package.
    installed_only = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pure_proc, compiled_proc = _start(sys.executable), _start(compiled_python, installed_only)
    pure, compiled = _result(pure_proc), _result(compiled_proc)
    # Each run used the build it was meant to: the interpreted engine and its tuple heap, then
    # the extension and its entry heap.
    assert str(pure["engine"]).endswith(".py") and pure["native_heap"] is False
    assert not str(compiled["engine"]).endswith(".py"), compiled["engine"]
    assert compiled["native_heap"] is True
    digests = pure["digests"]
    assert isinstance(digests, dict) and len(digests) >= 20  # every variant of every scenario
    differ = [k for k, v in digests.items() if compiled["digests"].get(k) != v]
    assert not differ, f"compiled build differs on {differ}"
