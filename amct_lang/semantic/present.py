"""Presentation of the semantic model: names, shortest float text, source tags.

Only for people (the `amct-lang resolve` table and JSON, hover); decisions read the typed values.
Every float prints as the shortest text that reads back as the same float32 (0.01, not
0.009999999776482582); FLT_MAX, denormals, inf and nan included.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from .types import Configured, EffectiveConfig, LayerConfig, LayerStatus, Source, SourceKind, TensorConfig

if TYPE_CHECKING:
    from ..syntax.lineindex import LineIndex

K = SourceKind


def _pack(x: float) -> bytes | None:
    try:
        return struct.pack("<f", x)
    except OverflowError:  # past float32's range once rounded
        return None


def short_float(value: float) -> str:
    """The shortest decimal text that reads back as the same float32 as `value`."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    packed = _pack(value)
    if packed is None:
        return "inf" if value > 0 else "-inf"
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if _pack(float(text)) == packed:
            return text if any(c in text for c in ".en") else text + ".0"  # a float reads as one
    return repr(value)


def show(value: Any) -> str:
    """A value as the config would write it."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return short_float(value)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Configured):
        return type(value).__name__
    if isinstance(value, tuple):
        return ", ".join(show(v) for v in value)
    return str(value)


def plain(value: Any) -> Any:
    """A value as JSON data: enums by name, floats by their short text's value (non-finite ones as
    text: JSON has no inf or nan), typed messages as objects."""
    if isinstance(value, Enum):
        return value.name
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        text = short_float(value)
        return float(text) if math.isfinite(value) else text
    if isinstance(value, Configured):
        return {name: plain(v) for name, v in value.values().items()}
    if isinstance(value, Source):
        return value.label
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # NuqConfig, DistillGroup
        return {name: plain(v) for name, v in value._asdict().items()}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return str(value)


def algorithm_name(part: Configured) -> str:
    return str(getattr(part, "NAME", "") or type(part).__name__)


def where(source: Source, lines: LineIndex | None = None) -> str:
    """`override_layer_types[0] (line 7): detail`."""
    text = source.label
    if source.start is not None and lines is not None:
        text += f" (line {lines.line_col(source.start)[0] + 1})"
    if source.detail:
        text += f": {source.detail}"
    return text


def source_json(src: Source, lines: LineIndex) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": src.kind.value}
    if src.index is not None:
        out["index"] = src.index
    if src.start is not None:
        line, col = lines.line_col(src.start)
        out["line"], out["column"] = line + 1, col + 1
    if src.detail:
        out["detail"] = src.detail
    return out


def _value_json(value: Any, src: Source, lines: LineIndex) -> dict[str, Any]:
    return {"value": plain(value), "source": source_json(src, lines)}


def part_json(part: Configured | None, choice: Source, lines: LineIndex) -> dict[str, Any] | None:
    if part is None:
        return None
    out = {"algorithm": _value_json(algorithm_name(part), choice, lines)}
    out.update({name: _value_json(v, s, lines) for name, v, s in part.items()})
    return out


_OPTIONS = ("weight_compress_only", "bn_fusion", "auto_nuq")


def layer_json(lc: LayerConfig, lines: LineIndex) -> dict[str, Any]:
    options: dict[str, Any] = {name: _value_json(getattr(lc, name), lc.source(name), lines)
                               for name in _OPTIONS if name in lc.sources}
    if lc.dmq_balancer is not None:
        options["dmq_balancer"] = part_json(lc.dmq_balancer, lc.source("dmq_balancer"), lines)
    return {
        "layer": lc.name, "type": lc.type, "status": lc.status.value,
        "reason": source_json(lc.reason, lines) if lc.reason else None,
        "block": source_json(lc.block, lines) if lc.block else None,
        "weights": part_json(lc.weights, lc.source("weights"), lines),
        "activation": part_json(lc.activation, lc.source("activation"), lines),
        "options": options,
        "inputs": [{"input_index": t.input_index, "source": source_json(t.source, lines),
                    "activation": part_json(t.activation, t.activation_source, lines)} for t in lc.inputs],
    }


# -- the table of `amct-lang resolve` -------------------------------------------------------------------
_SHORT_ALGO = {"arq_quantize": "arq", "nuq_quantize": "nuq", "ada_quantize": "ada", "ifmr_quantize": "ifmr",
               "hfmg_quantize": "hfmg", "ulq_quantize": "ulq", "arq_distill": "arq", "ulq_distill": "ulq",
               "dmq_balancer": "dmq"}
_SHORT_FIELD = {"search_step": "step", "num_of_iteration": "iterations"}
_TAGS = {K.LAYER_OVERRIDE: "L", K.TYPE_OVERRIDE: "T", K.COMMON: "C", K.ACTIVATION_OFFSET: "A",
         K.DEFAULT: "D", K.MODEL: "M", K.TENSOR_QUANTIZE: "Q", K.SETTING: "S", K.DISTILL_LAYER_OVERRIDE: "L",
         K.DISTILL_TYPE_OVERRIDE: "T", K.DISTILL_DATA: "GA", K.DISTILL_WEIGHT: "GW", K.SKIP_FUSION: "F"}


class Legend:
    """Short tags for sources (`C`, `T0`, `L2`, ...) and the key printed under the table."""

    def __init__(self, lines: LineIndex) -> None:
        self.lines = lines
        self.used: dict[str, str] = {}
        self.blocks: set[str] = set()

    def tag(self, src: Source, block: bool = False) -> str:
        """The tag of `src`; a block's source (not one value inside it) gives the line in the key."""
        tag = _TAGS.get(src.kind, "S") + (str(src.index) if src.index is not None else "")
        if tag not in self.used or (block and tag not in self.blocks):
            if src.kind is K.DEFAULT:
                self.used[tag] = "built-in default"
            elif src.kind is K.MODEL:
                self.used[tag] = "decided by the model"
            else:
                text = src.label if src.kind is not K.SETTING else src.detail or src.kind.value
                if src.start is not None:  # the line of the block (or of the first value seen)
                    text += f" (line {self.lines.line_col(src.start)[0] + 1})"
                elif src.kind is K.ACTIVATION_OFFSET:
                    text += " (not set: default true)"
                self.used[tag] = text
            if block:
                self.blocks.add(tag)
        return tag


def _item(name: str, value: Any, src: Source, legend: Legend) -> str:
    return f"{name}={show(value)}({legend.tag(src)})"


def _pair(fields: dict[str, tuple[Any, Source]], a: str, b: str, label: str, sep: str,
          legend: Legend) -> str | None:
    if a not in fields or b not in fields:
        return None
    (va, sa), (vb, sb) = fields.pop(a), fields.pop(b)
    return f"{label}={show(va)}({legend.tag(sa)}){sep}{show(vb)}({legend.tag(sb)})"


def part_cell(part: Configured | None, choice: Source, legend: Legend) -> str:
    if part is None:
        return "-"
    name = algorithm_name(part)
    items = [f"{_SHORT_ALGO.get(name, name)}({legend.tag(choice)})"]
    fields = {n: (v, s) for n, v, s in part.items()}
    for pair in (_pair(fields, "search_range_start", "search_range_end", "range", "..", legend),
                 _pair(fields, "max_percentile", "min_percentile", "pct", "/", legend)):
        if pair:
            items.append(pair)
    if "clip_max_min" in fields and fields["clip_max_min"][0] is None:
        items.append(f"clip=ifmr({legend.tag(fields.pop('clip_max_min')[1])})")
    for n, (v, s) in fields.items():
        if n == "dst_type" and show(v) == "INT8" and s.kind is K.DEFAULT:
            continue
        if n == "quant_bits" and v is None:
            continue
        items.append(_item(_SHORT_FIELD.get(n, n), v, s, legend))
    return " ".join(items)


def _options(lc: LayerConfig, legend: Legend) -> str:
    out = []
    if lc.weight_compress_only:
        out.append(_item("weight_compress_only", True, lc.source("weight_compress_only"), legend))
    if lc.dmq_balancer is not None:
        out.append(part_cell(lc.dmq_balancer, lc.source("dmq_balancer"), legend))
    if lc.auto_nuq:
        out.append(_item("auto_nuq_candidate", True, lc.source("auto_nuq"), legend))
    if lc.bn_fusion is not None:
        out.append(f"bn_fusion={'yes' if lc.bn_fusion else 'no'}({legend.tag(lc.source('bn_fusion'))})")
    return " ".join(out)


def status_text(lc: LayerConfig) -> str:
    if lc.status is LayerStatus.SKIPPED and lc.reason is not None:
        what = f" {lc.reason.detail!r}" if lc.reason.detail and lc.reason.kind in (K.SKIP_TYPES,
                                                                                 K.QUANT_SKIP_TYPES) else ""
        return f"skipped: {lc.reason.label}{what}"
    if lc.status is LayerStatus.UNSUPPORTED and lc.reason is not None:
        return f"not quantizable: {lc.reason.detail}"
    return lc.status.value


def _inputs(tensors: list[TensorConfig], legend: Legend) -> str:
    return " ".join(f"input{t.input_index}[{legend.tag(t.source, block=True)}]: "
                    f"{part_cell(t.activation, t.activation_source, legend)}" for t in tensors)


def render_table(effective: EffectiveConfig, model_path: str, quantizable: int, lines: LineIndex,
                 config: str) -> str:
    legend = Legend(lines)
    rows = [["layer", "type", "status", "block", "weights", "activation", "other"]]
    for lc in effective.layers.values():
        if lc.block is None:
            block = "-"
        elif lc.block.kind is K.GLOBAL:
            block = "global"
        else:
            block = f"{lc.block.label} ({legend.tag(lc.block, block=True)})"
        activation = part_cell(lc.activation, lc.source("activation"), legend)
        if lc.inputs:
            activation = _inputs(lc.inputs, legend)
        elif lc.status is LayerStatus.QUANTIZED and lc.activation is None:
            activation = "float (weights only)"
        weights = part_cell(lc.weights, lc.source("weights"), legend)
        rows.append([lc.name, lc.type, status_text(lc), block, weights, activation, _options(lc, legend)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [f"{config} on {model_path} ({effective.dialect}; {len(effective.quantized())} of "
           f"{quantizable} quantizable layers quantized)"]
    for r in rows:
        out.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if not effective.layers:
        out.append("(no quantizable layer)")
    out.append("")
    out.append("sources: " + "; ".join(f"{tag} = {text}" for tag, text in sorted(legend.used.items())))
    return "\n".join(out)


# -- hover ----------------------------------------------------------------------------------------------
def layer_markdown(lc: LayerConfig, describe: Callable[[Source], str]) -> list[str]:
    """Markdown paragraphs for a layer's effective config; `describe` writes a source for the reader."""
    status = lc.status.value
    if lc.reason is not None:
        status += f" ({describe(lc.reason)})"
    block = f", block {describe(lc.block)}" if lc.block else ""
    out = [f"Effective config: **{status}**{block}"]
    rows: list[str] = []
    for title, part, choice in (("weights", lc.weights, lc.source("weights")),
                                ("activation", lc.activation, lc.source("activation"))):
        if part is None:
            continue
        rows.append(f"| {title} | `{algorithm_name(part)}` | {describe(choice)} |")
        for name, value, src in part.items():
            rows.append(f"| &nbsp;&nbsp;{name} | `{show(value)}` | {describe(src)} |")
    for name in _OPTIONS:
        if name in lc.sources:
            rows.append(f"| {name} | `{show(getattr(lc, name))}` | {describe(lc.source(name))} |")
    if lc.dmq_balancer is not None:
        for name, value, src in lc.dmq_balancer.items():
            rows.append(f"| dmq_balancer.{name} | `{show(value)}` | {describe(src)} |")
    for tensor in lc.inputs:
        rows.append(f"| input {tensor.input_index} | `{algorithm_name(tensor.activation)}` | "
                    f"{describe(tensor.source)} |")
    if rows:
        out.append("| | value | from |\n|---|---|---|\n" + "\n".join(rows))
    return out
