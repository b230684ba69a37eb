"""Distillation blocks: which modules are trained together (executor.md §7), as AMCT forms them.

1. Units: a quantizable module (Conv2d, Linear) with, when its output feeds it alone, a following
   BatchNorm2d and then, again on a single-consumer edge, an activation (ReLU, LeakyReLU, Sigmoid,
   Tanh, Softmax); an activation may also follow the quantizable module directly. A unit whose
   BatchNorm is not a BatchNorm2d, or is called more than once, is left out (AMCT does the same).
2. User `distill_group`s: the modules on the one path from start to end. Their modules form no unit.
3. Cascades: starting at each unit in graph order, up to `group_size` units joined while the last
   module's output feeds exactly one node and that node starts the next unit.
4. Blocks = user groups + cascades, ordered by the graph position of their first module.

A block runs its modules one after another (AMCT's `module.forward` chain), so every step of a
block is a module: a function call on a group's path is refused before any training.

The graph is the model's torch.fx trace: one node per module call and per function/method call
(AMCT uses the ONNX export, where these are the ONNX nodes); Dropout and Identity modules are
transparent, as they vanish from an exported inference graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

QUANTIZABLE = frozenset({"Conv2d", "Linear"})
BATCH_NORMS = frozenset({"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"})
ACTIVATIONS = frozenset({"ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax"})
GROUP_MODULES = QUANTIZABLE | ACTIVATIONS | {"BatchNorm2d"}
TRANSPARENT = frozenset({"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Identity"})


@dataclass
class Node:
    """One call in the traced graph."""

    name: str  # the fx node name
    op: str  # call_module | call_function | call_method
    target: str  # module name for call_module, else the function / method name
    type: str  # module class name, or the function / method name
    consumers: list[int] = field(default_factory=list)
    producers: list[int] = field(default_factory=list)

    @property
    def is_module(self) -> bool:
        return self.op == "call_module"


@dataclass
class Graph:
    nodes: list[Node]  # in topological order

    def calls(self) -> dict[str, list[int]]:
        """module name -> the nodes calling it."""
        out: dict[str, list[int]] = {}
        for i, n in enumerate(self.nodes):
            if n.is_module:
                out.setdefault(n.target, []).append(i)
        return out


@dataclass(frozen=True)
class Block:
    modules: tuple[str, ...]
    group: int | None = None  # the distill_group index when the user defined it

    @property
    def name(self) -> str:
        return self.modules[0] if len(self.modules) == 1 else f"{self.modules[0]}..{self.modules[-1]}"


class BlockError(ValueError):
    """A distill_group that cannot be a block; `group` is its index in the config."""

    def __init__(self, message: str, group: int | None = None) -> None:
        super().__init__(message)
        self.group = group


def trace(model: Any) -> Graph:
    """The call graph of a torch.nn.Module (raises BlockError when torch.fx cannot trace it)."""
    import torch.fx

    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - any trace failure: the model's forward is not traceable
        raise BlockError(f"the model's forward cannot be traced with torch.fx ({type(exc).__name__}: {exc}); "
                         "blocks are formed on the traced graph") from None
    modules = dict(model.named_modules())
    index: dict[Any, int] = {}
    alias: dict[Any, Any] = {}  # a transparent module's node -> the node it passes on
    nodes: list[Node] = []
    for fx_node in traced.graph.nodes:
        if fx_node.op not in ("call_module", "call_function", "call_method"):
            continue
        if fx_node.op == "call_module":
            kind = type(modules[fx_node.target]).__name__
            if kind in TRANSPARENT and fx_node.all_input_nodes:
                alias[fx_node] = alias.get(fx_node.all_input_nodes[0], fx_node.all_input_nodes[0])
                continue
            target = str(fx_node.target)
        else:
            target = getattr(fx_node.target, "__name__", str(fx_node.target))
            kind = target
        index[fx_node] = len(nodes)
        node = Node(fx_node.name, fx_node.op, target, kind)
        for src in fx_node.all_input_nodes:
            src = alias.get(src, src)
            if src in index and index[src] not in node.producers:
                node.producers.append(index[src])
        for p in node.producers:
            nodes[p].consumers.append(len(nodes))
        nodes.append(node)
    return Graph(nodes)


def _single_consumer(graph: Graph, i: int) -> int | None:
    consumers = graph.nodes[i].consumers
    return consumers[0] if len(consumers) == 1 else None


def units(graph: Graph, excluded: set[str], calls: dict[str, list[int]]) -> list[list[int]]:
    """The smallest distillation units (lists of node indexes), modules in `excluded` left out."""
    out: list[list[int]] = []
    nodes = graph.nodes
    for i, n in enumerate(nodes):
        if not n.is_module or n.type not in QUANTIZABLE or n.target in excluded:
            continue
        unit = [i]
        second = _single_consumer(graph, i)
        if second is None:
            out.append(unit)
            continue
        s = nodes[second]
        if s.is_module and s.type in BATCH_NORMS:
            if s.type != "BatchNorm2d" or len(calls.get(s.target, ())) > 1:
                continue  # AMCT distills only BatchNorm2d, and no shared BatchNorm
            unit.append(second)
            third = _single_consumer(graph, second)
            if third is not None and _is_activation(nodes[third]):
                unit.append(third)
        elif _is_activation(s):
            unit.append(second)
        out.append(unit)
    return out


def _is_activation(node: Node) -> bool:
    return node.is_module and node.type in ACTIVATIONS


def cascade(graph: Graph, found: list[list[int]], group_size: int) -> list[list[int]]:
    """Join up to `group_size` units that follow each other on single-consumer edges."""
    unit_of = {i: u for u in found for i in u}
    taken: set[int] = set()
    out: list[list[int]] = []
    for i in range(len(graph.nodes)):
        if i in taken:
            continue
        chain: list[int] = []
        count = 0
        node: int | None = i
        while node is not None:
            unit = unit_of.get(node)
            if unit is None:
                break
            chain.extend(unit)
            count += 1
            if count == group_size:
                break
            node = _single_consumer(graph, chain[-1])
        if chain:
            taken.update(chain)
            out.append(chain)
    return out


def group_path(graph: Graph, calls: dict[str, list[int]], start: str, end: str, index: int) -> list[int]:
    """The nodes of the one path from module `start` to module `end` (BlockError otherwise)."""
    where = f"distill_group[{index}]"
    for name in (start, end):
        if name not in calls:
            raise BlockError(f"{where}: '{name}' is not called in the model's forward, so it cannot start or "
                             "end a block", index)
    if len(calls[start]) > 1:
        raise BlockError(f"{where}: '{start}' is called {len(calls[start])} times in the forward; a block "
                         "cannot start at a module used more than once", index)
    first = calls[start][0]
    ends = set(calls[end])
    # paths counted in topological order over the nodes reachable from the start (capped at 2)
    count = {first: 1}
    for i in range(first + 1, len(graph.nodes)):
        c = sum(count.get(p, 0) for p in graph.nodes[i].producers)
        if c:
            count[i] = min(c, 2)
    total = sum(count.get(e, 0) for e in ends) if start != end else 1
    if total == 0:
        reverse = any(n < first for n in ends)
        hint = " (it comes before the start: are start and end swapped?)" if reverse else ""
        raise BlockError(f"{where}: no path leads from '{start}' to '{end}' in the traced graph{hint}", index)
    if total > 1:
        raise BlockError(f"{where}: more than one path leads from '{start}' to '{end}' (a branch or a "
                         "module called twice); a group must be a single chain", index)
    node = next(e for e in ends if count.get(e, 0)) if start != end else first
    path = [node]
    while node != first:
        node = next(p for p in graph.nodes[node].producers if count.get(p, 0))
        path.append(node)
    path.reverse()
    for i in path:
        n = graph.nodes[i]
        if not n.is_module:
            raise BlockError(f"{where}: the path from '{start}' to '{end}' goes through '{n.target}' (a "
                             f"{n.op.replace('call_', '')} call, not a module); a block runs its modules one "
                             "after another, so end the group before it or make it a module", index)
        if n.type not in GROUP_MODULES:
            raise BlockError(f"{where}: '{n.target}' ({n.type}) on the path from '{start}' to '{end}' is "
                             f"not a module type distillation supports ({', '.join(sorted(GROUP_MODULES))})",
                             index)
        if n.type == "BatchNorm2d" and len(calls[n.target]) > 1:
            raise BlockError(f"{where}: '{n.target}' is a BatchNorm2d called more than once; it cannot be "
                             "distilled", index)
    return path


def form_blocks(graph: Graph, groups: Sequence[tuple[str, str]], group_size: int) -> list[Block]:
    """All blocks of the model for the config's `distill_group`s and `group_size`, in graph order."""
    calls = graph.calls()
    user: list[tuple[list[int], int]] = []
    owner: dict[str, int] = {}
    for i, (start, end) in enumerate(groups):
        path = group_path(graph, calls, start, end, i)
        for node in path:
            name = graph.nodes[node].target
            shared_activation = graph.nodes[node].type in ACTIVATIONS and len(calls[name]) > 1
            if name in owner and not shared_activation:
                raise BlockError(f"distill_group[{i}] and distill_group[{owner[name]}] both hold '{name}'; "
                                 "groups must not overlap", i)
            owner.setdefault(name, i)
        user.append((path, i))
    in_groups = set(owner)
    found = units(graph, in_groups, calls)
    chains = cascade(graph, found, max(1, group_size))
    candidates: list[tuple[list[int], int | None]] = [*user, *((c, None) for c in chains)]
    return _in_graph_order(graph, candidates)


def _in_graph_order(graph: Graph, candidates: Iterable[tuple[list[int], int | None]]) -> list[Block]:
    """Blocks sorted by the position of their first module, as AMCT sorts them (by module name, so a
    module that starts two candidates keeps only the first)."""
    by_start: dict[str, tuple[list[int], int | None]] = {}
    for nodes, group in candidates:
        by_start.setdefault(graph.nodes[nodes[0]].target, (nodes, group))
    out: list[Block] = []
    seen: set[str] = set()
    for n in graph.nodes:
        if not n.is_module or n.target in seen:
            continue
        hit = by_start.get(n.target)
        if hit is not None:
            nodes, group = hit
            names = tuple(graph.nodes[i].target for i in nodes)
            seen.update(names)
            out.append(Block(names, group))
    return out
