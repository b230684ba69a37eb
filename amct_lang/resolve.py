"""The effective config of every layer, and where each value comes from (language.md §5).

This is the one place that knows AMCT's priority rules; the model rules, `amct-lang resolve`, hover
and the executors all read its result. Pure: no I/O, never raises on a bound document.

Calibration (AMCT's documented priority, as its open code applies it):
1. quantizable layers = the model's layers of quantizable types, minus skip_layer_types, minus
   skip_layers;
2. each takes ONE block: its override_layer_configs entry, else its type's override_layer_types
   entry, else common_config. Whole-block replacement: a field the block leaves unset gets the
   built-in default, not common_config's value;
3. except the activation `asymmetric`: unset in the block, it is common_config's (when common_config
   uses the same activation algorithm and sets it), else the global activation_offset;
4. no weight algorithm means ARQ; channel_wise defaults to true where the type has per-channel
   weights (Conv-like), false elsewhere;
5. tensor_quantize entries quantize a node's input tensor; IFMR defaults fill what they leave unset.
Distillation: quant_skip_layers / quant_skip_layer_types > distill_override_layers >
distill_override_layer_types > the global distill_*_quant_config; again whole-block replacement.

A singular block given twice (`common_config {...}` twice) is read as protobuf merges it: field by
field, a later oneof member clearing an earlier one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from .document import BoundMessage, Entry
from .model.types import TORCH_NONNEGATIVE, onnx_types_of, type_match
from .schema import is_repeated

if TYPE_CHECKING:
    from .model.index import Layer, ModelIndex

FD = FieldDescriptor

# Where a value comes from: Source.kind
LAYER = "override_layer_configs"
TYPE = "override_layer_types"
COMMON = "common_config"
OFFSET = "activation_offset"
DEFAULT = "default"
TENSOR = "tensor_quantize"
SKIP_LAYERS = "skip_layers"
SKIP_TYPES = "skip_layer_types"
D_LAYER = "distill_override_layers"
D_TYPE = "distill_override_layer_types"
D_DATA = "distill_data_quant_config"
D_WEIGHT = "distill_weight_quant_config"
D_SKIP_LAYERS = "quant_skip_layers"
D_SKIP_TYPES = "quant_skip_layer_types"
SETTING = "setting"  # a top-level field
GLOBAL = "global"  # distillation: the global distill_*_quant_config pair

# LayerConfig.status
QUANTIZED = "quantized"
SKIPPED = "skipped"
UNSUPPORTED = "not quantizable"  # a quantizable type that fails a constraint (executor.md §2)
TENSOR_ONLY = "input tensors"  # MaxPool/Add named by tensor_quantize

CALIBRATION_DIALECTS = ("calibration", "calibration-onnx")


@dataclass(frozen=True)
class Source:
    """Where a value or block comes from. start/end: its range in the text (None for a default)."""

    kind: str
    index: int | None = None
    start: int | None = None
    end: int | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}[{self.index}]" if self.index is not None else self.kind


@dataclass(frozen=True)
class Value:
    value: Any
    source: Source


@dataclass
class Part:
    """The weight or activation side of a layer's config: the algorithm and every field of it."""

    algorithm: Value
    fields: dict[str, Value] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        v = self.fields.get(name)
        return default if v is None else v.value


@dataclass
class TensorConfig:
    """One tensor_quantize entry: the input `input_index` of node `layer`."""

    layer: str
    input_index: int
    source: Source
    activation: Part
    layer_type: str | None  # None: no such node in the model


@dataclass
class LayerConfig:
    layer: str
    type: str
    status: str
    reason: Source | None = None  # skipped: the skip entry; not quantizable: detail says why
    block: Source | None = None  # the block that configures it
    weights: Part | None = None
    activation: Part | None = None  # None: activations stay float (weight-only, or not quantized)
    options: dict[str, Value] = field(default_factory=dict)
    inputs: list[TensorConfig] = field(default_factory=list)  # tensor_quantize on its inputs


@dataclass
class EffectiveConfig:
    dialect: str
    layers: list[LayerConfig]
    tensors: list[TensorConfig]
    settings: dict[str, Value]
    notes: list[str] = field(default_factory=list)

    def layer(self, name: str) -> LayerConfig | None:
        for lc in self.layers:
            if lc.layer == name:
                return lc
        return None

    def quantized(self) -> list[LayerConfig]:
        return [lc for lc in self.layers if lc.status == QUANTIZED]


# -- reading blocks as protobuf builds them --------------------------------------------------------
class View:
    """A singular message as text_format.Merge builds it from one or more blocks of the file."""

    def __init__(self, parts: list[BoundMessage], anchor: Entry | None = None) -> None:
        self.parts = parts
        self.anchor = anchor  # the entry that opened it (its range links to the block)
        kept: list[Entry] = []
        for e in (e for p in parts for e in p.entries):
            oneof = e.field.containing_oneof
            if oneof is not None:  # setting a member clears the others
                kept = [k for k in kept if k.field.name == e.field.name or k.field.containing_oneof is None
                        or k.field.containing_oneof.name != oneof.name]
            kept.append(e)
        self.entries = kept

    @property
    def descriptor(self) -> Descriptor:
        return self.parts[0].descriptor

    @property
    def start(self) -> int | None:
        return self.anchor.start if self.anchor is not None else None

    @property
    def end(self) -> int | None:
        return self.anchor.end if self.anchor is not None else None

    def last(self, name: str) -> Entry | None:
        for e in reversed(self.entries):
            if e.field.name == name:
                return e
        return None

    def sub(self, name: str) -> View | None:
        found = [e for e in self.entries if e.field.name == name and isinstance(e.value, BoundMessage)]
        if not found:
            return None
        return View([e.value for e in found], found[0])

    def which(self, oneof: str) -> str | None:
        for e in reversed(self.entries):
            if e.field.containing_oneof is not None and e.field.containing_oneof.name == oneof:
                return e.field.name
        return None


def _view(entries: list[Entry]) -> View | None:
    messages = [e for e in entries if isinstance(e.value, BoundMessage)]
    return View([e.value for e in messages], messages[0]) if messages else None


def _display(fd: FieldDescriptor, value: Any) -> Any:
    """The value as AMCT sees it: enums by name, floats as the float32 protobuf stores."""
    if fd.type == FD.TYPE_ENUM and isinstance(value, int):
        ev = fd.enum_type.values_by_number.get(value)
        return ev.name if ev is not None else value
    if fd.type == FD.TYPE_FLOAT and isinstance(value, float):
        return _float32(value)
    return value


def _float32(x: float) -> float:
    """x rounded to float32, written with the fewest digits that give that float32 back."""
    if x != x or x in (float("inf"), float("-inf")):
        return x
    try:
        packed = struct.pack("<f", x)
    except OverflowError:
        return x
    for digits in range(1, 10):
        short = float(f"{x:.{digits}g}")
        if struct.pack("<f", short) == packed:
            return short
    return struct.unpack("<f", packed)[0]


# -- which block applies: the model-free part ------------------------------------------------------
@dataclass
class Choice:
    """The outcome of the priority rules for one (layer name, layer type)."""

    skipped: Source | None  # the skip entry that removes it, if any
    block: Source | None  # the block that configures it (None: skipped)
    config: View | None  # calibration: the CalibrationConfig; distill: the override entry
    data: View | None = None  # distill: the DistillDataQuantConfig in force
    weight: View | None = None  # distill: the DistillWeightQuantConfig in force
    data_source: Source | None = None
    weight_source: Source | None = None


class _Blocks:
    """The skip lists and override entries of one document, indexed once."""

    def __init__(self, root: BoundMessage, dialect: str) -> None:
        self.root = root
        self.distill = dialect == "distill"
        names = (D_SKIP_LAYERS, D_SKIP_TYPES, D_LAYER, D_TYPE) if self.distill else (
            SKIP_LAYERS, SKIP_TYPES, LAYER, TYPE)
        self.skip_kinds = names[:2]
        self.override_kinds = names[2:]
        has = root.descriptor.fields_by_name
        self.skip_layers = _first_index(root.all(names[0])) if names[0] in has else {}
        self.skip_types = list(enumerate(root.all(names[1]))) if names[1] in has else []
        self.layer_overrides = _last_index(root.all(names[2]), "layer_name") if names[2] in has else {}
        self.type_overrides = list(enumerate(root.all(names[3]))) if names[3] in has else []
        if self.distill:
            self.common = None
            self.global_data = _view(root.all(D_DATA))
            self.global_weight = _view(root.all(D_WEIGHT))
        else:
            self.common = _view(root.all(COMMON)) if COMMON in has else None

    def choose(self, name: str, type_name: str, layer: Layer | None = None) -> Choice:
        skipped = self.skip(name, type_name, layer)
        if skipped is not None:
            return Choice(skipped, None, None)
        layer_kind, type_kind = self.override_kinds
        hit = self.layer_overrides.get(name)
        if hit is not None:
            i, entry = hit
            return self._chosen(Source(layer_kind, i, entry.start, entry.end), View([entry.value], entry))
        best: tuple[int, int, Entry] | None = None
        for i, entry in self.type_overrides:
            t = _string(entry.value, "layer_type")
            score = _match(t, type_name, layer) if t is not None else 0
            if score and (best is None or score >= best[0]):
                best = (score, i, entry)
        if best is not None:
            _, i, entry = best
            return self._chosen(Source(type_kind, i, entry.start, entry.end,
                                       _string(entry.value, "layer_type") or ""), View([entry.value], entry))
        if self.distill:
            return self._chosen(Source(GLOBAL, detail=f"{D_DATA}, {D_WEIGHT}"), None)
        if self.common is not None:
            return Choice(None, Source(COMMON, None, self.common.start, self.common.end), self.common)
        return Choice(None, Source(DEFAULT, detail="no common_config"), None)

    def _chosen(self, source: Source, view: View | None) -> Choice:
        if not self.distill:  # the override entry holds its block in calibration_config
            return Choice(None, source, view.sub("calibration_config") if view is not None else None)
        if view is None:  # the global blocks, each on its own
            data, weight = self.global_data, self.global_weight
            return Choice(None, source, None, data, weight,
                          Source(D_DATA, None, data.start, data.end) if data else Source(DEFAULT),
                          Source(D_WEIGHT, None, weight.start, weight.end) if weight else Source(DEFAULT))
        data, weight = view.sub(D_DATA), view.sub(D_WEIGHT)
        return Choice(None, source, view, data, weight,
                      Source(source.kind, source.index, data.start, data.end) if data else
                      Source(DEFAULT, detail=f"not set in {source.label}"),
                      Source(source.kind, source.index, weight.start, weight.end) if weight else
                      Source(DEFAULT, detail=f"not set in {source.label}"))

    def skip(self, name: str, type_name: str, layer: Layer | None = None) -> Source | None:
        hit = self.skip_layers.get(name)
        if hit is not None:
            i, entry = hit
            return Source(self.skip_kinds[0], i, entry.start, entry.end)
        for i, entry in self.skip_types:
            if isinstance(entry.value, str) and _match(entry.value, type_name, layer):
                return Source(self.skip_kinds[1], i, entry.start, entry.end, entry.value)
        return None


def _match(config_type: str, type_name: str, layer: Layer | None) -> int:
    if layer is not None:
        return type_match(config_type, layer)
    if config_type == type_name:
        return 2
    # without a model, two names match when they stand for a common ONNX type (Conv2D ~ Conv)
    return 1 if set(onnx_types_of(config_type)) & set(onnx_types_of(type_name)) else 0


def _string(msg: Any, name: str) -> str | None:
    if not isinstance(msg, BoundMessage):
        return None
    value = msg.get(name)
    return value if isinstance(value, str) and msg.has(name) else None


def _first_index(entries: list[Entry]) -> dict[str, tuple[int, Entry]]:
    out: dict[str, tuple[int, Entry]] = {}
    for i, e in enumerate(entries):
        if isinstance(e.value, str):
            out.setdefault(e.value, (i, e))
    return out


def _last_index(entries: list[Entry], key: str) -> dict[str, tuple[int, Entry]]:
    out: dict[str, tuple[int, Entry]] = {}
    for i, e in enumerate(entries):
        name = _string(e.value, key)
        if name is not None:
            out[name] = (i, e)  # AMCT rejects duplicates (CAL011); the last would win its dict
    return out


def block_for(root: BoundMessage, dialect: str, layer_name: str, layer_type: str) -> Choice:
    """Which skip entry or config block applies to a layer, without a model (types match by name
    and by the alias table, e.g. Conv2D for Conv)."""
    return _Blocks(root, dialect).choose(layer_name, layer_type)


# -- effective values --------------------------------------------------------------------------------
def _part(algo: str, algo_source: Source, descriptor: Descriptor, view: View | None, source: Source,
          special: dict[str, Value] | None = None) -> Part:
    """Every field of the algorithm message: the block's value, else `special`, else the default."""
    special = special or {}
    values: dict[str, Value] = {}
    for fd in descriptor.fields:
        if fd.type == FD.TYPE_MESSAGE:  # e.g. clip_max_min: flatten one level
            sub = view.sub(fd.name) if view is not None else None
            for inner in fd.message_type.fields:
                values[inner.name] = _field_value(inner, sub, source, special)
            continue
        values[fd.name] = _field_value(fd, view, source, special)
    return Part(Value(algo, algo_source), values)


def _at(block: Source, entry: Entry | None) -> Source:
    """The block's source, narrowed to the range of one entry of it."""
    if entry is None:
        return Source(block.kind, block.index)
    return Source(block.kind, block.index, entry.start, entry.end)


def _channel_default(layer: Layer) -> Value:
    has = "has" if layer.per_channel else "has no"
    return Value(layer.per_channel, Source(DEFAULT, detail=f"{layer.type} {has} per-channel weights"))


def _field_value(fd: FieldDescriptor, view: View | None, source: Source, special: dict[str, Value]) -> Value:
    entry = view.last(fd.name) if view is not None else None
    if entry is not None:
        return Value(_display(fd, entry.value), Source(source.kind, source.index, entry.start, entry.end))
    if fd.name in special:
        return special[fd.name]
    if fd.has_default_value:
        return Value(_display(fd, fd.default_value), Source(DEFAULT))
    return Value(None, Source(DEFAULT, detail="unset"))


def _setting(root: BoundMessage, name: str) -> Value:
    entry = root.last(name)
    fd = root.descriptor.fields_by_name[name]
    if entry is not None:
        return Value(_display(fd, entry.value), Source(SETTING, None, entry.start, entry.end, name))
    if not fd.has_default_value:
        return Value(None, Source(DEFAULT, detail=f"{name} unset"))
    return Value(_display(fd, fd.default_value), Source(DEFAULT, detail=name))


def _settings(root: BoundMessage) -> dict[str, Value]:
    """The top-level scalar settings (activation_offset, do_fusion, batch_num, ...)."""
    return {fd.name: _setting(root, fd.name) for fd in root.descriptor.fields
            if fd.type != FD.TYPE_MESSAGE and not is_repeated(fd)}


def resolve(root: BoundMessage, dialect: str, model: ModelIndex) -> EffectiveConfig:
    """The effective config of every layer of `model` under the document `root`."""
    if dialect == "distill":
        return _resolve_distill(root, model)
    if dialect in CALIBRATION_DIALECTS:
        return _resolve_calibration(root, dialect, model)
    return EffectiveConfig(dialect, [], [], {}, [f"the {dialect} dialect has no per-layer config to resolve"])


def _resolve_calibration(root: BoundMessage, dialect: str, model: ModelIndex) -> EffectiveConfig:
    blocks = _Blocks(root, dialect)
    settings = _settings(root)
    cc = root.descriptor.fields_by_name[COMMON].message_type
    offset = settings.get(OFFSET) or Value(True, Source(DEFAULT))
    offset = Value(offset.value, Source(OFFSET, None, offset.source.start, offset.source.end,
                                        "" if offset.source.kind == SETTING else "default true"))
    common_act = _common_activation(blocks.common)
    fusion = _fusion(root)
    auto_nuq = settings.get("enable_auto_nuq")
    layers: list[LayerConfig] = []
    for layer in model:
        if layer.unsupported:
            layers.append(LayerConfig(layer.name, layer.type, UNSUPPORTED,
                                      Source(DEFAULT, detail=layer.unsupported)))
            continue
        if not layer.quantizable:
            continue
        choice = blocks.choose(layer.name, layer.type, layer)
        if choice.skipped is not None:
            lc = LayerConfig(layer.name, layer.type, SKIPPED, choice.skipped)
        else:
            assert choice.block is not None
            lc = _calibration_layer(layer, choice.block, choice.config, cc, common_act, offset)
            if auto_nuq is not None and auto_nuq.value and choice.block.kind != LAYER and \
                    lc.weights is not None and lc.activation is not None:
                lc.options["auto_nuq_candidate"] = Value(True, auto_nuq.source)
        if layer.fusable:
            lc.options["bn_fusion"] = fusion(layer.name)
        layers.append(lc)
    tensors = _tensors(root, model, offset)
    by_name = {lc.layer: lc for lc in layers}
    for tc in tensors:
        if tc.layer_type is None:
            continue
        lc = by_name.get(tc.layer)
        if lc is None:
            lc = by_name[tc.layer] = LayerConfig(tc.layer, tc.layer_type, TENSOR_ONLY)
            layers.append(lc)
        lc.inputs.append(tc)
    order = {layer.name: layer.order for layer in model}
    layers.sort(key=lambda lc: order.get(lc.layer, 0))
    return EffectiveConfig(dialect, layers, tensors, settings, _notes(model))


def _notes(model: ModelIndex) -> list[str]:
    notes = list(model.notes)
    unnamed = model.unnamed_quantizable()
    if unnamed:
        notes.append(f"{unnamed} node(s) of quantizable types have no name, so no config can address them "
                     "and AMCT leaves them float: give them names in the model")
    return notes


def _common_activation(common: View | None) -> tuple[str | None, Value | None]:
    """common_config's activation algorithm and its `asymmetric`, for the exception of §5.3."""
    if common is None:
        return None, None
    algo = common.which("act_algo")
    if algo is None:
        return None, None
    sub = common.sub(algo)
    entry = sub.last("asymmetric") if sub is not None else None
    if entry is None:
        return algo, None
    return algo, Value(entry.value, Source(COMMON, None, entry.start, entry.end))


def _calibration_layer(layer: Layer, block: Source, config: View | None, cc: Descriptor,
                       common_act: tuple[str | None, Value | None], offset: Value) -> LayerConfig:
    lc = LayerConfig(layer.name, layer.type, QUANTIZED, None, block)
    fields = cc.fields_by_name
    wts_algo = config.which("wts_algo") if config is not None else None
    if wts_algo is None:
        wts_algo, wts_source = "arq_quantize", Source(DEFAULT, detail="no weight algorithm in the block")
    else:
        wts_source = _at(block, config.last(wts_algo) if config is not None else None)
    wts_view = config.sub(wts_algo) if config is not None else None
    channel = _channel_default(layer)
    if layer.kind == "weights+activation":
        lc.weights = _part(wts_algo, wts_source, fields[wts_algo].message_type, wts_view, block,
                           {"channel_wise": channel})
    weight_only = False
    if "weight_compress_only" in fields:
        entry = config.last("weight_compress_only") if config is not None else None
        weight_only = bool(entry.value) if entry is not None else False
        lc.options["weight_compress_only"] = (
            Value(weight_only, Source(block.kind, block.index, entry.start, entry.end)) if entry is not None
            else Value(False, Source(DEFAULT)))
    if not weight_only:
        act_algo = config.which("act_algo") if config is not None else None
        if act_algo is None:
            act_algo, act_source = "ifmr_quantize", Source(DEFAULT, detail="no activation algorithm given")
        else:
            act_source = _at(block, config.last(act_algo) if config is not None else None)
        act_view = config.sub(act_algo) if config is not None else None
        common_algo, common_asym = common_act
        asym = common_asym if common_algo == act_algo and common_asym is not None else offset
        lc.activation = _part(act_algo, act_source, fields[act_algo].message_type, act_view, block,
                              {"asymmetric": asym})
    # the other options of the block: scalars and other oneofs (e.g. dmq_balancer)
    for oneof in cc.oneofs:
        if oneof.name in ("wts_algo", "act_algo"):
            continue
        member = config.which(oneof.name) if config is not None else None
        if member is not None and config is not None:
            src = _at(block, config.last(member))
            part = _part(member, src, fields[member].message_type, config.sub(member), block)
            lc.options[oneof.name] = part.algorithm
            for k, v in part.fields.items():
                lc.options[f"{member}.{k}"] = v
    return lc


def _fusion(root: BoundMessage):  # type: ignore[no-untyped-def]
    """layer name -> whether BatchNormalization folds into it, and why."""
    if "do_fusion" not in root.descriptor.fields_by_name:
        return lambda name: Value(True, Source(DEFAULT))
    do = _setting(root, "do_fusion")
    skipped = _first_index(root.all("skip_fusion_layers"))

    def fusion(name: str) -> Value:
        if not do.value:
            return Value(False, do.source)
        hit = skipped.get(name)
        if hit is not None:
            return Value(False, Source("skip_fusion_layers", hit[0], hit[1].start, hit[1].end))
        return do

    return fusion


def _tensors(root: BoundMessage, model: ModelIndex, offset: Value) -> list[TensorConfig]:
    if TENSOR not in root.descriptor.fields_by_name:
        return []
    out: list[TensorConfig] = []
    for i, entry in enumerate(root.all(TENSOR)):
        msg = entry.value
        if not isinstance(msg, BoundMessage):
            continue
        view = View([msg], entry)
        name = _string(msg, "layer_name")
        index = msg.get("input_index")
        if name is None:
            continue
        source = Source(TENSOR, i, entry.start, entry.end)
        algo = view.which("act_algo") or "ifmr_quantize"
        algo_entry = view.last(algo)
        algo_source = (Source(TENSOR, i, algo_entry.start, algo_entry.end) if algo_entry is not None
                       else Source(DEFAULT, detail="IFMR when no algorithm is given"))
        fd = msg.descriptor.fields_by_name[algo]
        part = _part(algo, algo_source, fd.message_type, view.sub(algo), source, {"asymmetric": offset})
        layer = model.get(name)
        out.append(TensorConfig(name, int(index), source, part, layer.type if layer is not None else None))
    return out


# -- distillation ------------------------------------------------------------------------------------
def _resolve_distill(root: BoundMessage, model: ModelIndex) -> EffectiveConfig:
    blocks = _Blocks(root, "distill")
    settings = _settings(root)
    data_desc = root.descriptor.fields_by_name[D_DATA].message_type
    weight_desc = root.descriptor.fields_by_name[D_WEIGHT].message_type
    layers: list[LayerConfig] = []
    for layer in model:
        if not layer.quantizable:
            continue
        choice = blocks.choose(layer.name, layer.type, layer)
        if choice.skipped is not None:
            layers.append(LayerConfig(layer.name, layer.type, SKIPPED, choice.skipped))
            continue
        assert choice.block is not None and choice.data_source and choice.weight_source
        lc = LayerConfig(layer.name, layer.type, QUANTIZED, None, choice.block)
        lc.activation = _distill_part(choice.data, choice.data_source, data_desc, "data_quant_algo",
                                      "ulq_quantize", {"fixed_min": _fixed_min(layer, model)})
        lc.weights = _distill_part(choice.weight, choice.weight_source, weight_desc, "weights_quant_algo",
                                   "arq_distill", {"channel_wise": _channel_default(layer)})
        layers.append(lc)
    return EffectiveConfig("distill", layers, [], settings, _notes(model))


def _distill_part(view: View | None, source: Source, desc: Descriptor, oneof: str, default_algo: str,
                  special: dict[str, Value]) -> Part:
    algo = view.which(oneof) if view is not None else None
    if algo is None:
        algo_source = Source(DEFAULT, detail=f"{default_algo} when no algorithm is given")
        algo = default_algo
    else:
        algo_source = _at(source, view.last(algo) if view is not None else None)
    sub = view.sub(algo) if view is not None else None
    part = _part(algo, algo_source, desc.fields_by_name[algo].message_type, sub, source, special)
    if "clip_max" in part.fields and part.fields["clip_max"].value is None:
        for name in ("clip_max", "clip_min"):
            part.fields[name] = Value(None, Source(DEFAULT, detail="initialised by IFMR"))
    return part


def _fixed_min(layer: Layer, model: ModelIndex) -> Value:
    before = [model.layers[p].type for p in model.predecessors.get(layer.name, ()) if p in model.layers]
    after_relu = bool(before) and all(t in TORCH_NONNEGATIVE for t in before)
    how = "" if model.graph_exact else " (registration order)"
    return Value(after_relu, Source(DEFAULT, detail=(f"input comes after {before[0]}{how}" if after_relu
                                                     else f"input does not come after a ReLU{how}")))
