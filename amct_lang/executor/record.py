"""ScaleOffsetRecord files (the `record` dialect): AMCT's quantization factors per layer.

Stable API, shared by the PTQ and distillation executors:

- `LayerRecord(scale_d, offset_d, scale_w, offset_w, dst_type)`: one layer's factors
- `record_text(records) -> str`: the text AMCT writes (`text_format.MessageToString` layout:
  two-space indentation, floats as the shortest text that reads back as the same float32)
- `read_record(text) -> dict[str, LayerRecord]`: read one back, through the checker (any error
  raises `RecordError` with the diagnostics)

Keys are layer names (ONNX node names); a tensor_quantize entry is keyed `"<node>:<input_index>"`
**[design]**: AMCT's public code does not show the key it uses for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


class RecordError(ValueError):
    """A record text that does not pass the checker."""


@dataclass(frozen=True)
class LayerRecord:
    scale_d: float | None = None  # None: activations stay float (weight-only)
    offset_d: int | None = None
    scale_w: tuple[float, ...] = ()  # one per channel when channel-wise; empty: no weights
    offset_w: tuple[int, ...] = ()
    dst_type: str | None = None  # written only when not AMCT's default INT8


def float32_text(x: float) -> str:
    """The shortest decimal that reads back as the same float32, as protobuf's text format prints a
    float field (0.039215364, 1.0, 1.5e-07)."""
    return repr(float(str(np.float32(x))))


def _quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def record_text(records: Mapping[str, LayerRecord] | Iterable[tuple[str, LayerRecord]]) -> str:
    """The ScaleOffsetRecord text of `records` (in the order given)."""
    items = records.items() if isinstance(records, Mapping) else records
    lines: list[str] = []
    for key, rec in items:
        lines += ["record {", f"  key: {_quote(key)}", "  value {"]
        if rec.scale_d is not None:
            lines.append(f"    scale_d: {float32_text(rec.scale_d)}")
        if rec.offset_d is not None:
            lines.append(f"    offset_d: {int(rec.offset_d)}")
        lines += [f"    scale_w: {float32_text(s)}" for s in rec.scale_w]
        lines += [f"    offset_w: {int(o)}" for o in rec.offset_w]
        if rec.dst_type is not None and rec.dst_type != "INT8":
            lines.append(f"    dst_type: {_quote(rec.dst_type)}")
        lines += ["  }", "}"]
    return "\n".join(lines) + ("\n" if lines else "")


def read_record(text: str) -> dict[str, LayerRecord]:
    """Parse a record file (checked as the `record` dialect first)."""
    from ..analysis import analyze

    analysis = analyze(text, "record")
    errors = [d for d in analysis.diagnostics if d.is_error]
    if errors:
        raise RecordError("; ".join(f"{d.code} {d.message}" for d in errors[:5]))
    message = analysis.to_message()
    out: dict[str, LayerRecord] = {}
    for entry in message.record:
        v = entry.value
        out[entry.key] = LayerRecord(
            float(v.scale_d) if v.HasField("scale_d") else None,
            int(v.offset_d) if v.HasField("offset_d") else None,
            tuple(float(s) for s in v.scale_w),
            tuple(int(o) for o in v.offset_w),
            v.dst_type if v.HasField("dst_type") else None,
        )
    return out
