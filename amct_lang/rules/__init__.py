"""Rules: the catalog (catalog.py) and one module per family (syntax, schema, calibration, ...)."""

from .catalog import REGISTRY, Rule, all_rules, get

__all__ = ["REGISTRY", "Rule", "all_rules", "get"]
