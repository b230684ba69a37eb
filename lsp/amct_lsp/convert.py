"""Offsets (the core's positions) to LSP positions and back.

LSP counts lines split at '\\n', '\\r\\n' or '\\r', and characters in UTF-16 code units. The
core's LineIndex only knows '\\n' (what the text format cares about), so the LSP layer keeps its
own index: a lone '\\r' or an astral character in a pasted text must not shift any position.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from weakref import WeakKeyDictionary

from lsprotocol import types

_BREAK = re.compile(r"\r\n|\r|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Positions:
    """Line starts of a text by LSP's rules, and conversions to and from UTF-16 positions."""

    __slots__ = ("text", "starts", "ends", "astral")
    # `astral`: the offsets of the characters beyond the BMP (two UTF-16 units each), sorted, so
    # a column is its code-point column plus a count found by bisection: no per-token scan of
    # the line (a long line would make every conversion on it linear).

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        ends = []
        for m in _BREAK.finditer(text):
            ends.append(m.start())
            starts.append(m.end())
        ends.append(len(text))
        self.starts = starts
        self.ends = ends  # where each line's content ends (before its line break)
        self.astral = [m.start() for m in _ASTRAL.finditer(text)] if text and max(text) > "\uffff" else []

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        if offset > self.ends[line]:  # inside a '\r\n': the end of the line
            offset = self.ends[line]
        col = offset - start
        astral = self.astral
        if astral:
            col += bisect_left(astral, offset) - bisect_left(astral, start)
        return types.Position(line=line, character=col)

    def offset(self, pos: types.Position) -> int:
        """The offset of an LSP position; past a line's end or the text's end it is clamped."""
        line = pos.line
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self.ends[line]
        want = max(pos.character, 0)
        astral = self.astral
        if not astral:
            return min(start + want, end)
        # the first offset whose UTF-16 column reaches `want` (columns grow with the offset)
        before = bisect_left(astral, start)
        lo, hi = start, end
        while lo < hi:
            mid = (lo + hi) // 2
            if mid - start + bisect_left(astral, mid) - before >= want:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def range(self, start: int, end: int) -> types.Range:
        end = max(start, end)
        return types.Range(start=self.position(start), end=self.position(end))

    def offsets(self, rng: types.Range) -> tuple[int, int]:
        start = self.offset(rng.start)
        end = self.offset(rng.end)
        return (start, end) if start <= end else (end, start)

    def line_of(self, offset: int) -> int:
        return self.position(offset).line


_CACHE: WeakKeyDictionary[object, Positions] = WeakKeyDictionary()


def positions(snap: object) -> Positions:
    """The index of a snapshot's text, built once per snapshot."""
    found = _CACHE.get(snap)
    if found is None:
        found = _CACHE[snap] = Positions(snap.text)  # type: ignore[attr-defined]
    return found
