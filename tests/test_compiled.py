"""The compiled build (mypyc, the default install) gives bit-identical results to pure Python.

Both builds run every variant of every packaged scenario for 40 simulated minutes (see
``tests/build_digest.py``) and must produce the same digest of summary, timeline, sessions,
events and latency frames. The two builds also keep the event heap differently (tuples in
``heapq`` for pure Python, native entries when compiled; see ``fleetsim/sim/engine.py``), so this
also checks that both heaps give one order. The pure side is the interpreter running the tests
(the editable dev install); the compiled side is ``FLEETSIM_COMPILED_PYTHON``, which ``make
test`` points at ``.venv-fast`` (``make fast``, i.e. ``pip install .``). When it is set, the test
fails unless that interpreter's fleetsim is compiled (so ``make test`` never passes without the
parity check); run by hand without it, the test is skipped and says so.
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


@pytest.mark.skipif(
    not COMPILED,
    reason="no compiled build to compare: FLEETSIM_COMPILED_PYTHON is unset "
    "(make test sets it to .venv-fast/bin/python after make fast)",
)
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
    assert not str(compiled["engine"]).endswith(".py"), (
        f"{COMPILED} runs pure Python ({compiled['engine']}): was it built without a C "
        "compiler? `make fast` prints the build's choice (log in .venv-fast/build.log)"
    )
    assert compiled["native_heap"] is True
    assert pure["builds"] == ["pure"] and compiled["builds"] == ["compiled"]  # results say it
    digests = pure["digests"]
    assert isinstance(digests, dict) and len(digests) >= 20  # every variant of every scenario
    differ = [k for k, v in digests.items() if compiled["digests"].get(k) != v]
    assert not differ, f"compiled build differs on {differ}"
