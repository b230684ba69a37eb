"""Completion: field names of the enclosing message, values, header comments, layer names.

- At a field name: the fields of the enclosing message, singular fields already set (and the other
  members of a oneof already chosen) left out, required fields still missing first; a scalar
  field inserts `name: `, a message field `name {` + indented line + `}`.
- At a value: enum value names, `true`/`false`, the default, `{ }` for a message field, and layer
  names or types from the model associated with the file.
- In a header comment: `# proto-message: ...`, `# amct-dialect: ...`, `# amct-model: ...`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from google.protobuf.descriptor import FieldDescriptor

from ..diagnostics import Diagnostic, Severity
from ..document import type_name
from ..schema import DIALECTS, is_repeated, is_required
from ..schema.detect import HEADER_LINES
from . import docs
from .context import COMMENT, NAME, VALUE, CursorContext, cursor_context
from .layers import LAYER_NAME, LAYER_TYPE, layer_field_kind, layer_names, layer_types
from .layout import field_style, indent_unit, line_indent
from .snapshot import Snapshot

FD = FieldDescriptor

# kinds of completion items
FIELD = "field"
BLOCK = "block"  # a message field, or `{ }` after `name:`
ENUM = "enum"
BOOL = "bool"
VALUE_ITEM = "value"
LAYER = "layer"
TYPE = "type"
HEADER = "header"

HEADER_KEYS = ("proto-message", "amct-dialect", "amct-model")
_HEADER_VALUE = re.compile(r"#\s*(proto-message|amct-dialect|amct-model)\s*:\s*(\S*)$")
_HEADER_KEY = re.compile(r"#\s*[A-Za-z-]*$")


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str
    start: int  # the text[start:end] the item replaces
    end: int
    text: str  # plain text inserted
    snippet: str | None = None  # the same with tab stops and choices, when it differs
    detail: str = ""
    documentation: str = ""  # markdown
    sort: str = ""
    filter: str | None = None


def complete(snap: Snapshot, offset: int, model_files: Callable[[], Sequence[str]] = tuple
             ) -> list[Completion]:
    """Completions at `offset`. `model_files()` lists the paths offered after `# amct-model:`."""
    if snap.foreign:
        return []  # a Python or INI file: AMCT's field names would only be in the way
    ctx = cursor_context(snap, offset)
    if ctx.kind == COMMENT:
        return _header(snap, ctx, model_files)
    if ctx.kind == NAME:
        items = _without_errors(snap, _field_names(snap, ctx), ctx)
        if not ctx.path and _before_first_field(snap, offset):
            items += _header_snippets(snap, ctx.replace)
        return items
    if ctx.kind == VALUE:
        return _without_errors(snap, _values(snap, ctx), ctx)
    return []


# -- items the file would reject -----------------------------------------------------------------
# Trying an item is one analysis of the file: done for files up to PROBE_LIMIT characters (a
# typical config is 1-4 kB; 8 kB analyzes in about 5 ms) and at most PROBE_ITEMS items, so a
# completion stays within tens of milliseconds; bigger files get every item, untried.
PROBE_LIMIT = 8_000
PROBE_ITEMS = 16
_PROBED = frozenset((FIELD, BLOCK, ENUM, BOOL))
_IGNORED_ON_PROBE = frozenset(("SCH005",))  # an inserted empty block lacks its required fields


def _without_errors(snap: Snapshot, items: list[Completion], ctx: CursorContext) -> list[Completion]:
    """Leave out the items whose insertion makes the file report a new error (INT16 where the
    dialect rejects it, `weight_compress_only: true` beside `ifmr_quantize`); sort those that
    make it warn last, saying why. Each item is tried by analyzing the text with it inserted
    (files up to PROBE_LIMIT characters); an item whose insertion leaves a syntax error (in a
    file broken elsewhere) is kept: the recovery moves with every insertion, no verdict to trust."""
    if len(snap.text) > PROBE_LIMIT or not items or sum(i.kind in _PROBED for i in items) > PROBE_ITEMS:
        return items
    from collections import Counter

    from ..analysis import analyze

    def findings(diagnostics: list[Diagnostic]) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
        errors: Counter[tuple[str, str]] = Counter()
        warnings: Counter[tuple[str, str]] = Counter()
        for d in diagnostics:
            if d.code in _IGNORED_ON_PROBE or d.code.startswith("SYN"):
                continue
            if d.severity == Severity.ERROR:
                errors[(d.code, d.message)] += 1
            elif d.severity == Severity.WARNING:
                warnings[(d.code, d.message)] += 1
        return errors, warnings

    errors_before, warnings_before = findings(snap.diagnostics)
    out: list[Completion] = []
    for item in items:
        probe = _probe_text(snap, ctx, item)
        if probe is None:
            out.append(item)
            continue
        text = snap.text[:item.start] + probe + snap.text[item.end:]
        probed = analyze(text, snap.requested_dialect, model=snap.model)
        if not probed.syntax_ok:
            out.append(item)
            continue
        errors, warnings = findings(probed.diagnostics)
        if errors - errors_before:
            continue
        new_warnings = warnings - warnings_before
        if new_warnings:
            first = next(iter(new_warnings))[1]
            item = replace(item, sort="9" + item.sort, detail=f"{item.detail} · warns: {first}".strip(" ·"))
        out.append(item)
    return out


def _probe_text(snap: Snapshot, ctx: CursorContext, item: Completion) -> str | None:
    """What inserting the item amounts to, with the value a user would add it for."""
    if item.kind not in _PROBED:
        return None
    if item.kind in (ENUM, BOOL):
        return item.text
    fd = ctx.descriptor.fields_by_name.get(item.label) if ctx.descriptor is not None else None
    if fd is None:
        return None
    if fd.type == FD.TYPE_MESSAGE:
        return f"{fd.name} {{ }}"
    if fd.type == FD.TYPE_BOOL:  # a flag is added to switch it from its default
        return f"{fd.name}: {'false' if fd.default_value else 'true'}"
    if fd.type == FD.TYPE_ENUM:
        return f"{fd.name}: {docs.format_default(fd) or fd.enum_type.values[0].name}"
    return None  # numbers and strings: no value stands for what the user will write


# -- field names -------------------------------------------------------------------------------
def _field_names(snap: Snapshot, ctx: CursorContext) -> list[Completion]:
    descriptor = ctx.descriptor
    if descriptor is None:
        return []
    present = ctx.present
    chosen_oneofs = {fd.containing_oneof.name for fd in descriptor.fields
                     if fd.containing_oneof is not None and fd.name in present}
    start, end = ctx.replace
    indent = line_indent(snap.text, start)
    unit = indent_unit(snap.text)
    style = field_style(snap.text, snap.tokens)
    schema = snap.analysis.schema
    out = []
    for fd in descriptor.fields:
        if not is_repeated(fd) and fd.name in present:
            continue
        if fd.containing_oneof is not None and fd.containing_oneof.name in chosen_oneofs:
            continue
        missing = is_required(fd) and fd.name not in present
        text, snippet = _field_insert(fd, indent, unit, style)
        out.append(Completion(
            fd.name, BLOCK if fd.type == FD.TYPE_MESSAGE else FIELD, start, end, text, snippet,
            _field_detail(fd), docs.field_markdown(schema, fd),
            f"{0 if missing else 1}{fd.index:04d}", fd.name))
    return out


def _field_detail(fd: FieldDescriptor) -> str:
    detail = f"{docs.label(fd)} {type_name(fd)}"
    default = docs.format_default(fd)
    if default is not None:
        detail += f" = {default}"
    return detail


def _field_insert(fd: FieldDescriptor, indent: str, unit: str,
                  style: tuple[str, str] = (": ", " {")) -> tuple[str, str | None]:
    """The text a field name completes to, written the way the file writes fields
    (`name: value` or `name : value`, `name {` or `name: {`)."""
    name = fd.name
    colon, block = style
    if fd.type == FD.TYPE_MESSAGE:
        text = f"{name}{block}\n{indent}{unit}\n{indent}}}"
        return text, f"{name}{block}\n{indent}{unit}$0\n{indent}}}"
    allowed = docs.allowed_values(fd)
    if allowed:
        default = docs.format_default(fd)
        if default in allowed:  # the default first: the usual choice is to change it
            allowed = [default] + [a for a in allowed if a != default]
        return f"{name}{colon}", f"{name}{colon}${{1|{','.join(allowed)}|}}"
    if fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
        return f"{name}{colon}", f'{name}{colon}"$1"'
    default = docs.format_default(fd)
    if default is not None:
        return f"{name}{colon}", f"{name}{colon}${{1:{default}}}"
    return f"{name}{colon}", None


# -- values ------------------------------------------------------------------------------------
def _values(snap: Snapshot, ctx: CursorContext) -> list[Completion]:
    fd = ctx.field
    if fd is None:
        return []
    start, end = ctx.replace
    lead = " " if ctx.colon_before else ""
    schema = snap.analysis.schema
    out: list[Completion] = []
    if fd.type == FD.TYPE_ENUM:
        default = docs.format_default(fd)
        for v in fd.enum_type.values:
            detail = f"{fd.enum_type.name} = {v.number}" + (" (default)" if v.name == default else "")
            out.append(Completion(v.name, ENUM, start, end, lead + v.name, None, detail,
                                  docs.enum_value_markdown(schema, v), f"{v.index:04d}", v.name))
    elif fd.type == FD.TYPE_BOOL:
        default = docs.format_default(fd)
        for i, word in enumerate(("true", "false")):
            detail = "bool" + (" (default)" if word == default else "")
            out.append(Completion(word, BOOL, start, end, lead + word, None, detail, "", f"{i}", word))
    elif fd.type == FD.TYPE_MESSAGE:
        indent = line_indent(snap.text, start)
        unit = indent_unit(snap.text)
        text = f"{lead}{{\n{indent}{unit}\n{indent}}}"
        snippet = f"{lead}{{\n{indent}{unit}$0\n{indent}}}"
        out.append(Completion("{ }", BLOCK, start, end, text, snippet, fd.message_type.name,
                              docs.field_markdown(schema, fd), "0", "{"))
    elif fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
        out.extend(_layer_values(snap, ctx, fd, lead))
    else:
        default = docs.format_default(fd)
        if default is not None:
            out.append(Completion(default, VALUE_ITEM, start, end, lead + default, None,
                                  f"{type_name(fd)} (default)", docs.field_markdown(schema, fd), "0",
                                  default))
    return out


def _layer_values(snap: Snapshot, ctx: CursorContext, fd: FieldDescriptor, lead: str) -> list[Completion]:
    kind = layer_field_kind(fd)
    if kind is None or snap.model is None:
        return []
    start, end = ctx.replace
    quote = '"'
    if ctx.in_string and ctx.word is not None:
        quote = snap.text[ctx.word.start]
    out = []
    if kind == LAYER_NAME:
        for i, (name, op) in enumerate(layer_names(snap.model)):
            text = f"{quote}{_escape(name, quote)}{quote}"
            out.append(Completion(name, LAYER, start, end, lead + text, None, op, "", f"{i:06d}", text))
    elif kind == LAYER_TYPE:
        from ..schema.amct_pytorch import quantized_types

        allowed = quantized_types(snap.dialect) if snap.model.framework == "torch" else None
        types = [t for t in layer_types(snap.model) if allowed is None or t[0] in allowed]
        for i, (op, count) in enumerate(types):
            text = f"{quote}{_escape(op, quote)}{quote}"
            detail = f"{count} layer{'s' if count != 1 else ''} in the model"
            out.append(Completion(op, TYPE, start, end, lead + text, None, detail, "", f"{i:06d}", text))
    return out


def _escape(value: str, quote: str) -> str:
    return value.replace("\\", "\\\\").replace(quote, "\\" + quote)


# -- header comments ---------------------------------------------------------------------------
def _header(snap: Snapshot, ctx: CursorContext, model_files: Callable[[], Sequence[str]]
            ) -> list[Completion]:
    comment = ctx.comment
    if comment is None or snap.lines.line_col(comment.start)[0] >= HEADER_LINES:
        return []
    typed = snap.text[comment.start:ctx.offset]
    m = _HEADER_VALUE.match(typed)
    if m:
        key, value = m.groups()
        start = ctx.offset - len(value)
        end = comment.end if not snap.text[ctx.offset:comment.end].strip() else ctx.offset
        return [Completion(label, HEADER, start, end, label, None, detail, doc, f"{i:03d}", label)
                for i, (label, detail, doc) in enumerate(_header_values(snap, key, model_files))]
    if _HEADER_KEY.match(typed):
        return _header_snippets(snap, (comment.start, comment.end))
    return []


def _header_values(snap: Snapshot, key: str, model_files: Callable[[], Sequence[str]]
                   ) -> list[tuple[str, str, str]]:
    schema = snap.analysis.schema
    if key == "proto-message":
        by_message: dict[str, list[str]] = {}
        for name in DIALECTS:
            by_message.setdefault(schema.top(name).name, []).append(name)
        return [(message, "dialect " + " / ".join(names), _dialect_doc(names))
                for message, names in by_message.items()]
    if key == "amct-dialect":
        return [(name, DIALECTS[name].summary, _dialect_doc([name])) for name in DIALECTS]
    return [(path, "model", "") for path in model_files()]


def _dialect_doc(names: list[str]) -> str:
    return "\n\n".join(f"**{n}**: {DIALECTS[n].summary}" for n in names)


def _header_snippets(snap: Snapshot, span: tuple[int, int]) -> list[Completion]:
    start, end = span
    schema = snap.analysis.schema
    out: list[Completion] = []
    seen: set[str] = set()
    for name in DIALECTS:
        message = schema.top(name).name
        if message in seen:
            continue
        seen.add(message)
        text = f"# proto-message: {message}"
        out.append(Completion(text, HEADER, start, end, text, None, f"dialect {name}",
                              _dialect_doc([name]), f"9{len(out):03d}", text))
    for name in DIALECTS:
        text = f"# amct-dialect: {name}"
        out.append(Completion(text, HEADER, start, end, text, None, DIALECTS[name].summary,
                              _dialect_doc([name]), f"9{len(out):03d}", text))
    text = "# amct-model: "
    out.append(Completion(text, HEADER, start, end, text, None, "model for layer names and model checks",
                          "Path of the ONNX (or PyTorch) model this config is for, relative to this file.",
                          f"9{len(out):03d}", text))
    return out


def _before_first_field(snap: Snapshot, offset: int) -> bool:
    line = snap.lines.line_col(offset)[0]
    if line >= HEADER_LINES:
        return False
    first = next((t for t in snap.tokens if t[0] != "COMMENT"), None)
    return first is None or first[1] >= offset
