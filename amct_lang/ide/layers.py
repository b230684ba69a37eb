"""Which string fields hold layer names or layer types, what a model offers for them, and which
model a file names in its `# amct-model:` header.

The model itself is a ModelIndex (amct_lang.model); this module only reads it.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from ..schema.detect import HEADER_LINES

LAYER_NAME = "name"
LAYER_TYPE = "type"

_NAME_SUFFIXES = ("layer_name", "_layers")
_TYPE_SUFFIXES = ("layer_type", "layer_types", "skip_types")


def layer_field_kind(fd: FieldDescriptor | None) -> str | None:
    """LAYER_NAME for skip_layers, layer_name, start_layer_name, ...; LAYER_TYPE for the type lists."""
    if fd is None or fd.type != FieldDescriptor.TYPE_STRING:
        return None
    name = fd.name
    if name.endswith(_TYPE_SUFFIXES):
        return LAYER_TYPE
    if name.endswith(_NAME_SUFFIXES) or name == "skip_layers":
        return LAYER_NAME
    return None


def layer_names(model: Any) -> list[tuple[str, str]]:
    """(name, type) of every layer, in graph order."""
    return [(layer.name, layer.type) for layer in model]


def layer_types(model: Any) -> list[tuple[str, int]]:
    """(type, number of layers of that type), most frequent first."""
    counts: dict[str, int] = {}
    for layer in model:
        counts[layer.type] = counts.get(layer.type, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


_MODEL_HEADER = re.compile(r"#\s*amct-model\s*:[ \t]*([^\r\n]*?)[ \t]*$", re.MULTILINE)


def model_header(text: str) -> tuple[str, int, int] | None:
    """The path a `# amct-model: PATH` comment in the first lines names, with its range."""
    limit = 0
    for _ in range(HEADER_LINES):
        nl = text.find("\n", limit)
        if nl < 0:
            limit = len(text)
            break
        limit = nl + 1
    for m in _MODEL_HEADER.finditer(text, 0, limit):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start:m.start()].strip():
            continue  # `#` inside a string or after code: not a header
        if m.group(1):
            return m.group(1), m.start(1), m.end(1)
    return None
