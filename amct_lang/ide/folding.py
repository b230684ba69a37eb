"""Folding ranges: every block or list spanning lines, and runs of comment lines.

A range is given by offsets: `start` on its first line, `end` on its last. It ends on the line
before its closing bracket when that bracket starts its line, so the bracket stays visible when
folded. Editors fold whole lines; a range within one line is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.nodes import Field, ListValue, Message
from .snapshot import Snapshot

REGION = "region"
COMMENT = "comment"


@dataclass(frozen=True)
class Fold:
    start: int
    end: int
    kind: str = REGION


def folding_ranges(snap: Snapshot) -> list[Fold]:
    out: list[Fold] = []
    text = snap.text

    def block(open_start: int, close_start: int) -> None:
        line_start = text.rfind("\n", 0, close_start) + 1
        end = close_start
        if not text[line_start:close_start].strip():
            end = max(line_start - 1, 0)  # the bracket starts its line: keep it visible
        if "\n" in text[open_start:end]:
            out.append(Fold(open_start, end))

    def walk(fields: list[Field]) -> None:
        for f in fields:
            value = f.value
            if type(value) is Message:
                block(value.open.start, value.close.start)
                walk(value.fields)
            elif type(value) is ListValue:
                block(value.open.start, value.close.start)
                for item in value.items:
                    if type(item) is Message:
                        block(item.open.start, item.close.start)
                        walk(item.fields)

    walk(snap.analysis.tree.fields)
    out.extend(_comment_runs(snap))
    out.sort(key=lambda f: (f.start, -f.end))
    return out


def _comment_runs(snap: Snapshot) -> list[Fold]:
    """Two or more consecutive lines holding only a comment."""
    text = snap.text
    runs: list[Fold] = []
    first = last = None
    for c in snap.analysis.tree.comments:
        line_start = text.rfind("\n", 0, c.start) + 1
        if text[line_start:c.start].strip():
            continue  # a comment after code
        if last is not None and text.count("\n", last.end, c.start) == 1:
            last = c
            continue
        if first is not None and last is not first:
            runs.append(Fold(first.start, last.end, COMMENT))  # type: ignore[union-attr]
        first = last = c
    if first is not None and last is not first:
        runs.append(Fold(first.start, last.end, COMMENT))  # type: ignore[union-attr]
    return runs
