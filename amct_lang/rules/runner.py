"""Run every rule of the catalog that applies to the dialect (and to the model, if given)."""

from __future__ import annotations

from typing import Any

from ..diagnostics import Diagnostic
from ..document import BoundMessage
from ..schema import Schema
from ..syntax.nodes import SyntaxTree
from .catalog import all_rules
from .context import RuleContext


def run_rules(tree: SyntaxTree, root: BoundMessage, dialect: str, schema: Schema, model: Any = None,
              alternatives: tuple[str, ...] = ()) -> list[Diagnostic]:
    """`alternatives`: dialects the file fits as well, when its dialect was guessed from its fields."""
    ctx = RuleContext(tree, root, dialect, schema, model, alternatives)
    out: list[Diagnostic] = []
    for rule in all_rules():
        if rule.check is None:
            continue
        if rule.dialects is not None and dialect not in rule.dialects:
            continue
        if rule.needs_model and model is None:
            continue
        out.extend(rule.check(ctx))
    return out
