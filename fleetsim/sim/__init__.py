"""fleetsim.sim."""
