"""Stage 6: the quantized models (executor.md §6), built from the fused graph.

- fake-quant: standard ONNX QDQ. Each quantized activation input gets QuantizeLinear ->
  DequantizeLinear with zero point = offset_d in int8 (AMCT's convention); weights are 8-bit
  initializers behind a DequantizeLinear (per axis when channel-wise; stored as uint8, see below);
  the bias of a layer whose activation is quantized is int32 `round(b / (scale_w · scale_d))` behind a
  DequantizeLinear, as in AMCT's own fake-quant model. Runs in onnxruntime anywhere.
- deploy: the same numbers with uint8 activations (zero point offset_d + 128, the same grid), the
  layout onnxruntime runs as integer kernels on x86 (measured in docs/benchmarks.md).
- ascend: AMCT's layout, AscendQuant before and AscendDequant after each quantized op (a custom
  domain; structure only, not runnable off Ascend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..quant import ActQuant
from .errors import PtqError
from .graph import Graph, drop_unused_initializers
from .plan import Plan
from .weights import WeightResult

QDQ_OPSET = 13  # per-axis DequantizeLinear
ASCEND_DOMAIN = "amct.ascend"
INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True)
class Layout:
    activation_dtype: Any  # np.int8 / np.uint8 (zero point offset_d, or offset_d + 128: the same grid)
    weights: str  # "int8" / "uint8" initializers behind a DequantizeLinear
    int32_bias: bool  # False: a float bias holding round(b / (s_w s_d)) * s_w s_d


# onnxruntime (>= 1.20, graph optimizations on by default) turns every QuantizeLinear -> DequantizeLinear
# -> Conv -> QuantizeLinear group into an integer QLinearConv, quantizing a float weight itself when it has
# to. With int8 weights that kernel multiplies u8 x s8 in saturating 16-bit pairs on x86 without VNNI:
# on MobileNetV2 the top-1 agreement with float fell to 0.32-0.36 from the 0.70 the same numbers give
# computed exactly (docs/benchmarks.md). Weights stored as uint8 (zero point offset_w + 128: the same
# grid) take the u8 x u8 kernel, which is exact, so both models compute what AMCT's arithmetic says.
FAKE_QUANT = Layout(np.int8, "uint8", True)  # activations in AMCT's int8 convention: zero point offset_d
DEPLOY = Layout(np.uint8, "uint8", True)  # activations uint8, zero point offset_d + 128
DEPLOY_S8 = Layout(np.uint8, "int8", True)  # int8 weights: fastest, but saturating without VNNI


def _copy(proto: Any) -> Any:
    import onnx

    out = onnx.ModelProto()
    out.CopyFrom(proto)
    return out


def _with_opset(proto: Any, version: int) -> Any:
    from onnx import version_converter

    current = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 1)
    if current >= version:
        return proto
    try:
        return version_converter.convert_version(proto, version)
    except Exception as exc:  # noqa: BLE001
        raise PtqError(
            f"the model uses opset {current}; QDQ needs opset {version} and onnx's converter "
            f"failed ({type(exc).__name__}: {exc}); export the model with opset >= {version}"
        ) from None


class _Builder:
    def __init__(self, proto: Any) -> None:
        self.proto = proto
        self.g = proto.graph
        self.nodes = {n.name: n for n in self.g.node if n.name}
        self.taken = (
            {i.name for i in self.g.initializer}
            | {t for n in self.g.node for t in n.output}
            | {i.name for i in self.g.input}
            | set(self.nodes)
        )
        self.before: dict[int, list[Any]] = {}  # position in g.node -> nodes to insert before it
        self.position = {id(n): i for i, n in enumerate(self.g.node)}

    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self.taken:
            i += 1
            name = f"{base}.{i}"
        self.taken.add(name)
        return name

    def const(self, base: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.fresh(base)
        self.g.initializer.append(numpy_helper.from_array(array, name))
        return name

    def insert_before(self, node: Any, new: Any) -> None:
        self.before.setdefault(self.position[id(node)], []).append(new)

    def qdq_input(self, node: Any, index: int, label: str, act: ActQuant, layout: Layout) -> None:
        from onnx import helper

        x = node.input[index]
        scale = self.const(f"{label}.input_scale", np.array(act.scale, dtype=np.float32))
        zp = self.const(
            f"{label}.input_zero_point",
            np.array(
                act.offset + (128 if layout.activation_dtype == np.uint8 else 0),
                dtype=layout.activation_dtype,
            ),
        )
        q, dq = self.fresh(f"{label}.input_quantized"), self.fresh(f"{label}.input_dequantized")
        self.insert_before(
            node,
            helper.make_node(
                "QuantizeLinear", [x, scale, zp], [q], name=self.fresh(f"{label}.quantize_input")
            ),
        )
        self.insert_before(
            node,
            helper.make_node(
                "DequantizeLinear", [q, scale, zp], [dq], name=self.fresh(f"{label}.dequantize_input")
            ),
        )
        node.input[index] = dq

    def dq_const(
        self,
        node: Any,
        index: int,
        label: str,
        what: str,
        q: np.ndarray,
        scale: np.ndarray,
        zero: np.ndarray,
        axis: int | None,
    ) -> None:
        from onnx import helper

        qn = self.const(f"{label}.{what}_quantized", q)
        sn = self.const(
            f"{label}.{what}_scale",
            scale.astype(np.float32)
            if axis is not None
            else np.array(scale.reshape(-1)[0], dtype=np.float32),
        )
        zn = self.const(
            f"{label}.{what}_zero_point",
            zero if axis is not None else np.array(zero.reshape(-1)[0], dtype=zero.dtype),
        )
        out = self.fresh(f"{label}.{what}_dequantized")
        attrs: dict[str, Any] = {"axis": axis} if axis is not None else {}
        self.insert_before(
            node,
            helper.make_node(
                "DequantizeLinear",
                [qn, sn, zn],
                [out],
                name=self.fresh(f"{label}.dequantize_{what}"),
                **attrs,
            ),
        )
        node.input[index] = out

    def finish(self) -> Any:
        nodes = list(self.g.node)
        ordered = []
        for i, n in enumerate(nodes):
            ordered.extend(self.before.get(i, []))
            ordered.append(n)
        del self.g.node[:]
        self.g.node.extend(ordered)
        drop_unused_initializers(self.proto)
        return self.proto


def bias_int32(layer: str, bias: np.ndarray, w: WeightResult, act: ActQuant) -> tuple[np.ndarray, np.ndarray]:
    """(int32 bias, float32 bias scale scale_w·scale_d per channel); PtqError if out of int32 range."""
    scale = (w.scale.astype(np.float32) * np.float32(act.scale)).astype(np.float32)
    if scale.size == 1 and bias.size != 1:
        scale = np.full(bias.size, scale[0], dtype=np.float32)
    q = np.rint(bias.astype(np.float32) / scale)
    if q.size and (q.min() < INT32[0] or q.max() > INT32[1]):
        raise PtqError(
            f"layer '{layer}': its bias does not fit int32 at scale_w·scale_d (a channel needs "
            f"{float(np.abs(q).max()):.3g}); skip the layer, or check its weights and data"
        )
    return q.astype(np.int32), scale


def qdq_model(
    fused: Graph, plan: Plan, weights: dict[str, WeightResult], acts: dict[str, ActQuant], layout: Layout
) -> Any:
    """The fake-quant (FAKE_QUANT) or deploy (DEPLOY) model."""
    import onnx

    b = _Builder(_with_opset(_copy(fused.proto), QDQ_OPSET))
    for layer in plan.layers:
        node = b.nodes[layer.name]
        act = acts.get(layer.name) if layer.activation is not None else None
        w = weights.get(layer.name)
        if act is not None:
            b.qdq_input(node, 0, layer.name, act, layout)
        if w is not None:
            if layout.weights == "uint8":
                b.dq_const(
                    node,
                    1,
                    layer.name,
                    "weight",
                    (w.q.astype(np.int16) + 128).astype(np.uint8),
                    w.scale,
                    (w.offset + 128).astype(np.uint8),
                    w.axis,
                )
            else:
                b.dq_const(node, 1, layer.name, "weight", w.q, w.scale, w.offset.astype(np.int8), w.axis)
            if act is not None and layer.bias_tensor is not None:
                bias = fused.constant(layer.bias_tensor)
                if bias is not None and bias.ndim == 1:
                    qb, sb = bias_int32(layer.name, bias, w, act)
                    if layout.int32_bias:
                        b.dq_const(node, 2, layer.name, "bias", qb, sb, np.zeros(qb.size, np.int32), 0)
                    else:
                        node.input[2] = b.const(f"{layer.name}.bias_rounded", (qb * sb).astype(np.float32))
    for t in plan.tensors:
        act = acts.get(t.key)
        if act is not None:
            b.qdq_input(b.nodes[t.node], t.input_index, t.key, act, layout)
    proto = b.finish()
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:  # noqa: BLE001 - a bug here, not a user error; say what broke
        raise PtqError(f"the quantized model fails onnx.checker ({exc}); please report this") from None
    return proto


def ascend_model(
    fused: Graph, plan: Plan, weights: dict[str, WeightResult], acts: dict[str, ActQuant]
) -> Any:
    """AMCT's deploy layout: AscendQuant(scale = 1/scale_d, offset = offset_d, dst_type) -> op with int8
    weights and int32 bias -> AscendDequant(deq_scale = scale_w·scale_d per channel)."""
    from onnx import helper

    proto = _copy(fused.proto)
    b = _Builder(proto)
    after: dict[int, list[Any]] = {}
    for layer in plan.layers:
        node = b.nodes[layer.name]
        act = acts.get(layer.name) if layer.activation is not None else None
        w = weights.get(layer.name)
        if act is None or w is None:
            continue
        q_out = b.fresh(f"{layer.name}.input_int8")
        b.insert_before(
            node,
            helper.make_node(
                "AscendQuant",
                [node.input[0]],
                [q_out],
                name=b.fresh(f"{layer.name}.ascend_quant"),
                domain=ASCEND_DOMAIN,
                scale=float(np.float32(1.0) / np.float32(act.scale)),
                offset=float(act.offset),
                dst_type="INT8",
            ),
        )
        node.input[0] = q_out
        node.input[1] = b.const(f"{layer.name}.weight_int8", w.q)
        if layer.bias_tensor is not None and len(node.input) > 2:
            bias = fused.constant(layer.bias_tensor)
            if bias is not None and bias.ndim == 1:
                qb, _ = bias_int32(layer.name, bias, w, act)
                node.input[2] = b.const(f"{layer.name}.bias_int32", qb)
        deq = (w.scale.astype(np.float32) * np.float32(act.scale)).astype(np.float32)
        out = node.output[0]
        raw = b.fresh(f"{layer.name}.output_int32")
        node.output[0] = raw
        deq_name = b.const(f"{layer.name}.deq_scale", deq)
        after.setdefault(b.position[id(node)], []).append(
            helper.make_node(
                "AscendDequant",
                [raw, deq_name],
                [out],
                name=b.fresh(f"{layer.name}.ascend_dequant"),
                domain=ASCEND_DOMAIN,
            )
        )
    nodes = list(b.g.node)
    ordered = []
    for i, n in enumerate(nodes):
        ordered.extend(b.before.get(i, []))
        ordered.append(n)
        ordered.extend(after.get(i, []))
    del b.g.node[:]
    b.g.node.extend(ordered)
    drop_unused_initializers(proto)
    if not any(o.domain == ASCEND_DOMAIN for o in proto.opset_import):
        proto.opset_import.append(helper.make_opsetid(ASCEND_DOMAIN, 1))
    return proto
