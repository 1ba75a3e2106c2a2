"""Traces shipped inside the fleetsim package (the lookup itself is in :mod:`fleetsim.data`)."""

from __future__ import annotations

from fleetsim.data import NASA_LAUNCH_DAY, find_packaged_trace, packaged_trace_path

__all__ = ["NASA_LAUNCH_DAY", "find_packaged_trace", "packaged_trace_path"]
