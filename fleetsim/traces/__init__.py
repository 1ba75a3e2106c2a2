"""fleetsim.traces."""
