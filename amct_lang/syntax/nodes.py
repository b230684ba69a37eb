"""Syntax tree of a text-format document. Every node knows its source range (offsets).

The tree is concrete enough for the formatter and the editor (punctuation positions, comments)
and small enough to build fast: plain classes with __slots__, no generic child lists.
"""

from __future__ import annotations

from .lineindex import LineIndex


class Token:
    """One lexical token. `kind` is the grammar's terminal name (IDENT, NUMBER, STRING, ...).

    A token invented by error recovery (a missing ':' or value) has `missing=True` and an empty
    range at the place it was expected; later stages ignore it.
    """

    __slots__ = ("kind", "text", "start", "end", "missing")

    def __init__(self, kind: str, text: str, start: int, end: int, missing: bool = False) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.missing = missing

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r}, {self.start}..{self.end})"


class Comment:
    __slots__ = ("text", "start", "end")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Comment({self.text!r}, {self.start}..{self.end})"


class Scalar:
    """A scalar value: one NUMBER or IDENT token, or one or more adjacent STRING tokens."""

    __slots__ = ("tokens",)

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    @property
    def kind(self) -> str:
        return self.tokens[0].kind

    @property
    def missing(self) -> bool:
        return self.tokens[0].missing

    def __repr__(self) -> str:
        return f"Scalar({' '.join(t.text for t in self.tokens)})"


class Message:
    """`{ fields }` or `< fields >`."""

    __slots__ = ("open", "fields", "close")

    def __init__(self, open: Token, fields: list[Field], close: Token) -> None:
        self.open = open
        self.fields = fields
        self.close = close

    @property
    def start(self) -> int:
        return self.open.start

    @property
    def end(self) -> int:
        return self.close.end

    def __repr__(self) -> str:
        return f"Message({self.fields!r})"


class ListValue:
    """`[ item, item ]`: scalars or messages."""

    __slots__ = ("open", "items", "close")

    def __init__(self, open: Token, items: list[Scalar] | list[Message], close: Token) -> None:
        self.open = open
        self.items = items
        self.close = close

    @property
    def start(self) -> int:
        return self.open.start

    @property
    def end(self) -> int:
        return self.close.end

    def __repr__(self) -> str:
        return f"List({self.items!r})"


Value = Scalar | Message | ListValue


class Field:
    """`name: value`, `name { ... }`, `name: [ ... ]`, with an optional trailing `,` or `;`.

    `name` is the IDENT token, or for `[ext.name]` a synthetic token spanning the brackets whose
    text is the full name in brackets.
    """

    __slots__ = ("name", "colon", "value", "sep")

    def __init__(self, name: Token, colon: Token | None, value: Value, sep: Token | None) -> None:
        self.name = name
        self.colon = colon
        self.value = value
        self.sep = sep

    @property
    def start(self) -> int:
        return self.name.start

    @property
    def end(self) -> int:
        if self.sep is not None:
            return self.sep.end
        return self.value.end

    def __repr__(self) -> str:
        return f"Field({self.name.text}: {self.value!r})"


class SyntaxTree:
    """The parse result: top-level fields, all comments, and the text they came from."""

    __slots__ = ("text", "fields", "comments", "hidden_errors", "_lines")

    def __init__(self, text: str, fields: list[Field], comments: list[Comment],
                 hidden_errors: int = 0) -> None:
        self.text = text
        self.fields = fields
        self.comments = comments
        # syntax errors found beyond the parser's limit, counted but not in the diagnostics
        self.hidden_errors = hidden_errors
        self._lines: object = None

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines  # type: ignore[return-value]

