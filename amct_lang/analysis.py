"""analyze(text) -> Analysis: parse, choose the dialect, bind to the schema, run the rules.

The one entry point the CLI, the language server and the Python API share. Pure: no I/O, never
raises on user input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic
from .document import BoundMessage, bind, to_message
from .foreign import foreign_note
from .gcpause import gc_paused
from .schema import Schema, load
from .schema.detect import DialectChoice, choose_dialect
from .syntax import SyntaxTree, parse

if TYPE_CHECKING:
    from .model.index import ModelIndex
    from .semantic import EffectiveConfig, Semantic

_SUPPRESS = re.compile(r"#\s*amct-lint:\s*(disable|disable-file)\s*=\s*([A-Za-z0-9_, ]+)")


class Analysis:
    """Everything known about one text: tree, dialect, typed document, diagnostics."""

    def __init__(self, text: str, tree: SyntaxTree, dialect: DialectChoice, root: BoundMessage,
                 schema: Schema, diagnostics: list[Diagnostic], model: ModelIndex | None = None,
                 semantic: Semantic | None = None) -> None:
        self.text = text
        self.tree = tree
        self.dialect = dialect
        self.root = root
        self.schema = schema
        self.diagnostics = diagnostics
        self.model = model
        self._semantic = semantic

    @property
    def semantic(self) -> Semantic:
        """The semantic model of this analysis (amct_lang.semantic), shared with its rules."""
        if self._semantic is None:
            from .semantic.config import Semantic

            self._semantic = Semantic(self.root, self.dialect.name, self.model)
        return self._semantic

    @property
    def effective(self) -> EffectiveConfig | None:
        """Every layer's effective config, computed once, when the analysis has a model of the kind
        its dialect configures; None otherwise (`semantic.config` answers without a model)."""
        return self.semantic.effective

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def syntax_ok(self) -> bool:
        return not any(d.code.startswith("SYN") for d in self.diagnostics)

    def to_message(self) -> Any:
        return to_message(self.root, self.schema)


def analyze(text: str, dialect: str | None = None, *, model: ModelIndex | None = None, lint: bool = True,
            select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Analysis:
    """Check `text`. `dialect` overrides detection; `model` (a ModelIndex) enables model rules."""
    with gc_paused():
        return _analyze(text, dialect, model, lint, select, ignore)


def _analyze(text: str, dialect: str | None, model: ModelIndex | None, lint: bool, select: Iterable[str],
             ignore: Iterable[str]) -> Analysis:
    schema = load()
    tree, diagnostics = parse(text)
    choice = choose_dialect(tree, schema, dialect, getattr(model, "framework", None))
    root, bind_diags = bind(tree, schema, choice.name)
    if choice.alternatives and _schema_errors(bind_diags):
        # Several dialects fit the top-level fields: take the one that knows most of the file.
        best = (_schema_errors(bind_diags), root, bind_diags, choice.name)
        for name in choice.alternatives:
            alt_root, alt_diags = bind(tree, schema, name)
            if _schema_errors(alt_diags) < best[0]:
                best = (_schema_errors(alt_diags), alt_root, alt_diags, name)
        if best[3] != choice.name:
            _, root, bind_diags, name = best
            choice = DialectChoice(name, f"its fields fit the {name} dialect best", choice.diagnostics)
    diagnostics = diagnostics + choice.diagnostics + bind_diags
    if dialect is None and (note := foreign_note(text, tree, schema)) is not None:
        diagnostics, lint = [note], False  # plainly not an AMCT config (foreign.py): one note
    analysis = Analysis(text, tree, choice, root, schema, diagnostics, model)
    if lint:
        from .rules.runner import run_rules

        diagnostics += run_rules(tree, root, choice.name, schema, model, choice.alternatives,
                                 semantic=lambda: analysis.semantic)
    analysis.diagnostics = diagnostics = _filter(tree, diagnostics, select, ignore)
    diagnostics.sort(key=lambda d: (d.start, d.end, d.code))
    return analysis


def _schema_errors(diagnostics: list[Diagnostic]) -> int:
    return sum(1 for d in diagnostics if d.code in ("SCH001", "SCH002", "SCH004", "SCH005"))


def _matches(code: str, patterns: set[str]) -> bool:
    return any(code.startswith(p) for p in patterns)


def _named(code: str, names: set[str]) -> bool:
    """Suppression comments name a code exactly, or a whole family ("CAL"); a partial code such
    as "SCH00" silences nothing, so a typo cannot hide more than was meant."""
    return code in names or code[:3] in names


def _filter(tree: SyntaxTree, diagnostics: list[Diagnostic], select: Iterable[str],
            ignore: Iterable[str]) -> list[Diagnostic]:
    selected = {s.strip().upper() for s in select if s.strip()}
    ignored = {s.strip().upper() for s in ignore if s.strip()}
    file_off: set[str] = set()
    line_off: dict[int, set[str]] = {}
    for comment in tree.comments:
        m = _SUPPRESS.search(comment.text)
        if not m:
            continue
        codes = {c.strip().upper() for c in m.group(2).split(",") if c.strip()}
        if m.group(1) == "disable-file":
            file_off |= codes
        else:
            line_off.setdefault(tree.lines.line_col(comment.start)[0], set()).update(codes)
    out = []
    for d in diagnostics:
        if selected and not _matches(d.code, selected):
            continue
        if _matches(d.code, ignored) or _named(d.code, file_off):
            continue
        if line_off and _named(d.code, line_off.get(tree.lines.line_col(d.start)[0], set())):
            continue
        out.append(d)
    return out
