"""Stage 5: calibration (executor.md §1.6, §8.3-8.4).

onnxruntime runs the fused model with fake-quantized weights (q · scale_w) and float activations;
every quantized layer's input (and every tensor_quantize input) is read out per batch and fed to the
layer's stream (IFMR or HFMG). Memory per tensor stays bounded unless `exact` (AMCT's own way:
every value kept, the search at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..quant import ActQuant, HfmgStream, IfmrStream
from .errors import PtqError
from .graph import Graph, drop_unused_initializers
from .plan import ActPlan, Plan
from .weights import WeightResult

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]  # (items, total, label) -> items


def no_progress(items: Iterable[Any], total: int, label: str) -> Iterable[Any]:
    return items


@dataclass
class Observer:
    """One activation scale to find: the streams of one or more keys read these tensors."""

    keys: list[str]  # record keys: layer names, or "node:index" for tensor_quantize
    tensors: list[str]
    act: ActPlan
    exact: bool
    batch_num: int
    stream: Any = None
    values: int = 0

    def update(self, array: np.ndarray) -> None:
        if self.stream is None:
            p = self.act
            if p.algorithm == "hfmg":
                self.stream = HfmgStream(p.num_of_bins, asymmetric=p.ifmr.asymmetric, bits=p.ifmr.bits)
            else:
                self.stream = IfmrStream(
                    p.ifmr, exact=self.exact, expected=array.size * self.batch_num * len(self.tensors)
                )
        self.stream.update(array)
        self.values += array.size


@dataclass
class Calibration:
    results: dict[str, ActQuant]  # record key -> activation quantization
    batches: int
    notes: list[str] = field(default_factory=list)


def observers(plan: Plan, exact: bool) -> list[Observer]:
    out = []
    for layer in plan.layers:
        if layer.activation is not None:
            out.append(Observer([layer.name], [layer.input_tensor], layer.activation, exact, plan.batch_num))
    by_node: dict[str, list[Any]] = {}
    for t in plan.tensors:
        by_node.setdefault(t.node, []).append(t)
    for entries in by_node.values():
        indexes = {t.input_index for t in entries}
        if plan.joint_quant and entries[0].op_type == "Add" and {0, 1} <= indexes:
            # joint_quant [design]: both inputs of an Add share one scale, IFMR on their union
            first = next(t for t in entries if t.input_index == 0)
            out.append(
                Observer(
                    [t.key for t in entries],
                    [t.tensor for t in entries],
                    first.activation,
                    exact,
                    plan.batch_num,
                )
            )
            continue
        for t in entries:
            out.append(Observer([t.key], [t.tensor], t.activation, exact, plan.batch_num))
    return out


def calibration_proto(fused: Graph, weights: dict[str, WeightResult], extra_outputs: list[str]) -> Any:
    """The fused model with each quantized weight replaced by its fake-quantized value, and the
    observed tensors as extra graph outputs."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.ModelProto()
    proto.CopyFrom(fused.proto)
    g = proto.graph
    nodes = {n.name: n for n in g.node if n.name}
    for name, w in weights.items():
        node = nodes[name]
        tensor = f"{name}.calibration_weight"
        g.initializer.append(numpy_helper.from_array(w.dequantized.astype(np.float32), tensor))
        node.input[1] = tensor
    _add_outputs(proto, extra_outputs)
    drop_unused_initializers(proto)
    return proto


def _add_outputs(proto: Any, tensors: list[str]) -> None:
    from onnx import TensorProto, helper

    present = {o.name for o in proto.graph.output}
    inputs = {i.name for i in proto.graph.input}
    for t in tensors:
        if t in present or t in inputs:
            continue
        proto.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
        present.add(t)


def session(proto: Any, threads: int = 0) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own kinds
        raise PtqError(f"onnxruntime cannot run the model: {str(exc).strip().splitlines()[0]}") from None


def run_batch(sess: Any, names: list[str], batch: dict[str, np.ndarray], index: int) -> list[np.ndarray]:
    try:
        return sess.run(names, batch)  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PtqError(f"batch {index + 1}: onnxruntime failed on the data: {first}") from None


def calibrate(
    fused: Graph,
    plan: Plan,
    weights: dict[str, WeightResult],
    batches: Iterable[dict[str, Any]],
    *,
    exact: bool = False,
    progress: Progress = no_progress,
) -> Calibration:
    obs = observers(plan, exact)
    graph_inputs = {i.name for i in fused.proto.graph.input}
    wanted = sorted({t for o in obs for t in o.tensors if t not in graph_inputs})
    sess = session(calibration_proto(fused, weights, wanted))
    users: dict[str, list[Observer]] = {}
    for o in obs:
        for t in o.tensors:
            users.setdefault(t, []).append(o)

    def feed(outputs: dict[str, np.ndarray], index: int) -> None:
        for tensor, arrays_users in users.items():
            array = outputs[tensor]
            for o in arrays_users:
                try:
                    o.update(array)
                except ValueError:
                    raise PtqError(
                        f"batch {index}: the input of {', '.join(o.keys)} ('{tensor}') holds NaN or "
                        "infinity; check the calibration data and the model"
                    ) from None

    # The statistics of one batch (numpy, which releases the GIL) run while onnxruntime computes the
    # next; at most two batches of activations are alive.
    count = 0
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending: Future[None] | None = None
        for count, batch in enumerate(progress(batches, plan.batch_num, "calibration"), start=1):
            outputs = (
                dict(zip(wanted, run_batch(sess, wanted, batch, count - 1), strict=True)) if wanted else {}
            )
            outputs.update({k: v for k, v in batch.items() if k in users})
            if pending is not None:
                pending.result()
            pending = worker.submit(feed, outputs, count)
            del outputs
        if pending is not None:
            pending.result()
    if count == 0:
        raise PtqError("the calibration data gave no batch")
    # the searches are independent: two at a time (numpy releases the GIL in them too)
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = list(progress(pool.map(lambda o: o.stream.result(), obs), len(obs), "search"))
    results: dict[str, ActQuant] = {}
    for o, result in zip(obs, found, strict=True):
        for key in o.keys:
            results[key] = result
    return Calibration(results, count)
