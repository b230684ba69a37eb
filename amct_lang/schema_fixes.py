"""Fixes of the schema diagnostics, made by the binder together with the diagnostics themselves.

So `check --fix` and the editor's quick fixes and fix-all offer the same edits from the same facts
(the field, the allowed values, the did-you-mean), never from the message text.

Safety follows `--fix`: safe = keeps what AMCT reads, or makes a value AMCT rejects loadable in the
one way the user evidently meant (quotes added or removed); whatever picks among possibilities (a
did-you-mean, an allowed value) is offered but not safe.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from .diagnostics import Edit, Fix
from .syntax.nodes import Comment, Field, Message

_BOOL, _ENUM, _FLOAT, _DOUBLE, _MESSAGE, _STRING, _BYTES = 8, 14, 2, 1, 11, 9, 12


def formatter_indent() -> str:
    """The formatter's indentation step, for files that show none of their own."""
    from .format import INDENT  # only when a fix inserts lines

    return INDENT


def rename(start: int, end: int, hint: str, siblings: list[Field], repeated: bool) -> tuple[Fix, ...]:
    """SCH001: rename an unknown field to the field it most likely means, unless that field is
    already given (and not repeated): the rename would only make a duplicate."""
    if not repeated and any(f.name.text == hint for f in siblings):
        return ()
    return (Fix(f"Rename to '{hint}'", (Edit(start, end, hint),)),)


def enum_choices(start: int, end: int, names: list[str], hint: str | None) -> tuple[Fix, ...]:
    """SCH004: each allowed value, the likely one first."""
    ordered = ([hint] if hint else []) + [n for n in names if n != hint]
    return tuple(Fix(f"Replace with '{n}'", (Edit(start, end, n),)) for n in ordered)


def add_quotes(start: int, end: int, written: str) -> tuple[Fix, ...]:
    """SCH002: a bare word or number for a string field."""
    return (Fix("Put the value in quotes", (Edit(start, end, f'"{written}"'),), safe=True),)


def remove_quotes(fd: Any, start: int, end: int, written: str) -> tuple[Fix, ...]:
    """SCH002: a quoted bool / number / enum value: safe when the text inside is a valid value."""
    if len(written) < 2:
        return ()
    inner = written[1:-1]
    if not _valid_bare(fd, inner):
        return ()
    return (Fix("Remove the quotes", (Edit(start, end, inner),), safe=True),)


def bool_choices(start: int, end: int, written: str) -> tuple[Fix, ...]:
    """SCH002: `TRUE`, `yes`, `2` for a bool: the allowed spellings, the likely one first."""
    likely = "false" if written.lower() in ("false", "no", "off", "n") else "true"
    return tuple(Fix(f"Replace with '{v}'", (Edit(start, end, v),))
                 for v in (likely, "false" if likely == "true" else "true"))


def _valid_bare(fd: Any, text: str) -> bool:
    from google.protobuf import text_format

    if not text or text.strip() != text or not text.isascii():
        return False  # every bare bool, number and enum name is ASCII (and protobuf fails on surrogates)
    try:
        if fd.type == _BOOL:
            text_format.ParseBool(text)
        elif fd.type == _ENUM:
            text_format.ParseEnum(fd, text)
        elif fd.type in (_FLOAT, _DOUBLE):
            text_format.ParseFloat(text)
        elif fd.type in (_MESSAGE, _STRING, _BYTES):
            return False
        else:
            int(text, 0)
    except ValueError:
        return False
    return True


def add_required(text: str, open_start: int, open_end: int, fd: Any, unit: str) -> tuple[Fix, ...]:
    """SCH005: the missing required field on a new line after the block's `{` (not safe: the value
    is a placeholder the user has to fill in)."""
    name = fd.name
    inner = line_indent(text, open_start) + unit
    if fd.type == _MESSAGE:
        value = f"{name} {{\n{inner}}}"
    elif fd.type in (_STRING, _BYTES):
        value = f'{name}: ""'
    elif fd.type == _BOOL:
        value = f"{name}: false"
    elif fd.type == _ENUM:
        value = f"{name}: {fd.enum_type.values[0].name}"
    else:
        value = f"{name}: 0"
    return (Fix(f"Add the required field '{name}'", (Edit(open_end, open_end, f"\n{inner}{value}"),)),)


def duplicate(text: str, comments: list[Comment], first: Field, this: Field,
              in_oneof: bool) -> tuple[Fix, ...]:
    """SCH006: a singular field given twice. A scalar: AMCT keeps the last value, so removing the
    earlier one changes nothing it reads (safe). A block: AMCT merges the two field by field, so
    moving this block's fields to the end of the first one changes nothing either (safe, unless a
    comment would move or a oneof could clear the first block in between)."""
    if type(this.value) is not Message:
        return (Fix(f"Remove the earlier '{first.name.text}' (AMCT uses this one)",
                    (remove_field(text, first),), safe=True),
                Fix(f"Remove this '{this.name.text}'", (remove_field(text, this),)))
    merged = merge_into(text, first, this)
    if merged is None or in_oneof:
        return (Fix(f"Remove this '{this.name.text}'", (remove_field(text, this),)),)
    safe = not _has_comment(comments, this.value.start, this.value.end)
    return (Fix(f"Merge into the first '{first.name.text}' block", merged, safe=safe),)


def oneof_rival(text: str, first: Field, this: Field) -> tuple[Fix, ...]:
    """SCH007: two members of a oneof; AMCT keeps the last one. Removing the earlier one keeps
    what AMCT reads for scalars (a block may have cleared an even earlier one: not safe)."""
    return (Fix(f"Remove the earlier '{first.name.text}' (AMCT uses this one)", (remove_field(text, first),),
                safe=type(this.value) is not Message),
            Fix(f"Remove this '{this.name.text}'", (remove_field(text, this),)))


def merge_into(text: str, first: Field, this: Field) -> tuple[Edit, ...] | None:
    """Edits moving the fields of block `this` to the end of block `first`, removing `this`."""
    a, b = first.value, this.value
    if type(a) is not Message or type(b) is not Message or a.close.missing or b.close.missing:
        return None
    inner = text[b.open.end:b.close.start]
    removal = remove_field(text, this)
    core = inner.strip(" \t\r\n")
    if not core:
        return (removal,)
    close = a.close.start
    line_start = text.rfind("\n", 0, close) + 1
    if line_start > a.open.end and not text[line_start:close].strip(" \t"):
        # the first block closes on its own line: add the lines of the other before it
        body = inner[inner.find("\n") + 1:] if "\n" in inner else inner
        cut = body.rfind("\n")
        lines = body[:cut + 1] if cut >= 0 and body[:cut + 1].strip() else \
            f"{line_indent(text, close)}{indent_unit(text)}{core}\n"
        return (Edit(line_start, line_start, lines), removal)
    before = text[close - 1:close] if close > 0 else ""
    return (Edit(close, close, ("" if before in (" ", "\t") else " ") + core + " "), removal)


def _has_comment(comments: list[Comment], start: int, end: int) -> bool:
    """Whether a comment starts inside text[start:end] (comments are in text order)."""
    i = bisect_left(comments, start, key=lambda c: c.start)
    return i < len(comments) and comments[i].start < end


def line_indent(text: str, offset: int) -> str:
    """The whitespace at the start of the line holding `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def indent_unit(text: str) -> str:
    """The file's indentation step: a tab, else the smallest space indent it uses (first 2000 lines)."""
    smallest = 0
    pos = 0
    for _ in range(2000):
        if pos >= len(text):
            break
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        lead_end = pos
        while lead_end < line_end and text[lead_end] in " \t":
            lead_end += 1
        if lead_end < line_end and text[lead_end] != "#" and lead_end > pos:
            if text[pos] == "\t":
                return "\t"
            width = lead_end - pos
            if smallest == 0 or width < smallest:
                smallest = width
        pos = line_end + 1
    return " " * smallest if smallest else formatter_indent()


def remove_field(text: str, field: Field) -> Edit:
    """Delete a whole field, with its line when nothing else stands on it."""
    start, end = field.start, field.end
    # walk over blanks only (never slice the line: one-line files can be megabytes long)
    line_start = start
    while line_start > 0 and text[line_start - 1] in " \t\r":
        line_start -= 1
    line_end = end
    while line_end < len(text) and text[line_end] in " \t\r":
        line_end += 1
    alone_at_start = line_start == 0 or text[line_start - 1] == "\n"
    if alone_at_start and (line_end == len(text) or text[line_end] == "\n"):
        return Edit(line_start, min(line_end + 1, len(text)), "")
    while end < len(text) and text[end] in " \t":
        end += 1
    return Edit(start, end, "")
