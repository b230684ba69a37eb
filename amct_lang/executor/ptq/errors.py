"""The one error a PTQ run raises for a user's mistake: a message that says where and what to do."""

from __future__ import annotations

from typing import Any


class PtqError(Exception):
    """A run cannot go on (bad model, bad data, an output in the way). Nothing was written."""

    def __init__(self, message: str, *, analysis: Any = None) -> None:
        super().__init__(message)
        self.message = message
        # when the config is at fault: its Analysis, whose diagnostics say where (as `check` prints them)
        self.analysis = analysis

    @property
    def diagnostics(self) -> list[Any]:
        return list(self.analysis.diagnostics) if self.analysis is not None else []
