"""The one error a PTQ run raises for a user's mistake: a message that says where and what to do."""

from __future__ import annotations


class PtqError(Exception):
    """A run cannot go on (bad model, bad data, an output in the way). Nothing was written."""

    def __init__(self, message: str, *, diagnostics: list | None = None) -> None:  # type: ignore[type-arg]
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics or []  # positioned config diagnostics, when the config is at fault
