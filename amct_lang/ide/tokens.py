"""The token stream of a text, comments included: what editor features read where the tree is broken.

Uses the parser's own token regex, so the editor and the checker agree on every token boundary.
"""

from __future__ import annotations

from typing import NamedTuple

from ..syntax.grammar import tables


class Tok(NamedTuple):
    """One token, as features hand it out (the stream itself is plain tuples: cheaper)."""

    kind: str  # IDENT, NUMBER, STRING, BADSTRING (unterminated string), COMMENT, COLON, ...
    start: int
    end: int


Raw = tuple[str, int, int]  # (kind, start, end)


def lex(text: str) -> list[Raw]:
    t = tables()
    kinds = t.group_kinds
    out: list[Raw] = []
    append = out.append
    for m in t.token_regex.finditer(text):
        group = m.lastindex or 0
        kind = kinds[group]
        if kind != "EOF":
            start, end = m.span(group)
            append((kind, start, end))
    return out
