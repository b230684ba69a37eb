"""Semantic tokens: field names, enum values, booleans, numbers, strings and comments.

Classified from the token stream with one token of context on each side (a name is followed by
`:` or `{`; a value follows `:` or sits in a list), so highlighting survives syntax errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the server reads TOKEN_TYPES before anything else is loaded
    from .snapshot import Snapshot

PROPERTY = "property"
ENUM_MEMBER = "enumMember"
KEYWORD = "keyword"
NUMBER = "number"
STRING = "string"
COMMENT = "comment"
TOKEN_TYPES = (PROPERTY, ENUM_MEMBER, KEYWORD, NUMBER, STRING, COMMENT)

_BOOLS = frozenset(("true", "True", "t", "false", "False", "f"))
_FLOAT_WORDS = frozenset(("inf", "infinity", "nan", "-inf", "-infinity"))
_NAME_FOLLOWERS = frozenset(("COLON", "LBRACE", "LESSTHAN"))


@dataclass(frozen=True)
class SemanticToken:
    start: int
    end: int
    type: str


def semantic_tokens(snap: Snapshot) -> list[SemanticToken]:
    if snap.foreign:
        return []
    text = snap.text
    toks = snap.tokens
    code = [t for t in toks if t[0] != "COMMENT"]
    out = []
    depth = 0  # inside `name: [ ... ]`
    prev = ""
    ci = 0  # index in `code` of the current non-comment token
    for kind, start, end in toks:
        if kind == "COMMENT":
            out.append(SemanticToken(start, end, COMMENT))
            continue
        if kind == "LSQB" and prev == "COLON":
            depth += 1
        elif kind == "RSQB" and depth:
            depth -= 1
        after = code[ci + 1][0] if ci + 1 < len(code) else ""
        ci += 1
        if kind in ("STRING", "BADSTRING"):
            out.append(SemanticToken(start, end, STRING))
        elif kind == "NUMBER":
            out.append(SemanticToken(start, end, NUMBER))
        elif kind == "IDENT":
            word = text[start:end]
            is_value = prev == "COLON" or (depth > 0 and prev in ("LSQB", "COMMA"))
            if after in _NAME_FOLLOWERS or not is_value:
                out.append(SemanticToken(start, end, PROPERTY))
            elif word in _BOOLS:
                out.append(SemanticToken(start, end, KEYWORD))
            elif word.lower() in _FLOAT_WORDS:
                out.append(SemanticToken(start, end, NUMBER))
            else:
                out.append(SemanticToken(start, end, ENUM_MEMBER))
        prev = kind
    return out
