"""ModelIndex: what the checker and the resolver need to know about a model, as plain data.

Built from an ONNX file (onnx_index.py) or a PyTorch module (torch_index.py); no onnx or torch
object leaks out, so the rules, `resolve` and the editor work on the same few facts: layer names
in graph order, their types, whether and how each is quantizable, and the graph between them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from .types import ACTIVATION, TENSOR, WEIGHTS_AND_ACTIVATION


class ModelError(Exception):
    """A model could not be read: missing file, not a model, or a library not installed."""


class UnsupportedCode(str, Enum):
    """Why a layer of a quantizable type cannot be quantized (executor.md §2's constraints)."""

    WEIGHT_NOT_CONSTANT = "weight-not-constant"  # the weight is computed, not an initializer
    INPUT_RANK = "input-rank"  # e.g. a 3-D convolution input where 4-D / 5-D is needed
    DILATION = "dilation"  # a dilation AMCT does not quantize
    TRANS_A = "trans-a"  # Gemm with transA = 1
    ALPHA_BETA = "alpha-beta"  # Gemm with alpha or beta not 1
    WEIGHT_RANK = "weight-rank"  # MatMul with a constant that is not 2-D
    GLOBAL_POOLING = "global-pooling"  # an average pooling over the whole input
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


class Unsupported(NamedTuple):
    """A reason code and its explanation for the user (`str()` gives the explanation)."""

    code: UnsupportedCode
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Layer:
    name: str
    type: str  # ONNX op type, or torch.nn module class name
    framework: str  # "onnx" | "torch"
    order: int  # position in graph order
    inputs: tuple[str, ...] = ()  # ONNX tensor names ("" for an omitted optional input)
    outputs: tuple[str, ...] = ()
    kind: str | None = None  # types.WEIGHTS_AND_ACTIVATION / ACTIVATION / TENSOR, or None
    per_channel: bool = False  # weights may take one scale per output channel
    fusable: bool = False  # a Conv/ConvTranspose whose only consumer is a BatchNormalization
    unsupported: Unsupported | None = None  # why a quantizable type cannot be quantized here
    weight_shape: tuple[int, ...] | None = None
    group: int = 1

    @property
    def quantizable(self) -> bool:
        """Weights and/or activation quantized through the layer configs (not tensor_quantize)."""
        return self.kind in (WEIGHTS_AND_ACTIVATION, ACTIVATION)

    @property
    def input_count(self) -> int:
        return len(self.inputs)


@dataclass
class ModelIndex:
    path: str
    framework: str  # "onnx" | "torch"
    layers: dict[str, Layer]  # by name, in graph order
    successors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    predecessors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unnamed: Counter[str] = field(default_factory=Counter)  # op type -> nodes without a name
    # name -> extra nodes with that name: only the first node of each name is indexed
    duplicates: Counter[str] = field(default_factory=Counter)
    graph_exact: bool = True  # torch: False when the edges follow registration order, not a trace
    node_count: int = 0
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers.values())

    def get(self, name: str) -> Layer | None:
        return self.layers.get(name)

    def names(self) -> list[str]:
        return list(self.layers)

    def types(self) -> set[str]:
        return {layer.type for layer in self.layers.values()}

    def quantizable(self) -> list[Layer]:
        return [layer for layer in self.layers.values() if layer.quantizable]

    def unnamed_quantizable(self) -> int:
        """Nodes of a quantizable type that AMCT cannot address because they have no name."""
        from .types import op_info

        return sum(n for t, n in self.unnamed.items()
                   if (info := op_info(t, self.framework)) is not None and info.kind != TENSOR)

    def nearest(self, name: str, *, among: list[str] | None = None) -> str | None:
        return nearest_name(name, self.names() if among is None else among)

    def paths(self, start: str, end: str, limit: int = 2) -> int:
        """Number of distinct paths from layer `start` to layer `end`, counted up to `limit`.

        Iterative depth-first search with memoised counts: deep models do not hit the recursion
        limit, and an edge back into the current path (no valid graph has one) counts nothing."""
        if start not in self.layers or end not in self.layers:
            return 0
        if start == end:
            return 1
        succ = self.successors
        count: dict[str, int] = {}
        active = {start}
        stack = [(start, iter(succ.get(start, ())))]
        while stack:
            node, pending = stack[-1]
            for nxt in pending:
                if nxt != end and nxt not in count and nxt not in active:
                    active.add(nxt)
                    stack.append((nxt, iter(succ.get(nxt, ()))))
                    break
            else:
                stack.pop()
                active.discard(node)
                count[node] = min(limit, sum(1 if s == end else count.get(s, 0) for s in succ.get(node, ())))
        return count[start]

    def between(self, start: str, end: str) -> list[str]:
        """Layers on some path from `start` to `end` (both included), in graph order."""
        forward = self._reach(start, self.successors)
        backward = self._reach(end, self.predecessors)
        on_path = forward & backward
        return [name for name in self.layers if name in on_path]

    @staticmethod
    def _reach(origin: str, edges: dict[str, tuple[str, ...]]) -> set[str]:
        seen = {origin}
        stack = [origin]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen


_SEPARATORS = re.compile(r"[/._:\-]+")


def _normal(name: str) -> str:
    return _SEPARATORS.sub(".", name.lower()).strip(".")


def nearest_name(name: str, candidates: list[str]) -> str | None:
    """The model name a mistyped one most likely means.

    Node names are long paths (`/layer1/layer1.0/conv1/Conv`) that users shorten or write with other
    separators (`layer1.0.conv1`), which plain edit distance ranks badly: compare without case and
    separators first, then by containment, then by similarity.
    """
    if not candidates or not name:
        return None
    key = _normal(name)
    normal: dict[str, str] = {}
    for c in candidates:
        normal.setdefault(_normal(c), c)
    if key in normal:
        return normal[key]
    if len(key) >= 3:
        containing = [c for n, c in normal.items() if key in n]
        if containing:
            return min(containing, key=lambda c: (len(c), c))
    from ..suggest import closest

    found = closest(key, normal)
    return normal[found] if found is not None else None
