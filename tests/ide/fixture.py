"""Cursor-marker fixtures: a .cfg file with `<|>` where the cursor is and `#! key: value` lines
saying what to expect. The directive lines stay in the text (they are comments); the marker is
removed. One file per case: adding a case is adding a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from amct_lang.ide.snapshot import Snapshot, snapshot
from amct_lang.model.index import Layer, ModelIndex
from amct_lang.model.types import op_info

HERE = Path(__file__).resolve().parent / "fixtures"
MARKER = "<|>"
_DIRECTIVE = re.compile(r"^#![ \t]*([\w-]+(?: [^:\n]+)?)[ \t]*:[ \t]?(.*)$", re.MULTILINE)


@dataclass
class Case:
    path: Path
    text: str
    offset: int
    directives: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        values = self.directives.get(key)
        return values[-1] if values else None

    def items(self, key: str) -> list[str]:
        """A comma-separated list directive, all its lines together."""
        out: list[str] = []
        for value in self.directives.get(key, []):
            out.extend(v.strip() for v in value.split(",") if v.strip())
        return out

    def snapshot(self) -> Snapshot:
        model = None
        layers = self.items("layers")  # `name:Type, name:Type`: a model with these layers
        if layers:
            found = {}
            for i, item in enumerate(layers):
                name, op = item.split(":", 1)
                info = op_info(op, "onnx")
                found[name] = Layer(name, op, "onnx", i, kind=info.kind if info else None,
                                    per_channel=bool(info and info.per_channel))
            model = ModelIndex("model.onnx", "onnx", found)
        return snapshot(self.text, self.get("dialect"), model)


def load(path: Path) -> Case:
    source = path.read_text(encoding="utf-8")
    if source.count(MARKER) != 1:
        raise ValueError(f"{path}: needs exactly one {MARKER} marker")
    offset = source.index(MARKER)
    text = source.replace(MARKER, "")
    directives: dict[str, list[str]] = {}
    for m in _DIRECTIVE.finditer(text):
        directives.setdefault(m.group(1).strip(), []).append(m.group(2).replace("\\n", "\n"))
    return Case(path, text, offset, directives)


def cases(feature: str) -> list[Path]:
    return sorted((HERE / feature).glob("*.cfg"))
