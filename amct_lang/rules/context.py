"""What a rule sees: the typed document, its dialect, and (for model rules) the model index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..document import BoundMessage
from ..schema import Schema
from ..syntax.nodes import SyntaxTree


@dataclass
class RuleContext:
    tree: SyntaxTree
    root: BoundMessage
    dialect: str
    schema: Schema
    model: Any = None  # a ModelIndex when the user gave a model

    @property
    def text(self) -> str:
        return self.tree.text
