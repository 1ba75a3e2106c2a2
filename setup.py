"""Optional compiled build: ``FLEETSIM_COMPILE=1`` compiles the hot path with mypyc.

Without the variable this is a plain pure-Python package (everything else is declared in
``pyproject.toml``). With it, the modules below are compiled to C extensions by mypyc, which
must be importable at build time, so build without isolation::

    pip install 'mypy>=1.10' 'setuptools>=77' wheel pydantic
    FLEETSIM_COMPILE=1 pip install --no-build-isolation .

The compiled modules run the same code on the same floats, so a seed gives bit-identical results
in both builds (``tests/test_compiled.py`` holds it to that: ``make test`` builds ``.venv-fast``
with ``make fast`` and runs it against this build).
"""

import os

from setuptools import setup

# The per-request path; everything else stays interpreted (it runs a few times per second).
COMPILED_MODULES = [
    "fleetsim/config/sampler.py",
    "fleetsim/record/logs.py",
    "fleetsim/record/recorder.py",
    "fleetsim/sim/alb.py",
    "fleetsim/sim/alb_routing.py",
    "fleetsim/sim/application.py",
    "fleetsim/sim/component.py",
    "fleetsim/sim/engine.py",
    "fleetsim/sim/entities.py",
    # Not per request, but their classes subclass the compiled Component (mypyc allows no
    # interpreted subclass of a compiled class): the group, the fault schedule, the fleet.
    "fleetsim/sim/asg/group.py",
    "fleetsim/sim/faults.py",
    "fleetsim/sim/fleet.py",
    "fleetsim/sim/instance.py",
    "fleetsim/sim/stores/redis.py",
    "fleetsim/sim/target_group.py",
    "fleetsim/sim/traffic.py",
    "fleetsim/sim/world.py",
    "fleetsim/sim/zones.py",
]

ext_modules = []
if os.environ.get("FLEETSIM_COMPILE") == "1":
    from mypyc.build import mypycify

    # Only the listed modules are compiled; the rest is type-checked without stubs installed.
    ext_modules = mypycify([*COMPILED_MODULES, "--ignore-missing-imports"], opt_level="3")

setup(ext_modules=ext_modules)
