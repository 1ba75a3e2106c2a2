"""fleetsim.analysis."""
