"""Run every rule of the catalog that applies to the dialect (and to the model, if given).

A rule that raises (a bug, never the user's input) is reported as a warning under its own code
saying its findings are missing: the file keeps every other check, and no traceback reaches the
user."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, Severity
from ..document import BoundMessage
from ..schema import Schema
from ..syntax.nodes import SyntaxTree
from .catalog import all_rules
from .context import RuleContext

if TYPE_CHECKING:
    from ..model.index import ModelIndex
    from ..semantic.config import Semantic

MAX_PER_RULE = 100


def run_rules(tree: SyntaxTree, root: BoundMessage, dialect: str, schema: Schema,
              model: ModelIndex | None = None,
              alternatives: tuple[str, ...] = (),
              semantic: Callable[[], Semantic] | None = None) -> list[Diagnostic]:
    """`alternatives`: dialects the file fits as well, when its dialect was guessed from its fields.
    `semantic`: gives the analysis's semantic model (built on first use, shared with the caller)."""
    ctx = RuleContext(tree, root, dialect, schema, model, alternatives, semantic)
    out: list[Diagnostic] = []
    for rule in all_rules():
        if rule.check is None:
            continue
        if rule.dialects is not None and dialect not in rule.dialects:
            continue
        if rule.needs_model and model is None:
            continue
        try:
            found = list(islice(rule.check(ctx), MAX_PER_RULE + 1))  # rules are generators: stop early
        except Exception as exc:  # noqa: BLE001 - a bug in one rule must not cost the file its others
            found = [rule.diagnostic(f"this check failed on the file ({type(exc).__name__}: {exc}), so its "
                                     "findings are missing; please report this", 0, 0,
                                     severity=Severity.WARNING)]
        if len(found) > MAX_PER_RULE:
            last = found[MAX_PER_RULE]
            found[MAX_PER_RULE] = rule.diagnostic(
                f"more than {MAX_PER_RULE} {rule.code} findings in this file; the rest are not shown",
                last.start, last.end)
        out.extend(found)
    return out
