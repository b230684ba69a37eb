"""amct-lang resolve CONFIG --model M: each layer's effective config and where each value comes from."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from ..schema.dialects import DIALECTS
from . import modelopt
from .inputs import InputError, read_source

if TYPE_CHECKING:
    from ..resolve import EffectiveConfig, LayerConfig, Part, Source, Value
    from ..syntax.lineindex import LineIndex

HELP = "show the config every layer of a model gets, and where each value comes from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="config file; - for standard input")
    modelopt.add_model_argument(parser, required=True)
    parser.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), help="schema to read the config with "
                        "(default: from a '# proto-message:' header, else from the fields)")


def run(args: argparse.Namespace) -> int:
    from ..analysis import analyze
    from ..diagnostics import Severity
    from ..resolve import resolve
    from .report import text_report

    try:
        source = read_source(args.config)
    except InputError as exc:
        print(f"amct-lang: {exc}", file=sys.stderr)
        return 2
    model = modelopt.load(args.model)
    if model is None:
        return 2
    analysis = analyze(source.text, args.dialect, model=model)
    dialect = analysis.dialect.name
    if dialect not in ("calibration", "calibration-onnx", "distill"):
        print(f"amct-lang: {source.path} is read as a {dialect} config; resolve shows the layers of "
              "calibration and distillation configs (--dialect chooses)", file=sys.stderr)
        return 2
    problem = modelopt.mismatch(source.path, dialect, model)
    if problem is not None:
        print(f"amct-lang: {problem.replace('; model checks skipped', '')}", file=sys.stderr)
        return 2
    shown = [d for d in analysis.diagnostics if d.severity is not Severity.INFO]
    if shown:
        analysis.diagnostics = shown
        print(text_report(source.path, analysis, color=sys.stderr.isatty()), file=sys.stderr)
    if analysis.has_errors:
        print(f"amct-lang: {source.path} has errors; fix them to see its effective config", file=sys.stderr)
        return 1
    effective = resolve(analysis.root, dialect, model)
    for note in effective.notes:
        print(f"note: {note}", file=sys.stderr)
    lines = analysis.tree.lines
    if args.format == "json":
        print(json.dumps([_layer_json(lc, lines) for lc in effective.layers], ensure_ascii=False, indent=2))
    else:
        print(render_table(effective, model, lines, source.path))
    return 0


# -- json ----------------------------------------------------------------------------------------------
def _source_json(src: Source, lines: LineIndex) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": src.kind}
    if src.index is not None:
        out["index"] = src.index
    if src.start is not None:
        line, col = lines.line_col(src.start)
        out["line"], out["column"] = line + 1, col + 1
    if src.detail:
        out["detail"] = src.detail
    return out


def _value_json(v: Value, lines: LineIndex) -> dict[str, Any]:
    value = v.value
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)  # JSON has no inf / nan
    return {"value": value, "source": _source_json(v.source, lines)}


def _part_json(part: Part | None, lines: LineIndex) -> dict[str, Any] | None:
    if part is None:
        return None
    out = {"algorithm": _value_json(part.algorithm, lines)}
    out.update({k: _value_json(v, lines) for k, v in part.fields.items()})
    return out


def _layer_json(lc: LayerConfig, lines: LineIndex) -> dict[str, Any]:
    return {
        "layer": lc.layer, "type": lc.type, "status": lc.status,
        "reason": _source_json(lc.reason, lines) if lc.reason else None,
        "block": _source_json(lc.block, lines) if lc.block else None,
        "weights": _part_json(lc.weights, lines),
        "activation": _part_json(lc.activation, lines),
        "options": {k: _value_json(v, lines) for k, v in lc.options.items()},
        "inputs": [{"input_index": t.input_index, "source": _source_json(t.source, lines),
                    "activation": _part_json(t.activation, lines)} for t in lc.inputs],
    }


# -- table ---------------------------------------------------------------------------------------------
_SHORT_ALGO = {"arq_quantize": "arq", "nuq_quantize": "nuq", "ada_quantize": "ada", "ifmr_quantize": "ifmr",
               "hfmg_quantize": "hfmg", "ulq_quantize": "ulq", "arq_distill": "arq", "ulq_distill": "ulq"}
_SHORT_FIELD = {"search_step": "step", "num_of_iteration": "iterations"}
_TAGS = {"override_layer_configs": "L", "override_layer_types": "T", "common_config": "C",
         "activation_offset": "A", "default": "D", "tensor_quantize": "Q", "setting": "S",
         "distill_override_layers": "L", "distill_override_layer_types": "T",
         "distill_data_quant_config": "GA", "distill_weight_quant_config": "GW", "enable_auto_nuq": "S",
         "skip_fusion_layers": "F"}


class _Legend:
    """Short tags for sources (`C`, `T0`, `L2`, ...) and the key printed under the table."""

    def __init__(self, lines: LineIndex) -> None:
        self.lines = lines
        self.used: dict[str, str] = {}
        self.blocks: set[str] = set()

    def tag(self, src: Source, block: bool = False) -> str:
        """The tag of `src`; a block's source (not one value inside it) gives the line in the key."""
        letter = _TAGS.get(src.kind, "S")
        tag = letter + (str(src.index) if src.index is not None else "")
        if tag not in self.used or (block and tag not in self.blocks):
            if src.kind == "default":
                self.used[tag] = "built-in default"
            else:
                where = src.label if src.kind != "setting" else src.detail or src.kind
                if src.start is not None:  # the line of the block (or of the first value seen)
                    where += f" (line {self.lines.line_col(src.start)[0] + 1})"
                elif src.kind == "activation_offset":
                    where += " (not set: default true)"
                self.used[tag] = where
            if block:
                self.blocks.add(tag)
        return tag


def _fmt(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _val(name: str, v: Value, legend: _Legend) -> str:
    shown = "auto" if v.value is None and v.source.detail else _fmt(v.value)
    return f"{name}={shown}({legend.tag(v.source)})"


def _part(part: Part | None, legend: _Legend) -> str:
    if part is None:
        return "-"
    algo = _SHORT_ALGO.get(part.algorithm.value, part.algorithm.value)
    items = [f"{algo}({legend.tag(part.algorithm.source)})"]
    f = dict(part.fields)
    if "search_range_start" in f and "search_range_end" in f:
        a, b = f.pop("search_range_start"), f.pop("search_range_end")
        items.append(f"range={_fmt(a.value)}({legend.tag(a.source)})..{_fmt(b.value)}({legend.tag(b.source)})")
    if "max_percentile" in f and "min_percentile" in f:
        a, b = f.pop("max_percentile"), f.pop("min_percentile")
        items.append(f"pct={_fmt(a.value)}({legend.tag(a.source)})/{_fmt(b.value)}({legend.tag(b.source)})")
    if "clip_max" in f and "clip_min" in f and f["clip_max"].value is None:
        a = f.pop("clip_max")
        f.pop("clip_min")
        items.append(f"clip=ifmr({legend.tag(a.source)})")
    for name, v in f.items():
        if name == "dst_type" and v.value == "INT8" and v.source.kind == "default":
            continue
        items.append(_val(_SHORT_FIELD.get(name, name), v, legend))
    return " ".join(items)


def _options(lc: LayerConfig, legend: _Legend) -> str:
    out = []
    for name, v in lc.options.items():
        if name == "weight_compress_only" and not v.value:
            continue
        if name == "bn_fusion":
            out.append(f"bn_fusion={'yes' if v.value else 'no'}({legend.tag(v.source)})")
            continue
        out.append(_val(name, v, legend))
    return " ".join(out)


def render_table(effective: EffectiveConfig, model: Any, lines: LineIndex, config: str) -> str:
    legend = _Legend(lines)
    rows = [["layer", "type", "status", "block", "weights", "activation", "other"]]
    for lc in effective.layers:
        if lc.status == "skipped" and lc.reason is not None:
            what = f" {lc.reason.detail!r}" if lc.reason.detail else ""
            status = f"skipped: {lc.reason.label}{what}"
        elif lc.status == "not quantizable" and lc.reason is not None:
            status = f"not quantizable: {lc.reason.detail}"
        else:
            status = lc.status
        if lc.block is None:
            block = "-"
        elif lc.block.kind == "global":
            block = "global"
        else:
            block = f"{lc.block.label} ({legend.tag(lc.block, block=True)})"
        activation = _part(lc.activation, legend)
        if lc.inputs:
            activation = " ".join(f"input{t.input_index}[{legend.tag(t.source, block=True)}]: "
                                  f"{_part(t.activation, legend)}" for t in lc.inputs)
        weights = _part(lc.weights, legend)
        if lc.status == "quantized" and lc.activation is None:
            activation = "float (weights only)"
        rows.append([lc.layer, lc.type, status, block, weights if lc.weights else "-", activation,
                     _options(lc, legend)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [f"{config} on {model.path} ({effective.dialect}; {len(effective.quantized())} of "
           f"{len(model.quantizable())} quantizable layers quantized)"]
    for r in rows:
        out.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if not effective.layers:
        out.append("(no quantizable layer)")
    out.append("")
    out.append("sources: " + "; ".join(f"{tag} = {where}" for tag, where in sorted(legend.used.items())))
    return "\n".join(out)
