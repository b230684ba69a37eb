"""Stage 2: the run's plan, as plain data, from the effective config (amct_lang.semantic).

The executor never applies AMCT's priority rules itself: it reads `EffectiveConfig` (which block
each layer takes, with every default filled in) and turns it into `LayerPlan`s, the tensors of the
graph each one reads. What the executor cannot honour is refused here, before any work, as
positioned diagnostics (`refusals`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import Diagnostic
from ..quant import IfmrParams, config_float
from .errors import PtqError
from .graph import Graph

WEIGHT_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")
BIAS_OPS = ("Conv", "ConvTranspose", "Gemm")


@dataclass(frozen=True)
class WeightPlan:
    algorithm: str  # "arq" | "nuq"
    channel_wise: bool
    asymmetric: bool = False
    bits: int = 8
    num_steps: int = 32  # NUQ
    num_of_iteration: int = 1  # NUQ


@dataclass(frozen=True)
class ActPlan:
    algorithm: str  # "ifmr" | "hfmg"
    ifmr: IfmrParams  # asymmetric and bits too
    num_of_bins: int = 4096  # HFMG


@dataclass
class LayerPlan:
    name: str
    op_type: str
    input_tensor: str  # the activation the layer reads (input 0)
    weight_tensor: str | None
    bias_tensor: str | None
    weights: WeightPlan | None  # None: no weights (AveragePool)
    activation: ActPlan | None  # None: activations stay float (weight_compress_only)
    provenance: dict[str, str] = field(default_factory=dict)  # field -> "value (where)"
    auto_nuq: bool = False  # a candidate of enable_auto_nuq


@dataclass
class TensorPlan:
    """tensor_quantize: input `input_index` of node `node`."""

    node: str
    op_type: str
    input_index: int
    tensor: str
    activation: ActPlan
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.node}:{self.input_index}"


@dataclass
class Plan:
    layers: list[LayerPlan]
    tensors: list[TensorPlan]
    fusion: dict[str, bool]  # conv layer -> fold its BatchNormalization (do_fusion, skip_fusion_layers)
    skipped: list[tuple[str, str, str]]  # (layer, type, why)
    joint_quant: bool = False
    batch_num: int = 1
    batch_num_source: str = "default"
    notes: list[str] = field(default_factory=list)


Where = Callable[[Any], str]  # Source -> "common_config, line 4"


def refusals(effective: Any, code_at: Callable[[Any], tuple[int, int]]) -> list[Diagnostic]:
    """Diagnostics for what the config asks and this executor cannot honour (never ignored)."""
    from ...semantic import ADA, CalibrationDataType

    out: dict[tuple[str, int, int], Diagnostic] = {}

    def refuse(code: str, source: Any, message: str) -> None:
        start, end = code_at(source)
        out.setdefault((code, start, end), Diagnostic(code, message, start, end))

    settings = effective.settings
    if getattr(settings, "fakequant_precision_mode", None) is not None:
        refuse(
            "RUN003",
            settings.source("fakequant_precision_mode"),
            "fakequant_precision_mode (FP16 fake quantization on Ascend) cannot be run here: remove it",
        )
    if getattr(settings, "nuq_config", None) is not None:
        refuse(
            "RUN005",
            settings.source("nuq_config"),
            "nuq_config reads an Ascend NUQ mapping file, which this executor cannot apply: remove it, "
            "or use nuq_quantize in a layer's config",
        )
    for lc in effective.layers.values():
        if not lc.quantized:
            continue
        if isinstance(lc.weights, ADA):
            refuse(
                "RUN001",
                lc.source("weights"),
                f"ada_quantize (layer '{lc.name}') needs AMCT's ADA "
                "rounding, which this executor does not implement: use arq_quantize or nuq_quantize",
            )
        if lc.dmq_balancer is not None:
            refuse(
                "RUN002",
                lc.source("dmq_balancer"),
                f"dmq_balancer (layer '{lc.name}') cannot be run "
                "here: remove it, or quantize this model with AMCT itself",
            )
        act = lc.activation
        if act is not None and getattr(act, "dst_type", None) is CalibrationDataType.INT16:
            refuse(
                "RUN004",
                act.source("dst_type"),
                f"dst_type INT16 (layer '{lc.name}') has no CPU "
                "runtime: onnxruntime runs 8-bit QDQ models only; use INT8",
            )
    for tc in effective.tensors:
        if getattr(tc.activation, "dst_type", None) is CalibrationDataType.INT16:
            refuse("RUN004", tc.activation.source("dst_type"), "dst_type INT16 has no CPU runtime: use INT8")
    return sorted(out.values(), key=lambda d: (d.start, d.code))


def _ifmr_params(act: Any) -> IfmrParams:
    return IfmrParams(
        config_float(act.max_percentile),
        config_float(act.min_percentile),
        config_float(act.search_range_start),
        config_float(act.search_range_end),
        config_float(act.search_step),
        bool(act.asymmetric),
        8,
    )


def _act_plan(act: Any) -> ActPlan:
    from ...semantic import HFMG

    if isinstance(act, HFMG):
        return ActPlan("hfmg", IfmrParams(asymmetric=bool(act.asymmetric)), int(act.num_of_bins))
    return ActPlan("ifmr", _ifmr_params(act))


def _weight_plan(weights: Any, weight_only: bool, op: str) -> WeightPlan:
    from ...semantic import NUQ

    if isinstance(weights, NUQ):  # per channel where the type has per-channel weights
        return WeightPlan(
            "nuq",
            op in ("Conv", "ConvTranspose"),
            False,
            8,
            int(weights.num_steps),
            int(weights.num_of_iteration),
        )
    bits = int(weights.quant_bits) if getattr(weights, "quant_bits", None) else 8
    # asymmetric weights only in weight-only mode (executor.md §4)
    return WeightPlan("arq", bool(weights.channel_wise), bool(weights.asymmetric) and weight_only, bits)


def _provenance(lc: Any, where: Where) -> dict[str, str]:
    from ...semantic.present import show

    out: dict[str, str] = {"block": where(lc.block) if lc.block is not None else "default"}
    for part_name in ("weights", "activation"):
        part = getattr(lc, part_name)
        if part is None:
            continue
        out[part_name] = f"{part.NAME} ({where(lc.source(part_name))})"
        for name, value, source in part.items():
            out[f"{part_name}.{name}"] = f"{show(value)} ({where(source)})"
    out["weight_compress_only"] = (
        f"{show(lc.weight_compress_only)} ({where(lc.source('weight_compress_only'))})"
    )
    if lc.bn_fusion is not None:
        out["bn_fusion"] = f"{show(lc.bn_fusion)} ({where(lc.source('bn_fusion'))})"
    return out


def build(effective: Any, graph: Graph, where: Where) -> Plan:
    """The plan of the run: one LayerPlan per quantized layer, in graph order."""
    from ...semantic import LayerStatus

    settings = effective.settings
    layers: list[LayerPlan] = []
    skipped: list[tuple[str, str, str]] = []
    fusion: dict[str, bool] = {}
    for name, lc in effective.layers.items():
        node = graph.nodes.get(name)
        if node is None:
            continue
        if lc.bn_fusion is not None:
            fusion[name] = bool(lc.bn_fusion)
        if lc.status is LayerStatus.SKIPPED:
            skipped.append((name, lc.type, where(lc.reason)))
            continue
        if lc.status is LayerStatus.UNSUPPORTED:
            skipped.append((name, lc.type, f"not quantizable: {lc.reason.detail if lc.reason else ''}"))
            continue
        if lc.status is not LayerStatus.QUANTIZED:
            continue
        op = node.op_type
        weight_only = bool(lc.weight_compress_only)
        weight_tensor = node.input[1] if op in WEIGHT_OPS and len(node.input) > 1 else None
        if weight_tensor is not None and graph.constant(weight_tensor) is None:
            raise PtqError(
                f"layer '{name}': its weight '{weight_tensor}' is not a constant of the model "
                "(an initializer or a Constant node); skip the layer with skip_layers"
            )
        bias = node.input[2] if op in BIAS_OPS and len(node.input) > 2 and node.input[2] else None
        if bias is not None and graph.constant(bias) is None:
            raise PtqError(
                f"layer '{name}': its bias '{bias}' is not a constant of the model; skip the "
                "layer with skip_layers"
            )
        weights = (
            _weight_plan(lc.weights, weight_only, op) if weight_tensor is not None and lc.weights else None
        )
        activation = None if weight_only or lc.activation is None else _act_plan(lc.activation)
        layers.append(
            LayerPlan(
                name,
                op,
                node.input[0],
                weight_tensor,
                bias,
                weights,
                activation,
                _provenance(lc, where),
                bool(lc.auto_nuq),
            )
        )
    tensors = []
    for tc in effective.tensors:
        node = graph.nodes.get(tc.layer)
        if node is None or tc.layer_type is None:
            continue
        if tc.input_index >= len(node.input) or not node.input[tc.input_index]:
            raise PtqError(
                f"tensor_quantize: node '{tc.layer}' has no input {tc.input_index} (it has {len(node.input)})"
            )
        tensor = node.input[tc.input_index]
        if graph.constant(tensor) is not None:
            raise PtqError(
                f"tensor_quantize: input {tc.input_index} of '{tc.layer}' is a constant, not an activation"
            )
        tensors.append(
            TensorPlan(
                tc.layer,
                node.op_type,
                tc.input_index,
                tensor,
                _act_plan(tc.activation),
                {"entry": where(tc.source)},
            )
        )
    batch_num = int(getattr(settings, "batch_num", 1) or 1)
    source = settings.source("batch_num") if hasattr(settings, "source") else None
    return Plan(
        layers,
        tensors,
        fusion,
        skipped,
        bool(getattr(settings, "joint_quant", False)),
        batch_num,
        where(source) if source is not None else "default",
        list(effective.notes),
    )
