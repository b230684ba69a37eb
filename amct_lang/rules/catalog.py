"""The rule catalog: every diagnostic code, its default severity and its documentation.

A rule is declared once, with `@rule(...)` on the function that checks it (or `declare(...)` for
checks the parser and binder make). Its docstring has a fixed shape, which `amct-lang explain`,
hover and docs/rules.md all show:

    One-line summary.

    ## What it does
    ## Why is this bad?
    ## Example
    ## Use instead
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from ..diagnostics import Diagnostic, Fix, Related, Severity

if TYPE_CHECKING:
    from .context import RuleContext

Check = Callable[["RuleContext"], Iterable[Diagnostic]]


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    doc: str
    dialects: tuple[str, ...] | None = None  # None: every dialect
    needs_model: bool = False
    check: Check | None = None

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    def diagnostic(self, message: str, start: int, end: int, *, severity: Severity | None = None,
                   related: tuple[Related, ...] = (), fixes: tuple[Fix, ...] = ()) -> Diagnostic:
        return Diagnostic(self.code, message, start, end, severity or self.severity, related, fixes)


REGISTRY: dict[str, Rule] = {}


def cleandoc(doc: str) -> str:
    """Strip the common indentation of a docstring (inspect.cleandoc, without importing inspect)."""
    lines = doc.expandtabs().strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents) if indents else 0
    if not lines:
        return ""
    return "\n".join([lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]]).strip()


def _add(rule: Rule) -> Rule:
    if rule.code in REGISTRY:
        raise ValueError(f"rule code {rule.code} declared twice")
    REGISTRY[rule.code] = rule
    return rule


def declare(code: str, name: str, severity: Severity, doc: str,
            dialects: tuple[str, ...] | None = None) -> Rule:
    """A rule checked by the parser or binder: only its documentation lives here."""
    return _add(Rule(code, name, severity, cleandoc(doc), dialects))


def rule(code: str, name: str, severity: Severity, *, dialects: tuple[str, ...] | None = None,
         needs_model: bool = False) -> Callable[[Check], Check]:
    """Register the decorated function as the check of rule `code`; its docstring is the doc."""

    def register(fn: Check) -> Check:
        _add(Rule(code, name, severity, cleandoc(fn.__doc__ or ""), dialects, needs_model, fn))
        return fn

    return register


_SORTED: list[Rule] = []


def all_rules() -> Iterator[Rule]:
    _load_all()
    if len(_SORTED) != len(REGISTRY):  # sorted once, not on every check
        _SORTED[:] = sorted(REGISTRY.values(), key=lambda r: (_family_order(r.code), r.code))
    return iter(_SORTED)


def get(code: str) -> Rule | None:
    _load_all()
    return REGISTRY.get(code.upper())


def _family_order(code: str) -> int:
    families = ("SYN", "SCH", "CAL", "DST", "MOD")
    return families.index(code[:3]) if code[:3] in families else len(families)


# The modules that declare rules, in catalog order. Listed, not discovered: a check imports exactly
# these (never rules/docs.py or a helper module), and a test keeps the list complete.
RULE_MODULES = ("syntax", "schema", "calibration", "values", "distill", "retrain", "model", "pytorch")

_loaded = False


def _load_all() -> None:
    """Import every rule module once, so each registers its rules."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for name in RULE_MODULES:
        importlib.import_module(f"{__package__}.{name}")
