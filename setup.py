"""Build fleetsim compiled by default: the hot path through mypyc, else pure Python.

``pip install .`` builds in an isolated environment holding ``[build-system].requires`` from
``pyproject.toml``, mypy at an exact version among them (so a source tree always compiles to
the same C). The modules in :data:`COMPILED_MODULES` become C extensions when a C compiler and
Python's headers are at hand; without them, or if compiling fails, the package is installed
as pure Python: the same code and the same results for a seed, about four times slower. The
build says which it did (``pip install -v .`` shows the line; ``fleetsim --version`` says
``compiled`` or ``pure``, and every result records it).

An editable install (``pip install -e .``, the development ``.venv``) is always pure Python,
so that it runs the sources as they are edited; ``make fast`` installs the compiled build
(``.venv-fast``) and ``make test`` compares the two (``tests/test_compiled.py``).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from typing import Any

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext

# The per-request path; everything else stays interpreted (it runs a few times per second). A
# class in a compiled module can only subclass a compiled class: a base class of one of these
# modules' classes belongs here too.
COMPILED_MODULES = [
    "fleetsim/config/sampler.py",
    "fleetsim/record/logs.py",
    "fleetsim/record/recorder.py",
    "fleetsim/sim/alb.py",
    "fleetsim/sim/alb_routing.py",
    "fleetsim/sim/clients.py",
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
    "fleetsim/sim/keepalive.py",
    "fleetsim/sim/stores/redis.py",
    "fleetsim/sim/target_group.py",
    "fleetsim/sim/traffic.py",
    "fleetsim/sim/world.py",
    "fleetsim/sim/zones.py",
]
# mypy's settings for the build, apart from the project's [tool.mypy] (whose pydantic plugin the
# build environment lacks). The isolated build environment holds, besides the build tools, only
# SimPy (the engine subclasses its Environment, which mypyc must know); other third-party
# packages type-check as ``Any``, and errors in the interpreted modules mypy follows are not
# the build's business (``mypy fleetsim`` checks them).
MYPY_CONFIG = (
    "[mypy]\npython_version = 3.11\nignore_missing_imports = True\nfollow_imports = silent\n"
)


def _say(message: str) -> None:
    # pip shows a build's output with -v (and always when the build fails).
    print(f"fleetsim build: {message}", file=sys.stderr, flush=True)


def _no_compiler() -> str | None:
    # Why a C extension cannot be built here, or None if it can (a failed build also falls back).
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler} not found)"
    headers = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(headers, "Python.h")):
        return f"no Python headers ({headers}/Python.h not found)"
    return None


class CompiledDistribution(Distribution):
    """A distribution that may carry extensions, which the build step decides on."""

    def has_ext_modules(self) -> bool:
        """Always: the wheel is specific to this interpreter and platform."""
        return True


class BuildHotPath(build_ext):
    """``build_ext`` that compiles :data:`COMPILED_MODULES` with mypyc, or falls back.

    mypyc runs when the extensions are built, not when the command is configured: pip also
    configures it to read the package's metadata.
    """

    def run(self) -> None:
        """Generate the C with mypyc and build it; pure Python if either cannot be done."""
        if not self.extensions:
            self.distribution.ext_modules = self._hot_path()
            if self.distribution.ext_modules:
                # A command configured afresh for them, where the other commands will find it.
                again = self.distribution.reinitialize_command("build_ext")
                again.ensure_finalized()
                again.run()
            return
        try:
            super().run()
        except Exception as exc:
            _say(f"pure Python: compiling the C failed ({exc})")
            for ext in self.extensions:  # none of a partly compiled hot path
                built = self.get_ext_fullpath(ext.name)
                if os.path.exists(built):
                    os.remove(built)
            self.extensions = []
            return
        _say(f"compiled ({len(self.extensions)} extensions)")

    def _hot_path(self) -> list[Any]:
        if self.editable_mode or self.inplace:
            _say("pure Python (an editable install runs the sources)")
            return []
        reason = _no_compiler()
        if reason is None:
            try:
                from mypyc.build import mypycify
            except ImportError as exc:
                reason = f"mypyc not importable ({exc})"
        if reason is not None:
            _say(f"pure Python: {reason}")
            return []
        _say(f"compiling {len(COMPILED_MODULES)} modules with mypyc")
        os.makedirs(self.build_temp, exist_ok=True)
        config = os.path.join(self.build_temp, "mypyc.ini")
        with open(config, "w") as out:
            out.write(MYPY_CONFIG)
        args = [*COMPILED_MODULES, "--config-file", config]
        try:
            return list(mypycify(args, opt_level="3"))
        except BaseException as exc:  # mypyc exits through SystemExit on a type error
            _say(f"pure Python: mypyc failed ({exc!r})")
            return []


setup(distclass=CompiledDistribution, cmdclass={"build_ext": BuildHotPath})
