"""ModelIndex from an ONNX file: layer name = node name, layer type = op type (executor.md §2).

onnx is imported here only, when a model is read (by onnx_load, the loader the executor uses too).
Weights are not loaded (external data stays on disk): the index needs shapes and graph structure,
not values.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from .index import Layer, ModelIndex, Unsupported, UnsupportedCode
from .types import FUSABLE_OPS, ONNX_OPS, TENSOR

# Ops with no input whose output is still a constant.
_SOURCE_CONSTANTS = frozenset({"Constant"})
# Ops whose output is not a function of their inputs.
_NOT_CONSTANT = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                           "Multinomial", "Bernoulli", "If", "Loop", "Scan"})


def load_onnx(path: Path) -> ModelIndex:
    """Index the ONNX model in `path` (read by amct_lang.model.onnx_load, weights left on disk)."""
    from .onnx_load import read_onnx

    return index_onnx(read_onnx(path, weights=False), str(path))


def index_onnx(model: Any, path: str = "<model>") -> ModelIndex:
    """Index an onnx.ModelProto (already loaded)."""
    graph = model.graph
    shapes = _shapes(model)
    constants, const_shapes = _constants(graph)
    shapes.update(const_shapes)

    consumers: dict[str, list[int]] = {}
    for i, node in enumerate(graph.node):
        for t in node.input:
            if t:
                consumers.setdefault(t, []).append(i)
    graph_outputs = {o.name for o in graph.output}

    layers: dict[str, Layer] = {}
    unnamed: Counter[str] = Counter()
    duplicates: Counter[str] = Counter()
    successors: dict[str, set[str]] = {}
    predecessors: dict[str, set[str]] = {}
    # tensor -> the named nodes it comes from (through unnamed nodes, which have no layer of their own)
    producers: dict[str, set[str]] = {}
    for node in graph.node:
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        sources = set().union(*(producers.get(t, set()) for t in node.input if t))
        if not node.name or node.name in layers:
            if node.name:
                duplicates[node.name] += 1
            else:
                unnamed[op] += 1
            for t in node.output:
                producers[t] = sources
            continue
        attrs = {a.name: a for a in node.attribute}
        kind, per_channel, unsupported = _quantizable(op, node, attrs, constants, shapes)
        fusable = op in FUSABLE_OPS and _feeds_only_bn(node, graph.node, consumers, graph_outputs)
        layers[node.name] = Layer(
            name=node.name, type=op, framework="onnx", order=len(layers), inputs=tuple(node.input),
            outputs=tuple(node.output), kind=kind, per_channel=per_channel, fusable=fusable,
            unsupported=unsupported, weight_shape=_weight_shape(op, node, shapes),
            group=_int_attr(attrs, "group", 1))
        successors[node.name] = set()
        predecessors[node.name] = sources - {node.name}
        for src in predecessors[node.name]:
            successors[src].add(node.name)
        for t in node.output:
            producers[t] = {node.name}
    order = {name: layer.order for name, layer in layers.items()}

    def ordered(edges: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
        return {k: tuple(sorted(v, key=order.__getitem__)) for k, v in edges.items()}

    index = ModelIndex(path=path, framework="onnx", layers=layers, successors=ordered(successors),
                       predecessors=ordered(predecessors), unnamed=unnamed, duplicates=duplicates,
                       node_count=len(graph.node))
    if duplicates:
        shown = ", ".join(f"'{name}' ({n + 1} nodes)" for name, n in list(duplicates.items())[:5])
        more = f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else ""
        index.notes.append(f"{len(duplicates)} node name(s) are given to more than one node: {shown}{more}; "
                           "a config addresses layers by name, so rename these nodes in the model (only the "
                           "first of each is shown and checked)")
    return index


def _shapes(model: Any) -> dict[str, tuple[int, ...] | None]:
    """Tensor name -> static shape (None for a dim that is not a number) from shape inference."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
        graph = inferred.graph
    except Exception:  # noqa: BLE001 - inference is a bonus; the graph alone still indexes
        graph = model.graph
    shapes: dict[str, tuple[int, ...] | None] = {}
    for info in list(graph.value_info) + list(graph.input) + list(graph.output):
        t = info.type
        if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
            continue
        dims = t.tensor_type.shape.dim
        shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in dims)
    return shapes


def _constants(graph: Any) -> tuple[set[str], dict[str, tuple[int, ...]]]:
    """Tensors whose value is fixed in the file: initializers, and what constant nodes compute."""
    constants = {init.name for init in graph.initializer}
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    for node in graph.node:
        if node.op_type in _NOT_CONSTANT or node.domain not in ("", "ai.onnx"):
            continue
        inputs = [t for t in node.input if t]
        if not inputs and node.op_type not in _SOURCE_CONSTANTS:
            continue
        if all(t in constants for t in inputs):
            constants.update(t for t in node.output if t)
            if node.op_type == "Constant":
                for a in node.attribute:
                    if a.name == "value" and a.HasField("t"):
                        shapes[node.output[0]] = tuple(a.t.dims)
    return constants, shapes


def _int_attr(attrs: dict[str, Any], name: str, default: int) -> int:
    a = attrs.get(name)
    return int(a.i) if a is not None else default


def _float_attr(attrs: dict[str, Any], name: str, default: float) -> float:
    a = attrs.get(name)
    return float(a.f) if a is not None else default


def _ints_attr(attrs: dict[str, Any], name: str) -> list[int]:
    a = attrs.get(name)
    return list(a.ints) if a is not None else []


def _input(node: Any, i: int) -> str:
    return node.input[i] if len(node.input) > i else ""


def _weight_shape(op: str, node: Any, shapes: dict[str, Any]) -> tuple[int, ...] | None:
    if op in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
        shape = shapes.get(_input(node, 1))
        return tuple(shape) if shape is not None else None
    return None


def _rank(shapes: dict[str, Any], tensor: str) -> int | None:
    shape = shapes.get(tensor)
    return len(shape) if shape is not None else None


def _quantizable(op: str, node: Any, attrs: dict[str, Any], constants: set[str],
                 shapes: dict[str, Any]) -> tuple[str | None, bool, Unsupported | None]:
    """(kind, per_channel, why not) for one node, with executor.md §2's constraints as far as the
    static graph tells. A constraint that needs an unknown shape is given the benefit of the doubt."""
    info = ONNX_OPS.get(op)
    if info is None:
        return None, False, None
    if info.kind == TENSOR:
        return info.kind, False, None
    problem = _constraint(op, node, attrs, constants, shapes)
    if problem:
        return None, info.per_channel, problem
    return info.kind, info.per_channel, None


def _constraint(op: str, node: Any, attrs: dict[str, Any], constants: set[str],
                shapes: dict[str, Any]) -> Unsupported | None:
    found = _violation(op, node, attrs, constants, shapes)
    return Unsupported(*found) if found is not None else None


U = UnsupportedCode


Violation = tuple[UnsupportedCode, str] | None


class _Node:
    """What the constraint checks read of one node: its attributes, inputs and their shapes."""

    __slots__ = ("attrs", "constants", "shapes", "data", "weight", "rank")

    def __init__(self, op: str, node: Any, attrs: dict[str, Any], constants: set[str],
                 shapes: dict[str, Any]) -> None:
        self.attrs, self.constants, self.shapes = attrs, constants, shapes
        self.data, self.weight = _input(node, 0), _input(node, 1)
        rank = _rank(shapes, self.data)
        if rank is None and self.weight and op in ("Conv", "ConvTranspose"):
            rank = _rank(shapes, self.weight)
        self.rank = rank


def _conv(n: _Node) -> Violation:
    if n.weight not in n.constants:
        return U.WEIGHT_NOT_CONSTANT, "its weight is not a constant initializer"
    if n.rank is not None and n.rank not in (4, 5):
        return U.INPUT_RANK, f"its input is {n.rank}-D (only 4-D and 5-D convolutions are quantized)"
    if n.rank == 5 and (_ints_attr(n.attrs, "dilations") or [1])[0] != 1:
        return U.DILATION, "a 5-D convolution needs dilation 1 along depth"
    return None


def _conv_transpose(n: _Node) -> Violation:
    if n.weight not in n.constants:
        return U.WEIGHT_NOT_CONSTANT, "its weight is not a constant initializer"
    if n.rank is not None and n.rank != 4:
        return U.INPUT_RANK, f"its input is {n.rank}-D (only 4-D transposed convolutions are quantized)"
    if any(d != 1 for d in _ints_attr(n.attrs, "dilations")):
        return U.DILATION, "its dilation is not 1"
    return None


def _gemm(n: _Node) -> Violation:
    if _int_attr(n.attrs, "transA", 0) != 0:
        return U.TRANS_A, "transA is 1 (only transA = 0 is quantized)"
    if _float_attr(n.attrs, "alpha", 1.0) != 1.0 or _float_attr(n.attrs, "beta", 1.0) != 1.0:
        return U.ALPHA_BETA, "alpha or beta is not 1"
    if n.weight not in n.constants:
        return U.WEIGHT_NOT_CONSTANT, "its B input is not a constant"
    return None


def _matmul(n: _Node) -> Violation:
    if n.weight not in n.constants:
        return U.WEIGHT_NOT_CONSTANT, "its second input is not a constant"
    weight_rank = _rank(n.shapes, n.weight)
    if weight_rank is not None and weight_rank != 2:
        return U.WEIGHT_RANK, f"its constant second input is {weight_rank}-D (only 2-D weights are quantized)"
    return None


def _average_pool(n: _Node) -> Violation:
    kernel = _ints_attr(n.attrs, "kernel_shape")
    rank = n.rank if n.rank is not None or not kernel else len(kernel) + 2
    if rank is not None and rank != 4:
        return U.INPUT_RANK, f"its input is {rank}-D (only 4-D average pooling is quantized)"
    shape = n.shapes.get(n.data)
    if (shape is not None and kernel and len(shape) == 4 and all(d > 0 for d in shape[2:])
            and list(shape[2:]) == kernel and not any(_ints_attr(n.attrs, "pads"))):
        return U.GLOBAL_POOLING, "its kernel covers the whole input (global pooling is not quantized)"
    return None


_CHECKS = {"Conv": _conv, "ConvTranspose": _conv_transpose, "Gemm": _gemm, "MatMul": _matmul,
           "AveragePool": _average_pool}


def _violation(op: str, node: Any, attrs: dict[str, Any], constants: set[str],
               shapes: dict[str, Any]) -> Violation:
    """Which of executor.md §2's constraints the node breaks, if any."""
    check = _CHECKS.get(op)
    return check(_Node(op, node, attrs, constants, shapes)) if check is not None else None


def _feeds_only_bn(node: Any, nodes: Any, consumers: dict[str, list[int]], graph_outputs: set[str]) -> bool:
    if not node.output or node.output[0] in graph_outputs:
        return False
    users = consumers.get(node.output[0], [])
    return len(users) == 1 and nodes[users[0]].op_type == "BatchNormalization"
