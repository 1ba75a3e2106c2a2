"""fleetsim uses SimPy through its public API only, and runs alike on every SimPy 4 it allows.

The first test reads fleetsim's sources for SimPy's private (``_``-prefixed) attributes: the
names SimPy's own sources use, read or written on anything but a fleetsim object's own ``self``.
The others install the oldest and the newest SimPy 4 release into a scratch directory with pip
(PyPI or the local wheel cache) and, under each, run the engine's tests and a scenario whose
results must hash the same as under the installed SimPy.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import simpy

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fleetsim"
DIGEST = ROOT / "tests" / "build_digest.py"
# The oldest and newest releases pyproject.toml's pin allows; keep the two in step.
SIMPY_RELEASES = ["4.0.0", "4.1.2"]
# Processes, timeouts, conditions and timed calls together, cut short to keep the test quick.
DIGEST_ARGS = ["20", "az-outage"]


def _simpy_private_names() -> set[str]:
    # Every single-underscore attribute or method name SimPy's own code uses.
    names: set[str] = set()
    for source in Path(simpy.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.FunctionDef):
                name = node.name
            if name and name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def _simpy_subclasses(tree: ast.Module) -> set[str]:
    # Classes of the module whose bases come from SimPy (``simpy.X`` or imported from simpy).
    from_simpy = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("simpy")
        for alias in node.names
    }
    classes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                text = ast.unparse(base)
                if text.startswith("simpy.") or text.split(".")[0] in from_simpy:
                    classes.add(node.name)
    return classes


def _private_uses(path: Path, private: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text())
    simpy_classes = _simpy_subclasses(tree)
    found: list[str] = []

    def visit(node: ast.AST, in_simpy_class: bool) -> None:
        if isinstance(node, ast.ClassDef):
            in_simpy_class = node.name in simpy_classes
        if isinstance(node, ast.Attribute) and node.attr in private:
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not own or in_simpy_class:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in private
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
        for child in ast.iter_child_nodes(node):
            visit(child, in_simpy_class)

    visit(tree, False)
    return found


def test_the_scan_finds_private_simpy_access(tmp_path: Path):
    # The scan itself: what the engine did before it kept to the public API.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import simpy\n"
        "class Own:\n    def f(self):\n        return self._now\n"
        "class Env(simpy.Environment):\n    def f(self, event):\n"
        "        return self._queue, event._ok, hasattr(event, '_defused')\n"
    )
    uses = _private_uses(sample, _simpy_private_names(), tmp_path)
    found = [line.split(": ", 1)[1] for line in uses]
    assert found == ["self._queue", "event._ok", "hasattr(event, '_defused')"]


def test_fleetsim_reads_and_writes_no_private_simpy_attribute():
    private = _simpy_private_names()
    assert {"_ok", "_value", "_defused", "_queue", "_eid", "_now"} <= private
    found = [use for path in sorted(PACKAGE.rglob("*.py")) for use in _private_uses(path, private)]
    assert not found, "private SimPy attributes used:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def reference_digest() -> dict[str, object]:
    return _digest({})


def _digest(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, str(DIGEST), *DIGEST_ARGS],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
        timeout=600,
    ).stdout
    return dict(json.loads(out))


@pytest.mark.parametrize("release", SIMPY_RELEASES)
def test_the_engine_runs_alike_on_simpy(
    release: str, reference_digest: dict[str, object], tmp_path: Path
):
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    install = subprocess.run(
        [*pip, str(tmp_path), f"simpy=={release}"], capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, f"pip could not install simpy {release}: {install.stderr}"
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    under = {"PYTHONPATH": path.rstrip(os.pathsep)}
    pytest_args = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "tests/sim/test_engine.py"]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **under},
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    result = _digest(under)
    assert result["simpy"] == release
    assert result["digests"] == reference_digest["digests"]
