"""Errors the simulation raises when asked to do something AWS would not do.

Kept apart from the modules the compiled build compiles: mypyc cannot compile a class derived
from ``RuntimeError``.
"""

from __future__ import annotations


class IllegalTransition(RuntimeError):
    """An instance was asked to make a state change EC2 does not allow."""
