"""Folding ranges: every block or list spanning lines, and runs of comment lines.

A range is given by offsets: `start` on its first line, `end` on its last. It ends on the line
before its closing bracket when that bracket starts its line, so the bracket stays visible when
folded. Editors fold whole lines; a range within one line is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..syntax.nodes import Field, ListValue, Message
from .snapshot import Snapshot

_LEADING_SPACE = re.compile(r"^[ \t\f\v]*", re.MULTILINE)
REGION = "region"
COMMENT = "comment"


@dataclass(frozen=True)
class Fold:
    start: int
    end: int
    kind: str = REGION


def folding_ranges(snap: Snapshot) -> list[Fold]:
    out: list[Fold] = []
    if snap.foreign:
        return out
    text = snap.text
    lines = snap.lines
    starts = lines.line_starts
    # where each line's code starts: a bracket there "starts its line" (one pass over the text,
    # not a look back from every bracket, which on a one-line file would be quadratic)
    first_code = [m.end() for m in _LEADING_SPACE.finditer(text)]

    def block(open_start: int, close_start: int) -> None:
        first = lines.line_col(open_start)[0]
        last = lines.line_col(close_start)[0]
        end = close_start
        if last < len(first_code) and first_code[last] == close_start and last > 0:
            last -= 1  # the bracket starts its line: keep it visible
            end = starts[last + 1] - 1
        if last > first:
            out.append(Fold(open_start, end))

    work: list[list[Field]] = [snap.analysis.tree.fields]  # a work list: nesting depth is unbounded
    while work:
        for f in work.pop():
            value = f.value
            if type(value) is Message:
                block(value.open.start, value.close.start)
                work.append(value.fields)
            elif type(value) is ListValue:
                block(value.open.start, value.close.start)
                for item in value.items:
                    if type(item) is Message:
                        block(item.open.start, item.close.start)
                        work.append(item.fields)

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
