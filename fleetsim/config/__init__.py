"""Scenario configuration: typed models, YAML loading, variants, overrides and catalogs."""

from fleetsim.config.errors import ConfigError
from fleetsim.config.loader import load_scenario, load_variants, packaged_scenarios
from fleetsim.config.models import Scenario

__all__ = ["ConfigError", "Scenario", "load_scenario", "load_variants", "packaged_scenarios"]
