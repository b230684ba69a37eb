"""Documentation of one schema declaration, read from the `//` comments above it."""

from __future__ import annotations


class Doc:
    """English text and the Chinese original (`// zh:` lines), if any."""

    __slots__ = ("text", "zh")

    def __init__(self, text: str = "", zh: str = "") -> None:
        self.text = text
        self.zh = zh

    def __repr__(self) -> str:
        return f"Doc({self.text!r}, zh={self.zh!r})"
