"""The layers at import time, each checked in a fresh interpreter.

Importing a low layer must not drag in the layers above it or their heavy dependencies: a user
who only validates a scenario must not pay for pandas, scipy, matplotlib and the model. The
static contracts (``lint-imports``, in ``make lint``) check the import graph; these tests check
what really gets loaded, which also catches an import hidden in a function that runs at import.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import fleetsim

HEAVY = ("pandas", "scipy", "matplotlib", "simpy")
#: Each layer and the fleetsim packages it may load (besides itself and the root package).
LAYERS = {
    "fleetsim.config": set(),
    "fleetsim.record": set(),
    "fleetsim.traces": set(),
    "fleetsim.sim": {"fleetsim.config", "fleetsim.record", "fleetsim.traces"},
    "fleetsim.analysis": {"fleetsim.config", "fleetsim.record", "fleetsim.traces", "fleetsim.sim"},
}


def _loaded_after(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; return the names in its ``sys.modules`` afterwards."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _top(name: str) -> str:
    return name.split(".")[0]


# Below every layer: the packaged files and their lookup, and the version and build (a leaf
# that imports only the standard library).
BELOW_ALL = {"fleetsim.data", "fleetsim._version"}


def _fleetsim_packages(modules: set[str]) -> set[str]:
    packages = {".".join(m.split(".")[:2]) for m in modules if m.startswith("fleetsim.")}
    return packages - BELOW_ALL


def _submodules(package: str) -> list[str]:
    path = [str(Path(fleetsim.__file__).parent / package.split(".")[1])]
    return [package] + [info.name for info in pkgutil.walk_packages(path, prefix=f"{package}.")]


@pytest.mark.parametrize("code", ["import fleetsim", "import fleetsim.config"])
def test_the_package_and_the_config_load_nothing_heavy(code):
    loaded = {_top(m) for m in _loaded_after(code)}
    assert not loaded & set(HEAVY)
    assert not _fleetsim_packages(_loaded_after(code)) - {"fleetsim.config"}


@pytest.mark.parametrize("argv", [["validate", "az-outage"], ["schema"], ["--version"]])
def test_quick_commands_load_no_analysis(argv):
    code = (
        "from fleetsim.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try:\n        main({argv!r})\n    except SystemExit:\n        pass"
    )
    loaded = _loaded_after(code)
    assert not {_top(m) for m in loaded} & {"pandas", "scipy", "matplotlib"}
    assert "fleetsim.analysis" not in loaded


def test_a_run_and_its_summary_load_no_pandas():
    # `fleetsim run` prints the summary: pandas (~0.2-0.5 s of start-up) only comes with a frame.
    code = (
        "import fleetsim\n"
        "sc = fleetsim.load_scenario('az-outage', overrides=['duration=1m'])\n"
        "r = fleetsim.simulate(sc)\nr.summary()"
    )
    assert "pandas" not in {_top(m) for m in _loaded_after(code)}
    assert "pandas" in {_top(m) for m in _loaded_after(code + "\nr.timeline")}


def test_a_public_name_is_loaded_on_first_use():
    loaded = _loaded_after("import fleetsim\nfleetsim.simulate")
    assert "fleetsim.sim.world" in loaded
    assert "fleetsim.analysis" not in loaded


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fleetsim.nope  # noqa: B018


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_imports_alone_and_loads_only_the_layers_below(layer):
    modules = _submodules(layer)
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    above = _fleetsim_packages(loaded) - LAYERS[layer] - {layer}
    assert not above, f"importing {layer} loads {sorted(above)}"


def test_the_cli_imports_alone():
    assert "fleetsim.cli" in _loaded_after("import fleetsim.cli")
