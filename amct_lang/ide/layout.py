"""How inserted text is laid out: follow the file, else the formatter's layout. Indentation is
the core's (amct_lang.schema_fixes, which the fixes use too); the field style is the editor's."""

from __future__ import annotations

from ..schema_fixes import indent_unit, line_indent

__all__ = ["field_style", "indent_unit", "line_indent"]


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
