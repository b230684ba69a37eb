"""Map offsets to (line, column) and back. Built lazily: checking a clean file needs no positions."""

from __future__ import annotations

from bisect import bisect_right


class LineIndex:
    __slots__ = ("text", "_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def line_starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._starts = starts
        return self._starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """0-based line and 0-based column (in code points) of an offset."""
        offset = max(0, min(offset, len(self.text)))
        starts = self.line_starts
        line = bisect_right(starts, offset) - 1
        return line, offset - starts[line]

    def offset(self, line: int, col: int) -> int:
        starts = self.line_starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return min(starts[line] + max(col, 0), end)

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        if not 0 <= line < len(starts):
            return ""
        end = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        return self.text[starts[line]:end].rstrip("\r\n")

    def utf16_col(self, offset: int) -> tuple[int, int]:
        """0-based line and UTF-16 code-unit column, as LSP counts them."""
        line, col = self.line_col(offset)
        start = self.line_starts[line]
        segment = self.text[start:start + col]
        return line, col + sum(1 for ch in segment if ord(ch) > 0xFFFF)

    def offset_from_utf16(self, line: int, character: int) -> int:
        starts = self.line_starts
        if line >= len(starts):
            return len(self.text)
        if line < 0:
            return 0
        pos = starts[line]
        units = 0
        text = self.text
        while pos < len(text) and text[pos] != "\n" and units < character:
            units += 2 if ord(text[pos]) > 0xFFFF else 1
            pos += 1
        return pos
