"""Stage 1: load and check the ONNX model (executor.md §1.1), and read what the stages need from it.

Refused, each with a message that says what to do: a file that is not ONNX, a model onnx.checker
rejects, external data outside the model's folder, an already-quantized model, nodes of a
quantizable type without a name, and duplicate node names (a record key must name one node).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PtqError

# Ops that only a quantized model holds: quantizing again would stack grids.
QUANTIZED_OPS = frozenset(
    {
        "QuantizeLinear",
        "DequantizeLinear",
        "DynamicQuantizeLinear",
        "QLinearConv",
        "QLinearMatMul",
        "ConvInteger",
        "MatMulInteger",
        "QLinearAdd",
        "QLinearMul",
        "QLinearAveragePool",
        "QLinearGlobalAveragePool",
        "QLinearConcat",
        "QLinearSigmoid",
        "QLinearLeakyRelu",
        "QGemm",
        "DynamicQuantizeMatMul",
        "MatMulIntegerToFloat",
        "AscendQuant",
        "AscendDequant",
        "AscendAntiQuant",
    }
)
NAMED_OPS = frozenset({"Conv", "ConvTranspose", "Gemm", "MatMul", "AveragePool", "MaxPool", "Add"})


@dataclass
class Graph:
    """The model and indexes over it. Stages copy `proto` before changing it."""

    proto: Any  # onnx.ModelProto, external data loaded
    path: Path | None  # None: given in memory
    nodes: dict[str, Any] = field(default_factory=dict)  # name -> NodeProto
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # constant tensors by name

    @property
    def inputs(self) -> list[Any]:
        """Graph inputs that are not initializers (what the data must feed)."""
        inits = {i.name for i in self.proto.graph.initializer}
        return [i for i in self.proto.graph.input if i.name not in inits]

    def constant(self, tensor: str) -> np.ndarray | None:
        """The value of a tensor fixed in the file (an initializer or a Constant node), else None."""
        return self.arrays.get(tensor)


def load(source: str | os.PathLike[str] | Any) -> Graph:
    """Read and check a model: a path, or an onnx.ModelProto already in memory."""
    import onnx

    if isinstance(source, onnx.ModelProto):
        proto, path = source, None
    else:
        path = Path(source)
        proto = _read(path)
    _check(proto, path)
    return index(proto, path)


def _read(path: Path) -> Any:
    import onnx

    if path.is_dir():
        raise PtqError(f"{path}: is a folder; name the .onnx model file")
    if not path.exists():
        raise PtqError(f"{path}: no such model file")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - any decoding failure means "not ONNX"
        raise PtqError(
            f"{path}: not a readable ONNX model ({type(exc).__name__}); give an .onnx file "
            "exported from your framework"
        ) from None
    if not proto.graph.node:
        raise PtqError(f"{path}: not an ONNX model (its graph has no nodes)")
    _load_external(proto, path)
    return proto


def _load_external(proto: Any, path: Path) -> None:
    """Load external tensor data, refusing locations outside the model's folder."""
    from onnx import external_data_helper

    folder = path.resolve().parent
    for tensor in external_data_helper._get_all_tensors(proto):
        if not external_data_helper.uses_external_data(tensor):
            continue
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        target = (folder / location).resolve()
        if os.path.isabs(location) or (target != folder and folder not in target.parents):
            raise PtqError(
                f"{path}: tensor '{tensor.name}' keeps its data in '{location}', outside the "
                f"model's folder {folder}; move the data file next to the model"
            )
        if not target.is_file():
            raise PtqError(
                f"{path}: tensor '{tensor.name}' keeps its data in '{location}', which does "
                "not exist next to the model"
            )
    try:
        external_data_helper.load_external_data_for_model(proto, str(folder))
    except Exception as exc:  # noqa: BLE001 - a truncated or unreadable data file
        raise PtqError(f"{path}: cannot read its external data ({type(exc).__name__}: {exc})") from None


def _check(proto: Any, path: Path | None) -> None:
    import onnx

    where = str(path) if path is not None else "the model"
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:  # noqa: BLE001 - onnx raises several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PtqError(f"{where}: onnx.checker rejects the model: {first}") from None
    quantized = sorted({n.op_type for n in proto.graph.node if n.op_type in QUANTIZED_OPS})
    if quantized:
        raise PtqError(
            f"{where}: the model is already quantized (it has {', '.join(quantized)} nodes); "
            "give the float model it was made from"
        )
    seen: dict[str, int] = {}
    unnamed: dict[str, int] = {}
    for node in proto.graph.node:
        if not node.name:
            if node.op_type in NAMED_OPS:
                unnamed[node.op_type] = unnamed.get(node.op_type, 0) + 1
            continue
        seen[node.name] = seen.get(node.name, 0) + 1
    dupes = sorted(n for n, c in seen.items() if c > 1)
    if dupes:
        shown = ", ".join(f"'{n}'" for n in dupes[:5])
        raise PtqError(
            f"{where}: node names must be unique (a record key names one node), but "
            f"{shown}{' and more' if len(dupes) > 5 else ''} name several nodes; rename them in "
            "the model"
        )
    if unnamed:
        what = ", ".join(f"{c} {t}" for t, c in sorted(unnamed.items()))
        raise PtqError(
            f"{where}: {what} node(s) have no name, so no config can address them and no record "
            "can name them; give every node a name (e.g. onnx.load, set node.name, onnx.save)"
        )


def index(proto: Any, path: Path | None) -> Graph:
    from onnx import numpy_helper

    graph = Graph(proto, path)
    for init in proto.graph.initializer:
        graph.arrays[init.name] = numpy_helper.to_array(init)
    for node in proto.graph.node:
        if node.name:
            graph.nodes[node.name] = node
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            for a in node.attribute:
                if a.name == "value" and a.HasField("t"):
                    graph.arrays[node.output[0]] = numpy_helper.to_array(a.t)
        elif node.op_type == "Identity" and node.input and node.input[0] in graph.arrays:
            graph.arrays[node.output[0]] = graph.arrays[node.input[0]]
    return graph


def drop_unused_initializers(proto: Any) -> None:
    """Remove the initializers no node reads any more, and their entries among the graph inputs
    (where old models list them)."""
    used = {t for n in proto.graph.node for t in n.input} | {o.name for o in proto.graph.output}
    dropped = {i.name for i in proto.graph.initializer if i.name not in used}
    kept = [i for i in proto.graph.initializer if i.name not in dropped]
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(kept)
    inputs = [i for i in proto.graph.input if i.name not in dropped]
    del proto.graph.input[:]
    proto.graph.input.extend(inputs)
