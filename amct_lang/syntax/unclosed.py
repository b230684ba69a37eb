"""Blocks left open at the end of the text: where each should have closed, by its indentation.

text_format only says that a '}' is missing at the end of the file. When the lines below an
unclosed block go back to the block's own indentation, the user meant the block to end there:
the fields after it belong outside. The parser is then run again with the missing closers in
those places, so that those fields are checked where they were meant to be (no "unknown field"
for a field that landed in the wrong block), and every unclosed block gets its own SYN005 with
an "insert '}'" fix at the place its indentation says.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

from ..diagnostics import Diagnostic, Edit, Fix, Severity
from .nodes import Token

CLOSERS = {"LBRACE": "RBRACE", "LESSTHAN": "MORETHAN"}
_TEXT = {"RBRACE": "}", "MORETHAN": ">", "LBRACE": "{", "LESSTHAN": "<"}
# More open blocks than this at the end of a text: not an indented config, closed at the end.
MAX_PLANNED = 50
_FIELD_START = ("IDENT", "LSQB")


class Block(NamedTuple):
    opener: Token
    indent: str  # the leading whitespace of the opener's line
    close_at: int  # offset of the token the block should close before (len(text): the end)


def plan(text: str, toks: list[tuple[str, int, int]], openers: list[Token]) -> list[Block]:
    """Where each open block (outermost first) should close, judged by indentation."""
    n = len(text)
    if len(openers) > MAX_PLANNED:
        return [Block(o, "", n) for o in openers]
    indents = [_indent(text, o.start) for o in openers]
    firsts = _line_firsts(text, toks)
    offsets = [f[0] for f in firsts]
    blocks: list[Block] = []
    bound = len(firsts)  # an inner block closes no later than the block around it
    for opener, indent in zip(openers, indents, strict=True):
        close_at = n
        k = bisect_right(offsets, opener.start)
        while k < bound:
            offset, column, kind, prev_kind = firsts[k]
            if column <= len(indent) and kind in _FIELD_START and prev_kind != "COLON":
                close_at = offset
                bound = k + 1
                break
            k += 1
        blocks.append(Block(opener, indent, close_at))
    return blocks


def virtual_closers(blocks: list[Block], n: int) -> dict[int, list[str]]:
    """The closers to feed the parser before the token at each offset, innermost first."""
    out: dict[int, list[str]] = {}
    for block in reversed(blocks):
        if block.close_at < n:
            out.setdefault(block.close_at, []).append(CLOSERS[block.opener.kind])
    return out


def diagnostics(text: str, toks: list[tuple[str, int, int]], blocks: list[Block]) -> list[Diagnostic]:
    """One SYN005 per unclosed block, right after the last token of the block, with a fix that
    inserts its closer (and those of the blocks inside it that end at the same place)."""
    ends = [t[1] for t in toks]
    if len(blocks) > MAX_PLANNED:
        return [_all_at_the_end(text, toks, ends, blocks)]
    out = []
    for k, block in enumerate(blocks):
        at = _end_of_token_before(toks, ends, block.close_at)
        inner = [b for b in blocks[k:] if b.close_at == block.close_at]
        insert = "".join(f"\n{b.indent}{_TEXT[CLOSERS[b.opener.kind]]}" for b in reversed(inner))
        closer = _TEXT[CLOSERS[block.opener.kind]]
        line = text.count("\n", 0, block.opener.start) + 1
        message = f"missing '{closer}' to close '{_TEXT[block.opener.kind]}' opened on line {line}"
        at_end = block.close_at >= len(text)
        if not at_end:
            before = text.count("\n", 0, block.close_at) + 1
            message += f"; by its indentation the block ends before line {before}"
        title = f"Insert '{closer}' to close the block of line {line}"
        # at the end of the text the closers can only go there; elsewhere the place is a guess
        fix = Fix(title, (Edit(at, at, insert),), safe=at_end)
        out.append(Diagnostic("SYN005", message, at, at, Severity.ERROR, fixes=(fix,)))
    return out


def _all_at_the_end(text: str, toks: list[tuple[str, int, int]], ends: list[int],
                    blocks: list[Block]) -> Diagnostic:
    """Too many open blocks to report one by one: one report, one fix that closes them all."""
    at = _end_of_token_before(toks, ends, len(text))
    first = text.count("\n", 0, blocks[0].opener.start) + 1
    last = text.count("\n", 0, blocks[-1].opener.start) + 1
    insert = "".join(_TEXT[CLOSERS[b.opener.kind]] for b in reversed(blocks))
    message = (f"{len(blocks)} blocks are not closed (opened on lines {first} to {last}): "
               "each needs its '}' (or '>')")
    fix = Fix(f"Insert the {len(blocks)} missing closers", (Edit(at, at, insert),), safe=True)
    return Diagnostic("SYN005", message, at, at, Severity.ERROR, fixes=(fix,))


def _indent(text: str, offset: int) -> str:
    line = text[text.rfind("\n", 0, offset) + 1:offset]
    return line[:len(line) - len(line.lstrip(" \t"))]


def _line_firsts(text: str, toks: list[tuple[str, int, int]]) -> list[tuple[int, int, str, str]]:
    """(offset, column, kind, kind of the token before) of each token that starts a line.

    Linear: only the gap between two tokens is searched for a line break."""
    out = []
    prev_end = 0
    prev_kind = ""
    line_start = 0
    for kind, start, end in toks:
        if kind == "$END" or start == end:
            continue
        brk = text.rfind("\n", prev_end, start)
        if brk >= 0 or prev_end == 0:
            if brk >= 0:
                line_start = brk + 1
            out.append((start, start - line_start, kind, prev_kind))
        prev_end = end
        prev_kind = kind
    return out


def _end_of_token_before(toks: list[tuple[str, int, int]], starts: list[int], offset: int) -> int:
    k = bisect_right(starts, offset - 1) - 1
    while k >= 0 and (toks[k][0] == "$END" or toks[k][1] == toks[k][2]):
        k -= 1
    return toks[k][2] if k >= 0 else 0
