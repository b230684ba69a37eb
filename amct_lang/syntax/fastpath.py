"""A recursive-descent reader for error-free documents: the common case, made cheap.

It accepts exactly what the grammar accepts and builds the same tree as the LALR driver, but
costs a fraction of the LALR bookkeeping per token. At the first token it does not expect it
gives up (raises Bail) and parser.py reruns the LALR driver, which owns error reporting and
recovery. tests/syntax/test_properties.py checks that both agree on generated documents.
"""

from __future__ import annotations

from .nodes import Field, ListValue, Message, Scalar, Token, Value

_CLOSE = {"LBRACE": "RBRACE", "LESSTHAN": "MORETHAN"}
_VALUE_KINDS = ("IDENT", "NUMBER", "STRING")


class Bail(Exception):
    """Not a document this reader handles: a syntax error, or nesting deeper than MAX_DEPTH."""


_Bail = Bail  # the former name, still used by tests

# Deeper nesting is left to the LALR driver, whose stack is a list: the recursion here stays
# far below Python's limit whatever the input.
MAX_DEPTH = 64


def read(text: str, toks: list[tuple[str, int, int]]) -> list[Field]:
    """Fields of a document whose tokens are `toks` (ending with $END); Bail if not valid."""
    return _Reader(text, toks).field_list(0, "$END")[0]


class _Reader:
    """One pass over the tokens; each method reads one construct from toks[i] and returns it
    with the index after it."""

    def __init__(self, text: str, toks: list[tuple[str, int, int]]) -> None:
        self.text = text
        self.toks = toks
        self.depth = 0

    def tok(self, i: int) -> Token:
        kind, s, e = self.toks[i]
        return Token(kind, self.text[s:e], s, e)

    def scalar(self, i: int) -> tuple[Scalar, int]:
        toks = self.toks
        kind = toks[i][0]
        if kind == "STRING":
            parts = [self.tok(i)]
            i += 1
            while toks[i][0] == "STRING":
                parts.append(self.tok(i))
                i += 1
            return Scalar(parts), i
        if kind == "NUMBER" or kind == "IDENT":
            return Scalar([self.tok(i)]), i + 1
        raise Bail

    def message(self, i: int) -> tuple[Message, int]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Bail
        open_ = self.tok(i)
        fields, i = self.field_list(i + 1, _CLOSE[open_.kind])
        self.depth -= 1
        return Message(open_, fields, self.tok(i)), i + 1

    def field_list(self, i: int, close_kind: str) -> tuple[list[Field], int]:
        toks = self.toks
        fields: list[Field] = []
        append = fields.append
        while True:
            kind = toks[i][0]
            if kind == close_kind:
                return fields, i
            if kind == "IDENT":
                name = self.tok(i)
                i += 1
            elif kind == "LSQB":
                name, i = self.extension_name(i)
            else:
                raise Bail
            colon = None
            if toks[i][0] == "COLON":
                colon = self.tok(i)
                i += 1
            value, i = self.value(i, colon is not None)
            sep = None
            kind = toks[i][0]
            if kind == "COMMA" or kind == "SEMICOLON":
                sep = self.tok(i)
                i += 1
            append(Field(name, colon, value, sep))

    def value(self, i: int, after_colon: bool) -> tuple[Value, int]:
        kind = self.toks[i][0]
        if kind in _CLOSE:
            return self.message(i)
        if kind == "LSQB":  # `name [{...}]`: only a list of messages may omit the colon
            return self.list_value(i, messages_only=not after_colon)
        if after_colon and kind in _VALUE_KINDS:
            return self.scalar(i)
        raise Bail

    def list_value(self, i: int, messages_only: bool = False) -> tuple[ListValue, int]:
        toks = self.toks
        open_ = self.tok(i)
        i += 1
        items: list[Scalar | Message] = []
        kind = toks[i][0]
        if kind == "RSQB":
            return ListValue(open_, items, self.tok(i)), i + 1  # type: ignore[arg-type]
        messages = kind in _CLOSE
        if messages_only and not messages:
            raise Bail
        while True:
            item: Scalar | Message
            if messages:
                if toks[i][0] not in _CLOSE:
                    raise Bail
                item, i = self.message(i)
            else:
                item, i = self.scalar(i)
            items.append(item)
            kind = toks[i][0]
            if kind == "RSQB":
                return ListValue(open_, items, self.tok(i)), i + 1  # type: ignore[arg-type]
            if kind != "COMMA":
                raise Bail
            i += 1

    def extension_name(self, i: int) -> tuple[Token, int]:
        toks = self.toks
        start = toks[i][1]
        i += 1
        parts: list[str] = []
        expect_ident = True
        seen_slash = False
        while True:
            kind, s, e = toks[i]
            if expect_ident:
                if kind != "IDENT":
                    raise Bail
                parts.append(self.text[s:e])
                expect_ident = False
            elif kind == "DOT" or (kind == "SLASH" and not seen_slash):
                seen_slash = seen_slash or kind == "SLASH"
                parts.append(self.text[s:e])
                expect_ident = True
            elif kind == "RSQB":
                return Token("EXTENSION", "[" + "".join(parts) + "]", start, e), i + 1
            else:
                raise Bail
            i += 1
