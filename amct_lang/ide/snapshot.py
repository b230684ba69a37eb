"""Snapshot: one version of a document as every editor feature reads it.

The analysis (tree, dialect, bound document, diagnostics), the token stream (built on first use)
and the model associated with the file, if any. Features are pure functions of a snapshot and an
offset; the language server decides when snapshots are made.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from google.protobuf.descriptor import Descriptor

from ..analysis import Analysis, analyze
from ..diagnostics import Diagnostic
from ..syntax.lineindex import LineIndex
from .tokens import Raw, lex

if TYPE_CHECKING:
    from ..model.index import ModelIndex
    from ..semantic.types import EffectiveConfig


class Snapshot:
    def __init__(self, analysis: Analysis, model: ModelIndex | None = None, model_note: str | None = None,
                 model_range: tuple[int, int] | None = None) -> None:
        self.analysis = analysis
        self.model = model  # a ModelIndex when a model is associated with the file
        self.model_note = model_note  # why an associated model could not be used, for the user
        self.model_range = model_range  # the path in the file's `# amct-model:` header, if it has one
        self.requested_dialect: str | None = None  # the dialect asked for (setting), None: detected

    @property
    def text(self) -> str:
        return self.analysis.text

    @property
    def lines(self) -> LineIndex:
        return self.analysis.tree.lines

    @property
    def dialect(self) -> str:
        return self.analysis.dialect.name

    @property
    def top(self) -> Descriptor:
        return self.analysis.schema.top(self.dialect)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.analysis.diagnostics

    @property
    def foreign(self) -> bool:
        """Plainly not an AMCT config (amct_lang.foreign): no outline, folds or highlighting for it."""
        from ..foreign import CODE

        return any(d.code == CODE for d in self.analysis.diagnostics)

    @cached_property
    def tokens(self) -> list[Raw]:
        return lex(self.text)

    @cached_property
    def effective(self) -> EffectiveConfig | None:
        """The effective config of every layer (amct_lang.semantic, computed once per analysis), when
        a model of the kind the dialect configures is associated."""
        from ..semantic import effective_config, model_fits

        if self.model is None or not model_fits(self.dialect, self.model):
            return None
        return effective_config(self.analysis, self.model)


def snapshot(text: str, dialect: str | None = None, model: ModelIndex | None = None) -> Snapshot:
    """Analyze `text` (with the model's rules when one is given) and wrap the result."""
    snap = Snapshot(analyze(text, dialect, model=model), model)
    snap.requested_dialect = dialect
    return snap
