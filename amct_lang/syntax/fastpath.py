"""A recursive-descent reader for error-free documents: the common case, made cheap.

It accepts exactly what the grammar accepts and builds the same tree as the LALR driver, but
costs a fraction of the LALR bookkeeping per token. At the first token it does not expect it
gives up (raises Bail) and parser.py reruns the LALR driver, which owns error reporting and
recovery. tests/syntax/test_properties.py checks that both agree on generated documents.
"""

from __future__ import annotations

from .nodes import Field, ListValue, Message, Scalar, Token

_CLOSE = {"LBRACE": "RBRACE", "LESSTHAN": "MORETHAN"}
_VALUE_KINDS = ("IDENT", "NUMBER", "STRING")


class Bail(Exception):
    """Not a document this reader handles: a syntax error, or nesting deeper than MAX_DEPTH."""


_Bail = Bail  # the former name, still used by tests

# Deeper nesting is left to the LALR driver, whose stack is a list: the recursion here stays
# far below Python's limit whatever the input.
MAX_DEPTH = 100


def read(text: str, toks: list[tuple[str, int, int]]) -> list[Field]:
    """Fields of a document whose tokens are `toks` (ending with $END); Bail if not valid."""
    pos = 0
    depth = 0

    def tok(i: int) -> Token:
        kind, s, e = toks[i]
        return Token(kind, text[s:e], s, e)

    def scalar(i: int) -> tuple[Scalar, int]:
        kind = toks[i][0]
        if kind == "STRING":
            parts = [tok(i)]
            i += 1
            while toks[i][0] == "STRING":
                parts.append(tok(i))
                i += 1
            return Scalar(parts), i
        if kind == "NUMBER" or kind == "IDENT":
            return Scalar([tok(i)]), i + 1
        raise Bail

    def message(i: int) -> tuple[Message, int]:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise Bail
        open_ = tok(i)
        close_kind = _CLOSE[open_.kind]
        fields, i = field_list(i + 1, close_kind)
        depth -= 1
        return Message(open_, fields, tok(i)), i + 1

    def field_list(i: int, close_kind: str) -> tuple[list[Field], int]:
        fields: list[Field] = []
        append = fields.append
        while True:
            kind = toks[i][0]
            if kind == close_kind:
                return fields, i
            if kind == "IDENT":
                name = tok(i)
                i += 1
            elif kind == "LSQB":
                name, i = extension_name(i)
            else:
                raise Bail
            kind = toks[i][0]
            colon = None
            if kind == "COLON":
                colon = tok(i)
                i += 1
                kind = toks[i][0]
                if kind in _VALUE_KINDS:
                    value, i = scalar(i)
                elif kind == "LSQB":
                    value, i = list_value(i)
                elif kind in _CLOSE:
                    value, i = message(i)
                else:
                    raise Bail
            elif kind in _CLOSE:
                value, i = message(i)
            elif kind == "LSQB":  # `name [{...}]`: only a list of messages may omit the colon
                value, i = list_value(i, messages_only=True)
            else:
                raise Bail
            sep = None
            kind = toks[i][0]
            if kind == "COMMA" or kind == "SEMICOLON":
                sep = tok(i)
                i += 1
            append(Field(name, colon, value, sep))

    def list_value(i: int, messages_only: bool = False) -> tuple[ListValue, int]:
        open_ = tok(i)
        i += 1
        items: list = []  # type: ignore[type-arg]
        kind = toks[i][0]
        if kind == "RSQB":
            return ListValue(open_, items, tok(i)), i + 1
        messages = kind in _CLOSE
        if messages_only and not messages:
            raise Bail
        while True:
            if messages:
                if toks[i][0] not in _CLOSE:
                    raise Bail
                item, i = message(i)
            else:
                item, i = scalar(i)
            items.append(item)
            kind = toks[i][0]
            if kind == "RSQB":
                return ListValue(open_, items, tok(i)), i + 1
            if kind != "COMMA":
                raise Bail
            i += 1

    def extension_name(i: int) -> tuple[Token, int]:
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
                parts.append(text[s:e])
                expect_ident = False
            elif kind == "DOT" or (kind == "SLASH" and not seen_slash):
                seen_slash = seen_slash or kind == "SLASH"
                parts.append(text[s:e])
                expect_ident = True
            elif kind == "RSQB":
                return Token("EXTENSION", "[" + "".join(parts) + "]", start, e), i + 1
            else:
                raise Bail
            i += 1

    fields, pos = field_list(pos, "$END")
    return fields
