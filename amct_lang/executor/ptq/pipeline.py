"""The PTQ run, stage by stage, with plain data between the stages:

    load + check model -> validate config (the checker, with the model) -> refusals -> plan
    -> BN fusion -> weight quantization -> calibration -> quantized models, record, report
    -> all files written at once (or none)

`quantize()` is the Python API (`amct_lang.quantize`); `amct-lang run` is a thin layer over it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..record import LayerRecord, record_text
from . import calibrate as calibration
from . import data as data_mod
from . import fusion, graph, writers
from . import plan as planning
from . import report as reporting
from . import weights as weighting
from .errors import PtqError

SUFFIXES = {
    "fake_quant": "_fake_quant_model.onnx",
    "deploy": "_deploy_model.onnx",
    "record": "_record.txt",
    "report_json": "_report.json",
    "report_html": "_report.html",
}


@dataclass
class Result:
    """What a run produced, as objects (also written to files when an output prefix was given)."""

    fake_quant_model: Any  # onnx.ModelProto
    deploy_model: Any  # onnx.ModelProto (QDQ, or the Ascend layout with deploy_format="ascend")
    record: dict[str, LayerRecord]
    record_text: str
    report: dict[str, Any]
    report_html: str
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def output_paths(prefix: str | os.PathLike[str]) -> dict[str, str]:
    base = os.fspath(prefix)
    return {k: base + s for k, s in SUFFIXES.items()}


def _config_text(config: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name to show) of a config given as a path or as text."""
    if isinstance(config, os.PathLike) or (
        isinstance(config, str) and "\n" not in config and "{" not in config and os.path.exists(config)
    ):
        p = Path(config)
        if p.is_dir():
            raise PtqError(f"{p}: is a folder; name the config file")
        try:
            return p.read_bytes().decode("utf-8", errors="surrogateescape"), str(p)
        except OSError as exc:
            raise PtqError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if isinstance(config, str) and "\n" not in config and config.endswith((".cfg", ".txt", ".prototxt")):
        raise PtqError(f"{config}: no such config file")
    return str(config), "<config>"


def validate(text: str, g: graph.Graph, dialect: str | None) -> Any:
    """The checker's analysis of the config with the model; PtqError with its diagnostics on errors,
    and on what this executor cannot honour."""
    from ...analysis import analyze
    from ...model.onnx_index import index_onnx
    from ...semantic import effective_config

    index = index_onnx(g.proto, str(g.path) if g.path else "<model>")
    analysis = analyze(text, dialect, model=index)
    if analysis.dialect.name not in ("calibration", "calibration-onnx"):
        raise PtqError(
            f"the config is a {analysis.dialect.name} config; `run` quantizes with calibration "
            "configs (give --dialect calibration-onnx if it was mistaken)"
        )
    errors = [d for d in analysis.diagnostics if d.is_error]
    if errors:
        raise PtqError(f"the config has {len(errors)} error(s)", analysis=analysis)
    effective = effective_config(analysis)

    def code_at(source: Any) -> tuple[int, int]:
        if source is None or source.start is None:
            return 0, 0
        return source.start, source.end if source.end is not None else source.start

    refused = planning.refusals(effective, code_at)
    if refused:
        with_refusals = copy.copy(analysis)
        with_refusals.diagnostics = sorted(
            list(analysis.diagnostics) + refused, key=lambda d: (d.start, d.code)
        )
        raise PtqError(
            f"the config asks for {len(refused)} thing(s) this executor cannot do", analysis=with_refusals
        )
    return analysis, effective


def where_function(analysis: Any) -> planning.Where:
    lines = analysis.tree.lines

    def where(source: Any) -> str:
        if source is None:
            return "default"
        label = source.label if hasattr(source, "label") else str(source)
        if source.start is None:
            return f"{label}{': ' + source.detail if source.detail else ''}"
        return f"{label}, line {lines.line_col(source.start)[0] + 1}"

    return where


def quantize(
    config: str | os.PathLike[str],
    model: Any,
    batches: Iterable[Any] | None = None,
    output: str | os.PathLike[str] | None = None,
    *,
    data: str | os.PathLike[str] | None = None,
    dialect: str | None = None,
    batch_size: int | None = None,
    batch_num: int | None = None,
    exact: bool = False,
    labels: np.ndarray | None = None,
    deploy_format: str = "onnx",
    force: bool = False,
    images: data_mod.ImageOptions | None = None,
    progress: calibration.Progress = calibration.no_progress,
    report_batches: int = 1,
) -> Result:
    """Quantize `model` (a path or an onnx.ModelProto) as `config` (a path or the text) describes.

    Calibration data: `batches` (any iterable of {input name: array} dicts, or arrays for a
    one-input model) or `data` (an .npz / a folder, cut into `batch_size` batches). `batch_num`
    overrides the config's. `output`: a path prefix; the five files are written all or none, and
    existing ones only with `force`. Raises PtqError (with `.diagnostics` when the config is at
    fault) and nothing is written."""
    notes: list[str] = []
    g = graph.load(model)
    text, config_name = _config_text(config)
    inputs = [
        p
        for p in (
            str(g.path) if g.path else None,
            config_name if config_name != "<config>" else None,
            os.fspath(data) if data is not None and Path(data).is_file() else None,
        )
        if p
    ]
    analysis, effective = validate(text, g, dialect)
    plan = planning.build(effective, g, where_function(analysis))
    if batch_num is not None:
        if batch_num < 1:
            raise PtqError("--batch-num must be at least 1")
        if batch_num != plan.batch_num:
            notes.append(
                f"batch_num {batch_num} from the command line (the config says {plan.batch_num}, "
                f"{plan.batch_num_source})"
            )
        plan.batch_num, plan.batch_num_source = batch_num, "command line"
    paths = output_paths(output) if output is not None else {}
    if paths:
        _check_outputs(paths, force, inputs)
    specs = data_mod.input_specs(g)
    if batches is None:
        if data is None:
            raise PtqError("no calibration data: give batches, or data (an .npz or a folder)")
        arrays = data_mod.load(data, specs, images)
        size = data_mod.batch_size_for(specs, batch_size)
        checked: Iterable[dict[str, np.ndarray]] = data_mod.batches_from_arrays(
            arrays, specs, size, plan.batch_num, str(data)
        )
    else:
        checked = data_mod.batches_from_iterable(batches, specs, plan.batch_num)
    fused, folded = fusion.fold_batchnorms(g, plan.fusion)
    weights: dict[str, weighting.WeightResult] = {}
    for layer in plan.layers:
        if layer.weights is None or layer.weight_tensor is None:
            continue
        node = fused.nodes[layer.name]
        w = fused.constant(node.input[1])
        assert w is not None
        attrs = {a.name: a.i for a in node.attribute if a.type == 2}
        weights[layer.name] = weighting.quantize_weight(
            layer, w, trans_b=attrs.get("transB", 0), group=attrs.get("group", 1)
        )
        layer.bias_tensor = node.input[2] if len(node.input) > 2 and node.input[2] else None
    _auto_nuq(plan, fused, weights, notes)
    kept: list[dict[str, np.ndarray]] = []
    report_keep = max(0, report_batches)

    def remember(items: Iterable[dict[str, np.ndarray]]) -> Iterable[dict[str, np.ndarray]]:
        for item in items:
            if len(kept) < report_keep:
                kept.append(item)
            yield item

    cal = calibration.calibrate(fused, plan, weights, remember(checked), exact=exact, progress=progress)
    fake = writers.qdq_model(fused, plan, weights, cal.results, writers.FAKE_QUANT)
    if deploy_format == "ascend":
        deploy = writers.ascend_model(fused, plan, weights, cal.results)
    elif deploy_format == "onnx":
        deploy = writers.qdq_model(fused, plan, weights, cal.results, writers.DEPLOY)
    else:
        raise PtqError(f"deploy format '{deploy_format}' is not known (onnx or ascend)")
    records = make_records(plan, weights, cal.results)
    rtext = record_text(records)
    rep = reporting.build(plan, weights, cal, fused, fake, kept, labels, folded, exact, notes)
    html = reporting.html(rep)
    result = Result(fake, deploy, records, rtext, rep, html, notes=notes)
    if paths:
        _write(paths, result, force, inputs)
        result.files = list(paths.values())
    return result


def _auto_nuq(plan: planning.Plan, fused: graph.Graph, weights: dict[str, Any], notes: list[str]) -> None:
    """enable_auto_nuq [design]: NUQ (32 steps) on the candidates whose weights outweigh their
    input activation per sample (weight-bound layers)."""
    candidates = [layer for layer in plan.layers if layer.auto_nuq and layer.name in weights]
    if not candidates:
        return
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(fused.proto)
    except Exception:  # noqa: BLE001
        inferred = fused.proto
    shapes: dict[str, list[int]] = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input):
        shapes[vi.name] = [
            d.dim_value if d.HasField("dim_value") else 0 for d in vi.type.tensor_type.shape.dim
        ]
    chosen = []
    for layer in candidates:
        dims = shapes.get(layer.input_tensor, [])
        w = fused.constant(fused.nodes[layer.name].input[1])
        if not dims or any(d == 0 for d in dims[1:]) or w is None:
            continue
        per_sample = int(np.prod(dims[1:]))
        if w.size > per_sample:
            assert layer.weights is not None
            layer.weights = planning.WeightPlan("nuq", layer.weights.channel_wise, False, 8, 32, 1)
            node = fused.nodes[layer.name]
            attrs = {a.name: a.i for a in node.attribute if a.type == 2}
            weights[layer.name] = weighting.quantize_weight(
                layer, w, trans_b=attrs.get("transB", 0), group=attrs.get("group", 1)
            )
            layer.provenance["weights"] = "nuq_quantize (enable_auto_nuq: weight-bound layer)"
            chosen.append(layer.name)
    notes.append(
        f"enable_auto_nuq chose {len(chosen)} weight-bound layer(s) for NUQ"
        + (f": {', '.join(chosen)}" if chosen else "")
    )


def make_records(
    plan: planning.Plan, weights: dict[str, Any], acts: dict[str, Any]
) -> dict[str, LayerRecord]:
    records: dict[str, LayerRecord] = {}
    for layer in plan.layers:
        act = acts.get(layer.name) if layer.activation is not None else None
        w = weights.get(layer.name)
        scale_w: tuple[float, ...] = tuple(float(s) for s in w.scale) if w is not None else ()
        offset_w: tuple[int, ...] = tuple(int(o) for o in w.offset) if w is not None else ()
        if w is None and layer.op_type == "AveragePool":
            scale_w, offset_w = (1.0,), (0,)  # AMCT records pooling with a unit weight scale
        records[layer.name] = LayerRecord(
            act.scale if act is not None else None, act.offset if act is not None else None, scale_w, offset_w
        )
    for t in plan.tensors:
        act = acts.get(t.key)
        if act is not None:
            records[t.key] = LayerRecord(act.scale, act.offset)
    return records


def _check_outputs(paths: dict[str, str], force: bool, inputs: list[str]) -> None:
    """Refuse early (before any work) what the final write would refuse."""
    protected = {os.path.realpath(p) for p in inputs}
    for path in paths.values():
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise PtqError(
                f"{path}: its folder {os.path.dirname(path) or '.'} does not exist; create it first"
            )
        if os.path.realpath(path) in protected:
            raise PtqError(f"{path}: is an input of this run; choose another output prefix")
        if os.path.exists(path) and not force:
            raise PtqError(f"{path}: already exists; use --force to replace the outputs")


def _write(paths: dict[str, str], result: Result, force: bool, inputs: list[str]) -> None:
    import json

    from ...atomic import AtomicWriteError, write_files_atomically

    files: dict[str | os.PathLike[str], bytes] = {
        paths["fake_quant"]: result.fake_quant_model.SerializeToString(),
        paths["deploy"]: result.deploy_model.SerializeToString(),
        paths["record"]: result.record_text.encode("utf-8"),
        paths["report_json"]: (
            json.dumps(result.report, indent=1, allow_nan=False, default=str) + "\n"
        ).encode(),
        paths["report_html"]: result.report_html.encode("utf-8"),
    }
    try:
        write_files_atomically(files, overwrite=force, protect=inputs)
    except AtomicWriteError as exc:
        raise PtqError(str(exc)) from None
