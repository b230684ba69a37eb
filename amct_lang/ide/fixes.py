"""Fixes for the schema diagnostics, which the binder reports without any.

The binder (document.py) says what is wrong; here the same facts (the enclosing message, the
field, the allowed values, did_you_mean) are turned into edits. A diagnostic that already carries
fixes (the rules attach theirs) is left to those.

Safety follows the `--fix` meaning: safe = keeps what AMCT reads, or only makes a value AMCT
rejects loadable in the one way the user evidently meant (quotes added or removed); everything
that picks among possibilities (a did-you-mean, an allowed value) is offered but not safe.
"""

from __future__ import annotations

import re

from google.protobuf import text_format
from google.protobuf.descriptor import FieldDescriptor

from ..diagnostics import Diagnostic, Edit, Fix
from ..document import did_you_mean
from ..rules.context import remove_field
from ..syntax.nodes import Field, ListValue, Message
from .context import cursor_context
from .layout import indent_unit, line_indent
from .snapshot import Snapshot

FD = FieldDescriptor


def derived_fixes(snap: Snapshot, d: Diagnostic) -> tuple[Fix, ...]:
    handler = _HANDLERS.get(d.code)
    if handler is None:
        return ()
    return tuple(handler(snap, d))


def _unknown_field(snap: Snapshot, d: Diagnostic) -> list[Fix]:
    name = snap.text[d.start:d.end]
    ctx = cursor_context(snap, d.end)
    if ctx.descriptor is None or not name:
        return []
    hint = did_you_mean(name, list(ctx.descriptor.fields_by_name))
    if hint is None or hint == name:
        return []
    return [Fix(f"Rename to '{hint}'", (Edit(d.start, d.end, hint),))]


def _bad_enum(snap: Snapshot, d: Diagnostic) -> list[Fix]:
    ctx = cursor_context(snap, d.start + 1)
    fd = ctx.field
    if fd is None or fd.type != FD.TYPE_ENUM:
        return []
    written = snap.text[d.start:d.end]
    names = [v.name for v in fd.enum_type.values]
    hint = did_you_mean(written, names)
    ordered = ([hint] if hint else []) + [n for n in names if n != hint]
    return [Fix(f"Replace with '{n}'", (Edit(d.start, d.end, n),)) for n in ordered]


def _wrong_kind(snap: Snapshot, d: Diagnostic) -> list[Fix]:
    """Quotes around a bool/number/enum removed, or quotes added around a bare string value."""
    written = snap.text[d.start:d.end]
    ctx = cursor_context(snap, d.start + 1)
    fd = ctx.field
    if fd is None or ctx.word is None or (ctx.word.start, ctx.word.end) != (d.start, d.end):
        return []
    if fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES) and ctx.word.kind in ("IDENT", "NUMBER"):
        return [Fix("Put the value in quotes", (Edit(d.start, d.end, f'"{written}"'),), safe=True)]
    if ctx.word.kind == "STRING" and len(written) >= 2:
        inner = written[1:-1]
        if _valid_bare(fd, inner):
            return [Fix("Remove the quotes", (Edit(d.start, d.end, inner),), safe=True)]
    if fd.type == FD.TYPE_BOOL and ctx.word.kind in ("IDENT", "NUMBER"):
        # `TRUE`, `yes`, `2`: the allowed spellings, the likely one first
        likely = "false" if written.lower() in ("false", "no", "off", "n") else "true"
        return [Fix(f"Replace with '{v}'", (Edit(d.start, d.end, v),))
                for v in (likely, "false" if likely == "true" else "true")]
    return []


def _valid_bare(fd: FieldDescriptor, text: str) -> bool:
    try:
        if fd.type == FD.TYPE_BOOL:
            text_format.ParseBool(text)
        elif fd.type == FD.TYPE_ENUM:
            text_format.ParseEnum(fd, text)
        elif fd.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
            text_format.ParseFloat(text)
        elif fd.type != FD.TYPE_MESSAGE:
            int(text, 0)
        else:
            return False
    except ValueError:
        return False
    return text.strip() == text and bool(text)


def _duplicate(snap: Snapshot, d: Diagnostic) -> list[Fix]:
    """SCH006/SCH007: AMCT keeps the last of the two, so removing the earlier one changes nothing
    it reads (for scalars); removing this one is offered too, as a choice."""
    this = _field_named_at(snap, d.start)
    if this is None or not d.related:
        return []
    first = _field_named_at(snap, d.related[0].start)
    fixes = []
    keeps_meaning = type(this.value) is not Message  # duplicate blocks are merged, not replaced
    if first is not None:
        fixes.append(Fix(f"Remove the earlier '{first.name.text}' (AMCT uses this one)",
                         (remove_field(snap.text, first),), safe=keeps_meaning))
    fixes.append(Fix(f"Remove this '{this.name.text}'", (remove_field(snap.text, this),)))
    return fixes


def _missing_required(snap: Snapshot, d: Diagnostic) -> list[Fix]:
    """Insert the missing required field on a new line after the block's `{`."""
    m = re.search(r"required field '(\w+)'", d.message)
    if not m or d.end <= d.start or snap.text[d.start:d.end] not in ("{", "<"):
        return []
    name = m.group(1)
    ctx = cursor_context(snap, d.end)
    fd = ctx.descriptor.fields_by_name.get(name) if ctx.descriptor is not None else None
    if fd is None:
        return []
    text = snap.text
    inner = line_indent(text, d.start) + indent_unit(text)
    if fd.type == FD.TYPE_MESSAGE:
        value = f"{name} {{\n{inner}}}"
    elif fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
        value = f'{name}: ""'
    elif fd.type == FD.TYPE_BOOL:
        value = f"{name}: false"
    elif fd.type == FD.TYPE_ENUM:
        value = f"{name}: {fd.enum_type.values[0].name}"
    else:
        value = f"{name}: 0"
    return [Fix(f"Add the required field '{name}'", (Edit(d.end, d.end, f"\n{inner}{value}"),))]


def _field_named_at(snap: Snapshot, start: int) -> Field | None:
    """The syntax Field whose name token starts at `start`."""
    stack: list[list[Field]] = [snap.analysis.tree.fields]
    while stack:
        for f in stack.pop():
            if f.name.start == start:
                return f
            if f.name.start > start and f.start > start:
                continue
            value = f.value
            if type(value) is Message and value.start <= start <= value.end:
                stack.append(value.fields)
            elif type(value) is ListValue and value.start <= start <= value.end:
                stack.extend(item.fields for item in value.items if type(item) is Message)
    return None


_HANDLERS = {
    "SCH001": _unknown_field,
    "SCH002": _wrong_kind,
    "SCH004": _bad_enum,
    "SCH005": _missing_required,
    "SCH006": _duplicate,
    "SCH007": _duplicate,
}
