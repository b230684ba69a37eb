"""Markdown for fields, enum values and rules, built from the .proto comments and the rule catalog.

Hover shows these whole; completion shows them beside each item. English first, then the Chinese
original from the `// zh:` lines.
"""

from __future__ import annotations

from google.protobuf.descriptor import EnumValueDescriptor, FieldDescriptor

from ..document import type_name
from ..rules.catalog import Rule
from ..schema import Doc, Schema, is_repeated, is_required

FD = FieldDescriptor


def label(fd: FieldDescriptor) -> str:
    if is_required(fd):
        return "required"
    if is_repeated(fd):
        return "repeated"
    return "optional"


def format_default(fd: FieldDescriptor) -> str | None:
    """The schema default as the user would write it, or None when the field has none."""
    if fd.type == FD.TYPE_MESSAGE or is_repeated(fd) or not fd.has_default_value:
        return None
    value = fd.default_value
    if fd.type == FD.TYPE_BOOL:
        return "true" if value else "false"
    if fd.type == FD.TYPE_ENUM:
        found = fd.enum_type.values_by_number.get(value)
        return found.name if found is not None else str(value)
    if fd.type == FD.TYPE_FLOAT:
        return short_float32(value)
    if fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
        return f'"{value}"' if isinstance(value, str) else repr(value)
    return repr(value)


def short_float32(value: float) -> str:
    """0.009999999776482582 (0.01 as a float32) back to 0.01: the shortest text that reads the same
    (one presentation for hover and `amct-lang resolve`: amct_lang.semantic.present)."""
    from ..semantic.present import short_float

    return short_float(value)


def allowed_values(fd: FieldDescriptor) -> list[str]:
    if fd.type == FD.TYPE_BOOL:
        return ["true", "false"]
    if fd.type == FD.TYPE_ENUM:
        return [v.name for v in fd.enum_type.values]
    return []


def signature(fd: FieldDescriptor) -> str:
    return f"{fd.name}: {type_name(fd)}"


def facts(fd: FieldDescriptor) -> str:
    """`optional · default 0.01 · oneof act_algo`: the one-line summary of a field's declaration."""
    parts = [label(fd)]
    default = format_default(fd)
    if default is not None:
        parts.append(f"default `{default}`")
    oneof = fd.containing_oneof
    if oneof is not None:
        members = ", ".join(f"`{f.name}`" for f in oneof.fields if f.name != fd.name)
        parts.append(f"oneof `{oneof.name}` (with {members})" if members else f"oneof `{oneof.name}`")
    return " · ".join(parts)


def _doc_text(doc: Doc) -> list[str]:
    out: list[str] = []
    if doc.text:
        out.append(doc.text)
    if doc.zh:
        out.append(doc.zh)
    return out


def field_markdown(schema: Schema, fd: FieldDescriptor) -> str:
    parts = [f"```text\n{signature(fd)}\n```", facts(fd)]
    allowed = allowed_values(fd)
    if fd.type == FD.TYPE_ENUM:
        parts.append("Allowed: " + ", ".join(
            f"`{v.name}` ({v.number})" for v in fd.enum_type.values))
    elif allowed:
        parts.append("Allowed: " + ", ".join(f"`{v}`" for v in allowed))
    parts.extend(_doc_text(schema.doc(fd)))
    if fd.type == FD.TYPE_MESSAGE:
        message_doc = schema.doc(fd.message_type)
        if message_doc.text or message_doc.zh:
            parts.append(f"**{fd.message_type.name}**")
            parts.extend(_doc_text(message_doc))
    return "\n\n".join(parts)


def enum_value_markdown(schema: Schema, value: EnumValueDescriptor) -> str:
    parts = [f"```text\n{value.type.name}.{value.name} = {value.number}\n```"]
    parts.extend(_doc_text(schema.doc(value)))
    return "\n\n".join(parts)


def rule_markdown(rule: Rule) -> str:
    head = f"**{rule.code}** ({rule.name}) · {rule.severity.value}"
    body = rule.doc.strip()
    # The doc's first line is the summary; its sections are `## ...` headings: one level down
    # reads better inside a hover.
    body = "\n".join("#### " + line[3:] if line.startswith("## ") else line for line in body.splitlines())
    return f"{head}\n\n{body}"
