"""Diagnostics: plain data shared by every stage. Positions are offsets into the text."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Edit(NamedTuple):
    """Replace text[start:end] with new_text."""

    start: int
    end: int
    new_text: str


class Fix(NamedTuple):
    """A change that resolves a diagnostic. Only `safe` fixes are applied by `--fix`."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool = False


class Related(NamedTuple):
    """Another place that explains a diagnostic (the first of two duplicates, ...)."""

    start: int
    end: int
    message: str


class Diagnostic(NamedTuple):
    code: str
    message: str
    start: int
    end: int
    severity: Severity = Severity.ERROR
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
