"""Stage 3: fold BatchNormalization into the Conv / ConvTranspose before it (executor.md §1.4, §8.2).

Torch's formula, in float32 in its order (`fuse_conv_bn_weights`), so the fused weights are the
ones AMCT quantizes: rs = 1 / sqrt(var + eps); w' = w * (gamma * rs) per output channel;
b' = (b - mean) * rs * gamma + beta (a missing bias is zeros). Only when the conv's output feeds the
BatchNormalization alone, and only for layers the config lets fuse.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Graph, drop_unused_initializers, index


def fold(
    w: np.ndarray,
    b: np.ndarray | None,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
    *,
    transposed: bool = False,
    group: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(w', b') of a conv followed by a BatchNormalization, float32 in torch's order."""
    f32 = np.float32
    w = w.astype(f32)
    c_out = gamma.size
    bias = np.zeros(c_out, f32) if b is None else b.astype(f32)
    rs = (f32(1) / np.sqrt(var.astype(f32) + f32(eps))).astype(f32)
    factor = (gamma.astype(f32) * rs).astype(f32)
    if transposed:  # [C_in, C_out / group, k...]: output channel g * (C_out / group) + j
        shaped = w.reshape(group, w.shape[0] // group, w.shape[1], *w.shape[2:])
        scale = factor.reshape(group, 1, w.shape[1], *([1] * (w.ndim - 2)))
        new_w = (shaped * scale).astype(f32).reshape(w.shape)
    else:
        new_w = (w * factor.reshape(-1, *([1] * (w.ndim - 1)))).astype(f32)
    new_b = (((bias - mean.astype(f32)) * rs) * gamma.astype(f32) + beta.astype(f32)).astype(f32)
    return new_w, new_b


def fold_batchnorms(graph: Graph, allowed: dict[str, bool]) -> tuple[Graph, list[tuple[str, str]]]:
    """A new graph with each allowed conv's BatchNormalization folded in; the (conv, bn) pairs folded."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.ModelProto()
    proto.CopyFrom(graph.proto)
    g = proto.graph
    consumers: dict[str, list[Any]] = {}
    for node in g.node:
        for t in node.input:
            consumers.setdefault(t, []).append(node)
    outputs = {o.name for o in g.output}
    taken = {i.name for i in g.initializer} | {t for n in g.node for t in n.output}
    folded: list[tuple[str, str]] = []
    remove: set[int] = set()
    for node in g.node:
        if not allowed.get(node.name) or node.op_type not in ("Conv", "ConvTranspose") or not node.output:
            continue
        out = node.output[0]
        users = consumers.get(out, [])
        if out in outputs or len(users) != 1 or users[0].op_type != "BatchNormalization":
            continue
        bn = users[0]
        params = [graph.constant(t) for t in bn.input[1:5]]
        w = graph.constant(node.input[1])
        b = graph.constant(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        attrs = {a.name: a for a in bn.attribute}
        if (
            w is None
            or any(p is None for p in params)
            or (len(node.input) > 2 and node.input[2] and b is None)
        ):
            continue
        if "training_mode" in attrs and attrs["training_mode"].i:
            continue
        if any(o for o in bn.output[1:]):
            continue
        gamma, beta, mean, var = (p for p in params if p is not None)
        eps = attrs["epsilon"].f if "epsilon" in attrs else 1e-5
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        new_w, new_b = fold(
            w,
            b,
            gamma,
            beta,
            mean,
            var,
            eps,
            transposed=node.op_type == "ConvTranspose",
            group=group,
        )
        w_name, b_name = _fresh(f"{node.name}.fused_weight", taken), _fresh(f"{node.name}.fused_bias", taken)
        g.initializer.append(numpy_helper.from_array(new_w, w_name))
        g.initializer.append(numpy_helper.from_array(new_b, b_name))
        data_in = node.input[0]
        del node.input[:]
        node.input.extend([data_in, w_name, b_name])
        node.output[0] = bn.output[0]
        remove.add(id(bn))
        folded.append((node.name, bn.name))
    if remove:
        kept = [n for n in g.node if id(n) not in remove]
        del g.node[:]
        g.node.extend(kept)
        drop_unused_initializers(proto)
    return index(proto, graph.path), folded


def _fresh(base: str, taken: set[str]) -> str:
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}.{i}"
    taken.add(name)
    return name
