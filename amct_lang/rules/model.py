"""MOD: the config against the model it will be applied to (`--model`).

Without a model these rules are skipped, never guessed. A model of the wrong kind for the dialect
(an ONNX file for a distillation config) is not used either; the CLI says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, Edit, Fix, Related, Severity
from ..document import BoundMessage, Entry
from ..vocab import TENSOR_ONLY_OPS
from .catalog import REGISTRY, rule
from .context import RuleContext

if TYPE_CHECKING:
    from ..model.index import Layer, ModelIndex
    from ..semantic.types import EffectiveConfig


class _Lazy:
    """The model index and resolution modules, imported when a model rule first runs: a check
    without a model must not pay for them at start-up."""

    def __getattr__(self, name: str) -> Any:
        from .. import vocab
        from ..model import index
        from ..semantic import types as semantic

        for module in (index, vocab, semantic):
            if hasattr(module, name):
                value = getattr(module, name)
                setattr(self, name, value)
                return value
        raise AttributeError(name)


_m = _Lazy()

E, W = Severity.ERROR, Severity.WARNING
CALIBRATION = ("calibration", "calibration-onnx")
DISTILL = ("distill",)
TENSOR_TYPES = TENSOR_ONLY_OPS


def _group_types() -> str:
    return ", ".join(sorted(_m.TORCH_GROUP_MODULES))


def _model(ctx: RuleContext) -> ModelIndex | None:
    """The model, when it is of the kind the dialect configures (else the model rules do not run)."""
    model = ctx.model
    if model is None or model.framework != _m.framework_for(ctx.dialect):
        return None
    return model


def _effective(ctx: RuleContext) -> EffectiveConfig:
    """The analysis's effective config (computed once, shared with hover, resolve, the executor)."""
    effective = ctx.effective
    assert effective is not None  # _model() said the model fits the dialect
    return effective


def _where(model: ModelIndex) -> str:
    return os.path.basename(model.path)


def _strings(root: BoundMessage, name: str) -> list[Entry]:
    if name not in root.descriptor.fields_by_name:
        return []
    return [e for e in root.all(name) if isinstance(e.value, str)]


def _keyed(root: BoundMessage, name: str, key: str) -> Iterator[tuple[int, Entry, Entry]]:
    """(index, block entry, key entry) for each block of repeated field `name` that gives `key`."""
    if name not in root.descriptor.fields_by_name:
        return
    for i, e in enumerate(root.all(name)):
        if isinstance(e.value, BoundMessage):
            k = e.value.last(key)
            if k is not None and isinstance(k.value, str):
                yield i, e, k


def _named(ctx: RuleContext) -> Iterator[tuple[str, Entry]]:
    """(where, string entry) for every layer name the file gives."""
    root = ctx.root
    if ctx.dialect == "distill":
        for e in _strings(root, "quant_skip_layers"):
            yield "quant_skip_layers", e
        for i, _, k in _keyed(root, "distill_override_layers", "layer_name"):
            yield f"distill_override_layers[{i}]", k
        for i, group in enumerate(root.all("distill_group")):
            if isinstance(group.value, BoundMessage):
                for key in ("start_layer_name", "end_layer_name"):
                    bound = group.value.last(key)
                    if bound is not None and isinstance(bound.value, str):
                        yield f"distill_group[{i}]", bound
        return
    for name in ("skip_layers", "skip_fusion_layers"):
        for e in _strings(root, name):
            yield name, e
    for name in ("override_layer_configs", "tensor_quantize"):
        for i, _, k in _keyed(root, name, "layer_name"):
            yield f"{name}[{i}]", k


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@rule("MOD001", "unknown-layer-name", E, dialects=CALIBRATION + DISTILL, needs_model=True)
def unknown_layer(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    A layer name that the model does not have.

    ## What it does
    Checks every layer name the file gives (`skip_layers`, `skip_fusion_layers`,
    `override_layer_configs`, `tensor_quantize`; for distillation `quant_skip_layers`,
    `distill_override_layers`, `distill_group`) against the model's layer names: ONNX node names,
    or PyTorch module names (`named_modules()`). It suggests the closest name, comparing without
    case and separators, so `layer1.0.conv1` finds `/layer1/layer1.0/conv1/Conv`.

    ## Why is this bad?
    AMCT stops with "Layer ... does not exist in the graph" after loading the model, or, for
    some fields, silently applies nothing.

    ## Example
    ```
    skip_layers: "conv_1"      # the model's node is "conv1"
    ```

    ## Use instead
    ```
    skip_layers: "conv1"
    ```
    """
    model = _model(ctx)
    if model is None:
        return
    spec = REGISTRY["MOD001"]
    names = model.names()
    for where, entry in _named(ctx):
        name = entry.value
        if name in model.layers:
            continue
        hint = _m.nearest_name(name, names)
        message = f"{where}: no layer named '{name}' in {_where(model)}"
        fixes: tuple[Fix, ...] = ()
        if hint:
            message += f"; did you mean '{hint}'?"
            fixes = (Fix(f"Replace with '{hint}'", (Edit(entry.start, entry.end, _quote(hint)),)),)
        elif model.unnamed_quantizable():
            message += (f"; {model.unnamed_quantizable()} quantizable node(s) of the model have no name: "
                        "name them in the model to configure them")
        yield spec.diagnostic(message, entry.start, entry.end, fixes=fixes)


def _kinds(framework: str) -> str:
    return ", ".join(_m.quantizable_type_names(framework))


@rule("MOD002", "layer-not-applicable", E, dialects=CALIBRATION + DISTILL, needs_model=True)
def not_applicable(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    A layer that exists but cannot take the setting it is named in.

    ## What it does
    Checks the type of each named layer: `skip_layers` and `override_layer_configs` (and, for
    distillation, `quant_skip_layers` and `distill_override_layers`) need a quantizable layer
    (ONNX Conv, ConvTranspose, Gemm, MatMul, AveragePool; PyTorch Conv2d, Linear);
    `skip_fusion_layers` needs a Conv or ConvTranspose followed by a BatchNormalization;
    `tensor_quantize` needs a MaxPool or Add node. A quantizable type that breaks one of AMCT's
    constraints (a Gemm with transA = 1, a MatMul without a constant 2-D weight, a global average
    pooling) is reported as a warning: the setting has no effect.

    ## Why is this bad?
    AMCT rejects such a name ("Layer ... does not support quantization") or ignores the setting
    without a word.

    ## Example
    ```
    skip_layers: "relu1"          # a Relu is never quantized
    tensor_quantize { layer_name: "conv1" input_index: 0 }
    ```

    ## Use instead
    ```
    skip_layers: "conv2"          # the Conv that feeds relu1's input
    tensor_quantize { layer_name: "pool1" input_index: 0 }
    ```
    """
    model = _model(ctx)
    if model is None:
        return
    spec = REGISTRY["MOD002"]
    for where, entry in _named(ctx):
        layer = model.get(entry.value)
        if layer is None:
            continue
        field = where.split("[")[0]
        problem = _problem(field, layer, model)
        if problem is not None:
            message, severity = problem
            yield spec.diagnostic(f"{where}: {message}", entry.start, entry.end, severity=severity)


def _problem(field: str, layer: Layer, model: ModelIndex) -> tuple[str, Severity] | None:
    what = f"'{layer.name}' is a {layer.type}"
    if field == "distill_group":
        return None  # MOD007 checks the modules of a group
    if field == "skip_fusion_layers":
        if layer.type not in _m.FUSABLE_OPS:
            return f"{what}; only a Conv or ConvTranspose followed by a BatchNormalization is fused", E
        if not layer.fusable:
            return (f"{what} that no BatchNormalization follows as its only consumer: there is nothing to "
                    "fuse, so this entry has no effect", W)
        return None
    if field == "tensor_quantize":
        if layer.type in TENSOR_TYPES:
            return None
        hint = " (its input is quantized through its layer config)" if layer.quantizable else ""
        return f"{what}; tensor_quantize applies to MaxPool and Add nodes only{hint}", E
    if layer.quantizable:
        return None
    verb = "skipping" if "skip" in field else "overriding"
    if layer.unsupported:
        return f"{what} that AMCT cannot quantize here: {layer.unsupported}; {verb} it has no effect", W
    return f"{what}, which AMCT does not quantize (quantizable: {_kinds(model.framework)})", E


@rule("MOD003", "input-index-out-of-range", E, dialects=CALIBRATION, needs_model=True)
def input_index(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    A `tensor_quantize.input_index` that the node does not have.

    ## What it does
    Compares `input_index` with the number of inputs of the node named by `layer_name`.

    ## Why is this bad?
    AMCT fails when it inserts the quantization on an input that does not exist.

    ## Example
    ```
    tensor_quantize { layer_name: "add1" input_index: 2 }   # an Add has inputs 0 and 1
    ```

    ## Use instead
    ```
    tensor_quantize { layer_name: "add1" input_index: 1 }
    ```
    """
    model = _model(ctx)
    if model is None:
        return
    spec = REGISTRY["MOD003"]
    for i, e, k in _keyed(ctx.root, "tensor_quantize", "layer_name"):
        layer = model.get(k.value)
        index = e.value.last("input_index")
        if layer is None or index is None or not isinstance(index.value, int):
            continue
        if index.value >= layer.input_count:
            count = layer.input_count
            valid = "0" if count == 1 else f"0..{count - 1}"
            yield spec.diagnostic(
                f"tensor_quantize[{i}]: '{layer.name}' ({layer.type}) has {count} input(s), so input_index "
                f"must be {valid}, not {index.value}", index.start, index.end)


@rule("MOD004", "channel-wise-not-supported", E, dialects=CALIBRATION + DISTILL, needs_model=True)
def channel_wise(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    `channel_wise: true` that reaches, through resolution, a layer without per-channel weights.

    ## What it does
    Resolves every layer's effective config (`amct-lang resolve` shows it) and reports each
    `channel_wise: true` that ends up on a layer whose weights have a single scale: Gemm, MatMul
    (PyTorch: Linear). Typically `common_config` sets it for the convolutions and also reaches the
    fully connected layers. Type overrides are checked without a model (CAL015, DST007).

    ## Why is this bad?
    AMCT stops with "channel_wise must be False for layer type ...".

    ## Example
    ```
    common_config { arq_quantize { channel_wise: true } }   # the model also has a Gemm
    ```

    ## Use instead
    ```
    common_config { arq_quantize { channel_wise: true } }
    override_layer_types {
      layer_type: "Gemm"
      calibration_config { arq_quantize { channel_wise: false } }
    }
    ```
    """
    model = _model(ctx)
    if model is None:
        return
    spec = REGISTRY["MOD004"]
    reached: dict[tuple[int, int], list[str]] = {}
    labels: dict[tuple[int, int], str] = {}
    for lc in _effective(ctx).quantized():
        layer = model.layers[lc.name]
        if lc.weights is None or getattr(lc.weights, "channel_wise", None) is not True or layer.per_channel:
            continue
        src = lc.weights.source("channel_wise")
        if src.kind in (_m.SourceKind.TYPE_OVERRIDE, _m.SourceKind.DISTILL_TYPE_OVERRIDE) or \
                src.start is None or src.end is None:
            continue
        key = (src.start, src.end)
        reached.setdefault(key, []).append(f"{layer.name} ({layer.type})")
        labels[key] = src.label
    for (start, end), layers in reached.items():
        shown = ", ".join(layers[:5]) + (f" and {len(layers) - 5} more" if len(layers) > 5 else "")
        types = sorted({name.rsplit("(", 1)[1].rstrip(")") for name in layers})
        fix_hint = (f"add an override_layer_types entry with channel_wise: false for {', '.join(types)}"
                    if labels[(start, end)].startswith("common") else "set channel_wise: false here")
        yield spec.diagnostic(
            f"channel_wise: true from {labels[(start, end)]} reaches {len(layers)} layer(s) without "
            f"per-channel weights: {shown}; {fix_hint}", start, end)


@rule("MOD005", "nothing-to-quantize", E, dialects=CALIBRATION + DISTILL, needs_model=True)
def nothing_left(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    No layer of the model is left to quantize.

    ## What it does
    Counts the layers that the effective config quantizes: the model's quantizable layers minus
    `skip_layer_types` and `skip_layers` (distillation: `quant_skip_*`), plus `tensor_quantize`
    entries. When none is left, it says which skip entries removed them, or that the model has no
    quantizable layer at all (including quantizable nodes that have no name: AMCT cannot address
    those, so name them in the model).

    ## Why is this bad?
    AMCT stops with "Except skip_types, no type need to quantize" / "No layer support
    quantization in the graph", after the model has been loaded.

    ## Example
    ```
    skip_layer_types: "Conv"
    skip_layer_types: "Gemm"     # the model has nothing else to quantize
    ```

    ## Use instead
    Skip only the layers that must stay in float.
    """
    model = _model(ctx)
    if model is None:
        return
    effective = _effective(ctx)
    if effective.quantized() or any(t.layer_type is not None for t in effective.tensors):
        return
    spec = REGISTRY["MOD005"]
    candidates = model.quantizable()
    unnamed = model.unnamed_quantizable()
    if not candidates:
        message = (f"{_where(model)} has no layer AMCT quantizes ({_kinds(model.framework)})")
        if unnamed:
            message += f"; {unnamed} quantizable node(s) have no name: name them in the model"
        yield spec.diagnostic(message, 0, 0)
        return
    skipped = [lc for lc in effective.layers.values() if lc.reason is not None and not lc.quantized]
    sources = sorted({(lc.reason.start, lc.reason.end, lc.reason.label) for lc in skipped
                      if lc.reason is not None and lc.reason.start is not None}, key=lambda s: s[0] or 0)
    start, end = (sources[0][0], sources[0][1]) if sources else (0, 0)
    related = tuple(Related(s or 0, e or 0, f"{label} removes layers too") for s, e, label in sources[1:6])
    yield spec.diagnostic(
        f"all {len(candidates)} quantizable layer(s) of {_where(model)} are skipped or cannot be quantized: "
        "nothing is left to quantize; remove some skip entries", start or 0, end or 0, related=related)


@rule("MOD006", "layer-type-not-in-model", W, dialects=CALIBRATION + DISTILL, needs_model=True)
def type_not_in_model(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    A layer type that no quantizable layer of the model has.

    ## What it does
    Checks the types in `skip_layer_types` and `override_layer_types` (distillation:
    `quant_skip_layer_types`, `distill_override_layer_types`) against the types of the model's
    quantizable layers. Ascend IR names count for the ONNX types they stand for (`Conv2D` for
    Conv, `FullyConnection` for Gemm, `Pooling` for AveragePool, ...).

    ## Why is this bad?
    The entry does nothing: often a misspelt type, or a type name from another framework
    (`Conv2d` is PyTorch's, `Conv` ONNX's, `Conv2D` Ascend IR's). A type the model has but AMCT
    does not quantize (`Relu`) is an error: AMCT rejects it ("Layer type ... does not support
    quantize"). In distillation configs a type the model lacks is an error too: AMCT rejects it
    ("distill_override_layer_types['Conv2d'] not exist or supported for quant").

    ## Example
    ```
    skip_layer_types: "InnerProduct"   # the model has no Gemm
    ```

    ## Use instead
    Remove the entry, or name a type the model has (`Conv`, `MatMul`, ...).
    """
    model = _model(ctx)
    if model is None:
        return
    spec = REGISTRY["MOD006"]
    quantizable = model.quantizable()
    have = sorted({layer.type for layer in quantizable})
    if ctx.dialect == "distill":
        entries = [("quant_skip_layer_types", e) for e in _strings(ctx.root, "quant_skip_layer_types")]
        entries += [(f"distill_override_layer_types[{i}]", k)
                    for i, _, k in _keyed(ctx.root, "distill_override_layer_types", "layer_type")]
    else:
        entries = [("skip_layer_types", e) for e in _strings(ctx.root, "skip_layer_types")]
        entries += [(f"override_layer_types[{i}]", k)
                    for i, _, k in _keyed(ctx.root, "override_layer_types", "layer_type")]
    for where, entry in entries:
        name = entry.value
        if any(_m.type_match(name, layer) for layer in quantizable):
            continue
        matching = [layer for layer in model if _m.type_match(name, layer)]
        blocked = [layer for layer in matching if layer.unsupported]
        if blocked:
            message = (f"{where}: no {name} layer of {_where(model)} can be quantized "
                       f"({blocked[0].name}: {blocked[0].unsupported}); this entry has no effect")
        elif matching:
            # AMCT rejects a type it cannot quantize ("Layer type ... does not support quantize")
            yield spec.diagnostic(f"{where}: AMCT does not quantize {name} layers and rejects this entry; "
                                  f"quantizable types: {_kinds(model.framework)}", entry.start, entry.end,
                                  severity=E)
            continue
        else:
            message = f"{where}: no layer of {_where(model)} has type '{name}'"
            hint = _m.nearest_name(name, have)
            if hint:
                message += f"; did you mean '{hint}'?"
            elif have:
                message += f" (its quantizable types: {', '.join(have)})"
            if ctx.dialect == "distill":
                # AMCT's distillation rejects it ("quant_skip_layer_types['Conv2d'] not exist or supported")
                yield spec.diagnostic(message + "; AMCT rejects the file", entry.start, entry.end, severity=E)
                continue
        yield spec.diagnostic(message, entry.start, entry.end)


@rule("MOD007", "distill-group-invalid", E, dialects=DISTILL, needs_model=True)
def distill_group(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    A `distill_group` that is not one chain of supported modules, or that overlaps another.

    ## What it does
    For each group whose start and end modules exist, checks in the model's module graph that
    exactly one path leads from `start_layer_name` to `end_layer_name`, that every module on it
    is one distillation supports (Conv2d, Linear, BatchNorm2d, ReLU, LeakyReLU, Sigmoid, Tanh,
    Softmax), and that no module belongs to two groups. The graph comes from a torch.fx trace;
    when the model cannot be traced, modules are taken in registration order.

    ## Why is this bad?
    AMCT stops with "Can not find an only route from start_layer_name ... to end_layer_name",
    "... is not a supported type" or "There is an intersection between distill_group ...".

    ## Example
    ```
    distill_group { start_layer_name: "layer2.conv" end_layer_name: "layer1.conv" }  # reversed
    ```

    ## Use instead
    ```
    distill_group { start_layer_name: "layer1.conv" end_layer_name: "layer2.conv" }
    ```
    """
    model = _model(ctx)
    if model is None:
        return
    spec = REGISTRY["MOD007"]
    order = "" if model.graph_exact else " (module order from registration: the model could not be traced)"
    seen: list[tuple[int, set[str], int, int]] = []
    for i, e in enumerate(ctx.root.all("distill_group")):
        if not isinstance(e.value, BoundMessage):
            continue
        s, t = e.value.last("start_layer_name"), e.value.last("end_layer_name")
        if s is None or t is None or s.value not in model.layers or t.value not in model.layers:
            continue
        start, end = s.start, t.end
        if s.value == t.value:
            members = {s.value}
        else:
            paths = model.paths(s.value, t.value)
            if paths == 0:
                reverse = " (they are in reverse order)" if model.paths(t.value, s.value) else ""
                yield spec.diagnostic(f"distill_group[{i}]: no path leads from '{s.value}' to '{t.value}' "
                                      f"in the model{reverse}{order}", start, end)
                continue
            if paths > 1:
                yield spec.diagnostic(f"distill_group[{i}]: more than one path leads from '{s.value}' to "
                                      f"'{t.value}' (a branch); a group must be a single chain{order}",
                                      start, end)
                continue
            members = set(model.between(s.value, t.value))
        bad = [f"{n} ({model.layers[n].type})" for n in model.between(s.value, t.value) or [s.value]
               if n in members and model.layers[n].type not in _m.TORCH_GROUP_MODULES]
        if bad:
            yield spec.diagnostic(f"distill_group[{i}]: module(s) of a type distillation does not support: "
                                  f"{', '.join(bad[:5])}; supported: {_group_types()}",
                                  start, end)
        for j, other, ostart, oend in seen:
            common = members & other
            if common:
                shared = sorted(common, key=lambda n: model.layers[n].order)
                yield spec.diagnostic(f"distill_group[{i}] and distill_group[{j}] share module(s) "
                                      f"{', '.join(shared[:3])}; groups must not intersect", start, end,
                                      related=(Related(ostart, oend, f"distill_group[{j}]"),))
        seen.append((i, members, start, end))


@rule("MOD013", "duplicate-node-name", W, dialects=CALIBRATION, needs_model=True)
def duplicate_node_name(ctx: RuleContext) -> Iterator[Diagnostic]:
    """
    A layer name that more than one node of the ONNX model has.

    ## What it does
    Reports each place the file names a layer (`skip_layers`, `skip_fusion_layers`,
    `override_layer_configs`, `tensor_quantize`) whose name the model gives to several nodes.
    The model index keeps the first node of each name, so the checks and `amct-lang resolve`
    describe that one; `amct-lang resolve` also prints a note listing every repeated name.

    ## Why is this bad?
    AMCT addresses layers by node name: a setting for a repeated name either reaches a node the
    author did not mean, or AMCT stops on the ambiguous graph. Node names should be unique in a
    valid ONNX graph; exporters and hand edits sometimes repeat them.

    ## Example
    ```
    skip_layers: "conv"      # the model has two nodes named "conv"
    ```

    ## Use instead
    Rename the nodes in the model (e.g. with onnx: `node.name = ...`, `onnx.save`) and name the
    one meant here.
    """
    model = _model(ctx)
    if model is None or not model.duplicates:
        return
    spec = REGISTRY["MOD013"]
    for where, entry in _named(ctx):
        extra = model.duplicates.get(entry.value)
        if extra:
            yield spec.diagnostic(f"{where}: {extra + 1} nodes of {_where(model)} are named '{entry.value}'; "
                                  "the setting cannot tell them apart: give the nodes unique names in the "
                                  "model", entry.start, entry.end)
