"""ModelIndex from a PyTorch model: layer name = module name (named_modules), type = class name.

torch is imported here only, when a model is read. Two file kinds are accepted:
- a TorchScript archive (torch.jit.save): loaded with torch.jit.load;
- a whole pickled nn.Module (torch.save(model, path)): loaded with torch.load(weights_only=False),
  which runs the pickle's code. Only read files you trust.
A state_dict holds weights without module classes, so it cannot tell layer types: refused.

The graph between modules comes from torch.fx.symbolic_trace when the module traces; otherwise
(TorchScript, or forward code fx cannot follow) the leaf modules are chained in registration
order, which is how most nn.Sequential-style models run. `graph_exact` says which.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

from .index import Layer, ModelError, ModelIndex
from .types import TORCH_QUANTIZABLE


def load_torch(path: Path) -> ModelIndex:
    try:
        import torch
    except ImportError:
        raise ModelError("reading a PyTorch model needs torch: install torch's CPU build, then "
                         "pip install '.[torch]' in the amct-lang checkout") from None
    try:
        if _is_torchscript(path):
            with warnings.catch_warnings():  # torch >= 2.9 deprecates TorchScript; it still loads
                warnings.simplefilter("ignore", DeprecationWarning)
                module = torch.jit.load(str(path), map_location="cpu")
        else:
            module = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure to unpickle means "not a loadable model"
        raise ModelError(f"{path}: not a loadable PyTorch model ({type(exc).__name__}: {exc})") from None
    if isinstance(module, dict):
        raise ModelError(f"{path}: holds a state_dict (weights only), which has no module classes; save "
                         "the module itself: torch.save(model, path) or "
                         "torch.jit.save(torch.jit.script(model), path)")
    if not isinstance(module, torch.nn.Module):
        raise ModelError(f"{path}: holds a {type(module).__name__}, not a torch.nn.Module")
    return index_module(module, str(path))


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def class_name(module: Any) -> str:
    # TorchScript keeps the Python class name in original_name
    return str(getattr(module, "original_name", None) or type(module).__name__)


def index_module(module: Any, path: str = "<module>") -> ModelIndex:
    """Index a torch.nn.Module (or ScriptModule) already in memory."""
    named = [(name, m) for name, m in module.named_modules() if name]
    layers: dict[str, Layer] = {}
    for name, m in named:
        cls = class_name(m)
        info = TORCH_QUANTIZABLE.get(cls)
        layers[name] = Layer(name=name, type=cls, framework="torch", order=len(layers),
                             kind=info.kind if info else None, per_channel=bool(info and info.per_channel))
    edges, exact = _traced_edges(module, set(layers))
    if edges is None:
        leaves = [name for name, m in named if not any(True for _ in m.children())]
        edges = {a: {b} for a, b in zip(leaves, leaves[1:], strict=False)}
    successors = {name: tuple(sorted(edges.get(name, ()), key=lambda n: layers[n].order)) for name in layers}
    predecessors: dict[str, list[str]] = {name: [] for name in layers}
    for src, dsts in successors.items():
        for dst in dsts:
            predecessors[dst].append(src)
    index = ModelIndex(path=path, framework="torch", layers=layers, successors=successors,
                       predecessors={k: tuple(v) for k, v in predecessors.items()}, graph_exact=exact,
                       node_count=len(layers))
    if not exact:
        index.notes.append("the module graph follows registration order (the model could not be traced "
                           "with torch.fx); distill_group paths are checked along that order")
    return index


def _traced_edges(module: Any, names: set[str]) -> tuple[dict[str, set[str]] | None, bool]:
    """Module-to-module edges from an fx trace: each called module to the next called modules its
    output reaches through functional code (F.relu, +, view, ...)."""
    try:
        import torch.fx
    except ImportError:  # pragma: no cover - fx ships with torch
        return None, False
    if isinstance(module, torch.jit.ScriptModule):
        return None, False
    try:
        traced = torch.fx.symbolic_trace(module)
    except Exception:  # noqa: BLE001 - untraceable forward code: fall back to registration order
        return None, False
    # For every fx node, the called modules whose output it depends on most directly.
    feeds: dict[Any, set[str]] = {}
    edges: dict[str, set[str]] = {}
    for node in traced.graph.nodes:
        sources: set[str] = set()
        for arg in node.all_input_nodes:
            sources |= feeds.get(arg, set())
        if node.op == "call_module" and node.target in names:
            for src in sources:
                if src != node.target:
                    edges.setdefault(src, set()).add(str(node.target))
            feeds[node] = {str(node.target)}
        else:
            feeds[node] = sources
    return edges, True
