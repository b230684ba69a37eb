"""Diagnostics: plain data shared by every stage. Positions are offsets into the text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with new_text."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class Fix:
    """A change that resolves a diagnostic. Only `safe` fixes are applied by `--fix`."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool = False


@dataclass(frozen=True)
class Related:
    """Another place that explains a diagnostic (the first of two duplicates, ...)."""

    start: int
    end: int
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    start: int
    end: int
    severity: Severity = Severity.ERROR
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
