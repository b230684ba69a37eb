"""The open documents' texts, kept by the server itself.

pygls' document store splits lines with str.splitlines, which also breaks at form feeds, '\\x1c'
and U+2028: a paste of such characters would make its incremental edits land elsewhere than the
client's. Here changes are applied with LSP's own line rules (convert.Positions).
"""

from __future__ import annotations

from lsprotocol import types

from .convert import Positions


class Document:
    __slots__ = ("uri", "version", "text")

    def __init__(self, uri: str, version: int, text: str) -> None:
        self.uri = uri
        self.version = version
        self.text = text

    def apply(self, change: types.TextDocumentContentChangeEvent) -> None:
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = Positions(self.text).offsets(change.range)
            self.text = self.text[:start] + change.text + self.text[end:]
        else:
            self.text = change.text
