"""What a rule sees: the typed document, its dialect, and (for model rules) the model index."""

from __future__ import annotations

from typing import Any

from ..document import BoundMessage
from ..schema import Schema
from ..syntax.nodes import SyntaxTree


class RuleContext:
    def __init__(self, tree: SyntaxTree, root: BoundMessage, dialect: str, schema: Schema,
                 model: Any = None) -> None:
        self.tree = tree
        self.root = root
        self.dialect = dialect
        self.schema = schema
        self.model = model  # a ModelIndex when the user gave a model

    @property
    def text(self) -> str:
        return self.tree.text
