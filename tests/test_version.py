"""One version source: pyproject's version, read back from the metadata; the build it runs."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import fleetsim
import fleetsim.sim.engine
from fleetsim._version import build
from fleetsim.cli import main

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_version_is_pyprojects():
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert fleetsim.__version__ == declared == metadata.version("fleetsim")


def test_the_build_follows_the_engine_module():
    compiled = not fleetsim.sim.engine.__file__.endswith(".py")
    assert build() == ("compiled" if compiled else "pure")


def test_cli_version_prints_version_and_build(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"fleetsim {fleetsim.__version__} ({build()})"
