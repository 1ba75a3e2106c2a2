"""fleetsim.config."""
