"""Indentation of inserted text: follow the file, else the formatter's layout."""

from __future__ import annotations

from ..format import INDENT


def indent_unit(text: str) -> str:
    """The file's indentation step: a tab, else the smallest space indent it uses."""
    smallest = 0
    for line in text.splitlines()[:2000]:
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        lead = line[:len(line) - len(stripped)]
        if lead.startswith("\t"):
            return "\t"
        if lead and (smallest == 0 or len(lead) < smallest):
            smallest = len(lead)
    return " " * smallest if smallest else INDENT


def line_indent(text: str, offset: int) -> str:
    """The whitespace at the start of the line holding `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def field_style(text: str, tokens: list[tuple[str, int, int]]) -> tuple[str, str]:
    """How the file writes a field: the separator before a value (`: ` or ` : `) and before a
    block (` {` or `: {`), by majority of what it already has; the formatter's by default."""
    spaced = tight = colon_blocks = bare_blocks = 0
    previous: tuple[str, int, int] | None = None
    before_previous: tuple[str, int, int] | None = None
    for tok in tokens:
        kind = tok[0]
        if kind == "COMMENT":
            continue
        if kind == "COLON" and previous is not None and previous[0] == "IDENT":
            if text[previous[2]:tok[1]].strip(" \t") == "" and tok[1] > previous[2]:
                spaced += 1
            else:
                tight += 1
        elif kind == "LBRACE" and previous is not None:
            if previous[0] == "IDENT":
                bare_blocks += 1
            elif previous[0] == "COLON" and before_previous is not None and before_previous[0] == "IDENT":
                colon_blocks += 1
        before_previous, previous = previous, tok
    colon = " : " if spaced > tight else ": "
    block = colon.rstrip() + " {" if colon_blocks > bare_blocks else " {"
    return colon, block
