"""fleetsim.record."""
