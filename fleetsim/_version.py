"""The package's version and build, from one source: the installed distribution's metadata.

The version is written once, in ``pyproject.toml``; :func:`version` reads it back through
``importlib.metadata``. :func:`build` says whether the hot path runs as mypyc-compiled extension
modules (``compiled``) or as Python source (``pure``), judged from the engine module's file,
found without importing it (so without importing SimPy).
"""

from __future__ import annotations

from importlib import metadata, util

#: What :func:`version` returns when fleetsim runs from a source tree that was never installed.
UNKNOWN = "0+unknown"


def version() -> str:
    """Return the installed fleetsim version, e.g. ``0.1.0`` (``0+unknown`` if not installed)."""
    try:
        return metadata.version("fleetsim")
    except metadata.PackageNotFoundError:
        return UNKNOWN


def build() -> str:
    """Return ``compiled`` if the engine is a compiled extension module, else ``pure``."""
    spec = util.find_spec("fleetsim.sim.engine")
    origin = spec.origin if spec is not None else None
    return "pure" if origin is None or origin.endswith(".py") else "compiled"
