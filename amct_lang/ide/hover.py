"""Hover: what the thing under the cursor means.

- On a diagnostic's range: its message, the rule's summary and where its explanation is.
- On a field name or value: the field's documentation from the .proto comments (type, label,
  default, allowed values, oneof, English text and the Chinese original); on an enum value, that
  value's documentation too.
- On a layer name, when a model is associated: the layer's type and its effective config (which
  block configures it and every value with where it comes from).
- On a header comment: the dialect the file is checked as and why; the model and its status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor

from ..diagnostics import Diagnostic
from ..rules.catalog import get as get_rule
from ..schema.detect import HEADER_LINES
from . import docs
from .context import COMMENT, NAME, VALUE, cursor_context, lookup
from .layers import LAYER_NAME, layer_field_kind
from .plain import plain_text
from .snapshot import Snapshot

FD = FieldDescriptor
_HEADER = re.compile(r"#\s*(proto-message|amct-dialect|amct-model)\s*:")


@dataclass(frozen=True)
class Hover:
    markdown: str
    start: int
    end: int

    @property
    def plain(self) -> str:
        """The same as plain text, for clients that cannot show Markdown."""
        return plain_text(self.markdown)


def hover(snap: Snapshot, offset: int, rule_link: Callable[[str], str | None] | None = None) -> Hover | None:
    """What the thing at `offset` means. On a diagnostic: its message, the rule's one-line summary
    and a link to the rule's whole explanation (`rule_link(code)`, when the caller has one), not
    the explanation itself: the hover stays short enough to reach its quick-fix link."""
    sections: list[str] = []
    start = end = offset
    for d in snap.diagnostics:
        if d.start <= offset < d.end or d.start == d.end == offset:
            if not sections:
                start, end = d.start, d.end
            sections.append(_diagnostic_markdown(d, rule_link))

    found = _hover_at(snap, offset)
    if found is not None:
        text, start, end = found
        sections.append(text)
    if not sections:
        return None
    return Hover("\n\n---\n\n".join(sections), start, end)


def _diagnostic_markdown(d: Diagnostic, rule_link: Callable[[str], str | None] | None) -> str:
    rule = get_rule(d.code)
    head = f"**{d.code}** · {d.severity.value}: {d.message}"
    if rule is None:
        return head
    link = rule_link(d.code) if rule_link is not None else None
    more = f"[{rule.code} ({rule.name}): the whole explanation]({link})" if link else \
        f"`amct-lang explain {rule.code}` explains it in full"
    return f"{head}\n\n{rule.summary} · {more}"


def _hover_at(snap: Snapshot, offset: int) -> tuple[str, int, int] | None:
    # A hover position is the character under the mouse; the context reads what is left of an
    # offset, so look one character further.
    ctx = cursor_context(snap, min(offset + 1, len(snap.text)))
    if ctx.kind == COMMENT and ctx.comment is not None:
        text = _header_hover(snap, ctx.comment.start, ctx.comment.end)
        return (text, ctx.comment.start, ctx.comment.end) if text else None
    word = ctx.word
    if word is None or not word.start <= offset < word.end:
        return None
    fd = ctx.field
    schema = snap.analysis.schema
    if fd is None:
        return None
    if ctx.kind == NAME:
        return docs.field_markdown(schema, fd), word.start, word.end
    if ctx.kind != VALUE:
        return None
    value_text = snap.text[word.start:word.end]
    if fd.type == FD.TYPE_ENUM:
        value = lookup(fd.enum_type.values_by_name, value_text)
        if value is not None:
            return (docs.enum_value_markdown(schema, value) + "\n\n---\n\n" + docs.field_markdown(schema, fd),
                    word.start, word.end)
    if layer_field_kind(fd) == LAYER_NAME and snap.model is not None and word.kind == "STRING":
        layer = _string_value(value_text)
        text = layer_markdown(snap, layer)
        if text:
            return text, word.start, word.end
    return docs.field_markdown(schema, fd), word.start, word.end


def _string_value(token: str) -> str:
    body = token[1:-1] if len(token) >= 2 and token[-1] == token[0] else token[1:]
    if "\\" not in body:
        return body
    from ..syntax.strings import c_unescape  # CUnescape's bytes in linear time

    try:
        return c_unescape(body).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a bad escape is reported as a diagnostic; show it raw
        return body


def _header_hover(snap: Snapshot, start: int, end: int) -> str | None:
    if snap.lines.line_col(start)[0] >= HEADER_LINES:
        return None
    m = _HEADER.match(snap.text[start:end])
    if not m:
        return None
    choice = snap.analysis.dialect
    lines = [f"Checked as **{choice.name}** (`{snap.top.name}`): {choice.reason}."]
    model_note = snap.model_note
    if m.group(1) == "amct-model" or snap.model is not None or model_note:
        if snap.model is not None:
            count = len(snap.model.layers)
            lines.append(f"Model `{snap.model.path}`: {count} layer{'s' if count != 1 else ''}, "
                         "used for layer-name completion, hover and the model checks.")
        if model_note:
            lines.append(model_note)
    return "\n\n".join(lines)


def layer_markdown(snap: Snapshot, name: str) -> str | None:
    """A layer's type and its effective config under this document, when a model is associated."""
    model = snap.model
    layer = model.get(name) if model is not None else None
    if layer is None:
        return None
    lines = [f"**{layer.name}** · `{layer.type}`"]
    config = snap.effective
    lc = config.layer(name) if config is not None else None
    if lc is None:
        if layer.quantizable:
            lines.append("No effective config.")
        else:
            lines.append(f"`{layer.type}` is not quantized through the layer configs.")
        return "\n\n".join(lines)
    from ..semantic.present import layer_markdown as config_markdown
    from ..semantic.present import where

    lines.extend(config_markdown(lc, lambda source: where(source, snap.lines)))
    return "\n\n".join(lines)
