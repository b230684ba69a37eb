"""AMCT's priority rules, applied once: which block configures a layer, and every value it gets.

Calibration (AMCT's documented priority, as its open code applies it):
1. quantizable layers = the model's layers of quantizable types, minus skip_layer_types, minus
   skip_layers;
2. each takes ONE block: its override_layer_configs entry, else its type's override_layer_types
   entry (its own type beats an alias of it), else common_config. Whole-block replacement: a field
   the block leaves unset gets the built-in default, not common_config's value;
3. except the activation `asymmetric`: unset in the block, it is common_config's (when
   common_config uses the same activation algorithm and sets it), else the global
   activation_offset;
4. no weight algorithm means ARQ, no activation algorithm IFMR; channel_wise defaults to true where
   the layer has per-channel weights (Conv-like), false elsewhere;
5. tensor_quantize entries quantize a node's input tensor; IFMR defaults fill what they leave unset.
Distillation: quant_skip_layers / quant_skip_layer_types > distill_override_layers >
distill_override_layer_types > the global distill_*_quant_config; again whole-block replacement,
each of the data and weight configs on its own.

Pure: no I/O, never raises on a bound document (values of the wrong type have already been
dropped by binding and reported).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..document import BoundMessage, Entry
from ..schema import is_repeated
from ..schema.dialects import CALIBRATION_DIALECTS
from ..vocab import TORCH_NONNEGATIVE, WEIGHTS_AND_ACTIVATION, covers, names_match, type_facts, type_match
from .blocks import View, view_of
from .types import (
    ENUMS,
    MESSAGES,
    NUQ,
    Algorithm,
    CalibrationSettings,
    Configured,
    DistillGroup,
    DistillSettings,
    EffectiveConfig,
    LayerConfig,
    LayerStatus,
    NuqConfig,
    Source,
    SourceKind,
    TensorConfig,
    Value,
    float32,
)

if TYPE_CHECKING:
    from ..model.index import Layer, ModelIndex

K = SourceKind
_FLOAT = 2  # FieldDescriptor.TYPE_FLOAT
_ENUM = 14  # FieldDescriptor.TYPE_ENUM
_MESSAGE = 11  # FieldDescriptor.TYPE_MESSAGE


# -- what a layer is, as far as resolution needs it --------------------------------------------------
class Facts:
    """The facts about a layer that decide defaults: from the model, or from the type's name alone."""

    __slots__ = ("name", "type", "per_channel", "has_weights", "layer", "fixed_min")

    def __init__(self, name: str, type_name: str, per_channel: bool | None, has_weights: bool,
                 layer: Layer | None = None, fixed_min: Value[bool] | None = None) -> None:
        self.name = name
        self.type = type_name
        self.per_channel = per_channel  # None: not known (no model, a type the vocabulary lacks)
        self.has_weights = has_weights
        self.layer = layer
        self.fixed_min = fixed_min

    @classmethod
    def of_layer(cls, layer: Layer, model: ModelIndex | None = None) -> Facts:
        fixed = _fixed_min(layer, model) if model is not None and layer.framework == "torch" else None
        return cls(layer.name, layer.type, layer.per_channel, layer.kind == WEIGHTS_AND_ACTIVATION, layer,
                   fixed)

    @classmethod
    def of_type(cls, name: str, type_name: str | None) -> Facts:
        """A layer known only by a name and perhaps a type (no model)."""
        per_channel, has_weights = type_facts(type_name) if type_name else (None, True)
        return cls(name, type_name or "", per_channel, has_weights)

    def channel_default(self) -> Value[bool]:
        if self.per_channel is None:
            return Value(True, Source(K.MODEL, detail="true where the layer has per-channel weights"))
        has = "has" if self.per_channel else "has no"
        return Value(self.per_channel, Source(K.DEFAULT, detail=f"{self.type} {has} per-channel weights"))


# -- typed values ------------------------------------------------------------------------------------
def typed(fd: Any, value: Any) -> Any:
    """A bound value as AMCT receives it: float fields as float32, enums as enum members."""
    t = fd.type
    if t == _FLOAT and isinstance(value, float):
        return float32(value)
    if t == _ENUM and isinstance(value, int):
        enum = ENUMS.get(fd.enum_type.name)
        if enum is not None:
            try:
                return enum(value)
            except ValueError:
                return value
    return value


def _at(block: Source, entry: Entry | None) -> Source:
    """The block's source, narrowed to the range of one entry of it."""
    if entry is None:
        return Source(block.kind, block.index, detail=block.detail)
    return Source(block.kind, block.index, entry.start, entry.end, block.detail)


_NOT_SET = Source(K.DEFAULT, detail="not set")
_UNSET = Source(K.DEFAULT, detail="unset")
Plan = list[tuple[str, Any, "type[Configured] | None"]]
_PLANS: dict[tuple[type, int], tuple[Plan, frozenset[str] | None]] = {}


def _plan(cls: type[Configured], descriptor: Any) -> tuple[Plan, frozenset[str] | None]:
    """(name, field descriptor, typed class of a nested message) of the fields `cls` holds, and
    the names the dialect's message has when it lacks some of the class's (None: all)."""
    key = (cls, id(descriptor))
    found = _PLANS.get(key)
    if found is None:
        plan = [(fd.name, fd, MESSAGES[fd.message_type.name] if fd.type == _MESSAGE else None)
                for fd in descriptor.fields if fd.name in cls.FIELDS]
        names = frozenset(name for name, _, _ in plan)
        found = _PLANS[key] = (plan, None if names == set(cls.FIELDS) else names)
    return found


def build(cls: type[Configured], descriptor: Any, view: View | None, block: Source,
          special: dict[str, Value[Any]] | None = None) -> Any:
    """An instance of `cls` for the message `view` holds: each field the block's value, else
    `special` (a default that depends on the layer), else the schema default (the class's, with
    the default source left implicit). Nested messages are built the same way (bounded by the
    schema's nesting, not the input's)."""
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    given = view.fields if view is not None else {}
    plan, present = _plan(cls, descriptor)
    for name, fd, inner in plan:
        entry = given.get(name)
        if inner is not None:  # a nested message
            sub = view.sub(name) if view is not None and entry is not None else None
            if sub is not None:
                values[name] = build(inner, fd.message_type, sub, block)
                sources[name] = _at(block, entry)
            elif special and name in special:
                values[name], sources[name] = special[name]
            else:
                values[name], sources[name] = None, _NOT_SET
        elif entry is not None:
            values[name] = typed(fd, entry.value)
            sources[name] = _at(block, entry)
        elif special and name in special:
            values[name], sources[name] = special[name]
        elif name in cls._NEEDED:  # a required field left unset (already an error): protobuf's zero
            values[name], sources[name] = typed(fd, fd.default_value), _UNSET
    return cls(sources=sources, present=present, **values)


def _algorithm(view: View | None, oneof: str, default: str, block: Source) -> tuple[str, Source, View | None]:
    """(member, where the choice comes from, its block) of an algorithm oneof of `view`."""
    member = view.oneof_member(oneof) if view is not None else None
    if member is None:
        return default, Source(K.DEFAULT, detail=f"{default} when no algorithm is given"), None
    assert view is not None
    return member, _at(block, view.fields.get(member)), view.sub(member)


# -- which block applies ---------------------------------------------------------------------------------
class Choice:
    """The outcome of the priority rules for one layer."""

    __slots__ = ("skipped", "block", "config", "data", "weight", "data_source", "weight_source")

    def __init__(self, skipped: Source | None, block: Source | None, config: View | None = None,
                 data: View | None = None, weight: View | None = None, data_source: Source | None = None,
                 weight_source: Source | None = None) -> None:
        self.skipped = skipped  # the skip entry that removes it, if any
        self.block = block  # the block that configures it (None: skipped)
        self.config = config  # calibration: the CalibrationConfig; distill: the override entry
        self.data = data  # distill: the DistillDataQuantConfig in force
        self.weight = weight  # distill: the DistillWeightQuantConfig in force
        self.data_source = data_source
        self.weight_source = weight_source


def _string(msg: Any, name: str) -> Entry | None:
    if type(msg) is not BoundMessage:
        return None
    entry = msg.last(name)
    return entry if entry is not None and isinstance(entry.value, str) else None


def match(config_type: str, type_name: str, layer: Layer | None) -> int:
    """How well a config's layer type names a layer: 2 its own type, 1 an alias of it, 0 not."""
    if layer is not None:
        return type_match(config_type, layer)
    return names_match(config_type, type_name)


D_DATA, D_WEIGHT = "distill_data_quant_config", "distill_weight_quant_config"


class Blocks:
    """The skip lists and override entries of one document, indexed once (the model-free part)."""

    def __init__(self, root: BoundMessage, dialect: str) -> None:
        self.root = root
        self.dialect = dialect
        self.distill = distill = dialect == "distill"
        self.kinds = (K.QUANT_SKIP_LAYERS, K.QUANT_SKIP_TYPES, K.DISTILL_LAYER_OVERRIDE,
                      K.DISTILL_TYPE_OVERRIDE) if distill else (
            K.SKIP_LAYERS, K.SKIP_TYPES, K.LAYER_OVERRIDE, K.TYPE_OVERRIDE)
        top: dict[str, list[Entry]] = {}  # one pass over the document's top-level entries
        for e in root.entries:
            top.setdefault(e.field.name, []).append(e)
        self.skip_layers: dict[str, tuple[int, Entry]] = {}
        for i, e in enumerate(top.get(self.kinds[0].value, ())):
            if isinstance(e.value, str):
                self.skip_layers.setdefault(e.value, (i, e))
        self.skip_types = list(enumerate(top.get(self.kinds[1].value, ())))
        # (index, entry, key entry) of each override entry that names its layer / type
        self.layer_keys = _keyed(top.get(self.kinds[2].value, []), "layer_name")
        self.type_keys = _keyed(top.get(self.kinds[3].value, []), "layer_type")
        # layer name -> (index, entry); AMCT rejects duplicates (CAL011), the last would win its dict
        self.layer_overrides = {k.value: (i, e) for i, e, k in self.layer_keys}
        self.common = None if distill else view_of(top.get("common_config", []))
        self.global_data = view_of(top.get(D_DATA, [])) if distill else None
        self.global_weight = view_of(top.get(D_WEIGHT, [])) if distill else None

    def skip(self, name: str | None, type_name: str | None, layer: Layer | None = None) -> Source | None:
        """The skip entry that removes a layer of this name / type, if any (skips beat overrides)."""
        if name is not None:
            hit = self.skip_layers.get(name)
            if hit is not None:
                i, entry = hit
                return Source(self.kinds[0], i, entry.start, entry.end, name)
        if type_name is not None:
            for i, entry in self.skip_types:
                if isinstance(entry.value, str) and match(entry.value, type_name, layer):
                    return Source(self.kinds[1], i, entry.start, entry.end, entry.value)
        return None

    def skips_type(self, type_name: str) -> Source | None:
        """The skip-types entry that removes every layer an override for `type_name` configures
        (`Conv` covers `Conv2D`, not the other way round: Conv2D names only the 4-D convolutions)."""
        for i, entry in self.skip_types:
            if isinstance(entry.value, str) and covers(entry.value, type_name):
                return Source(self.kinds[1], i, entry.start, entry.end, entry.value)
        return None

    def repeats(self) -> list[tuple[Source, Source]]:
        """(later entry, first entry) of override entries that repeat another's layer name or type:
        AMCT rejects them (CAL011, DST005)."""
        out: list[tuple[Source, Source]] = []
        for kind, keyed in ((self.kinds[2], self.layer_keys), (self.kinds[3], self.type_keys)):
            seen: dict[str, tuple[int, Entry]] = {}
            for i, _, k in keyed:
                first = seen.setdefault(k.value, (i, k))
                if first[1] is not k:  # Sources only for the few repeats
                    j, f = first
                    out.append((Source(kind, i, k.start, k.end, k.value),
                                Source(kind, j, f.start, f.end, f.value)))
        return out

    def choose(self, name: str | None, type_name: str | None, layer: Layer | None = None) -> Choice:
        skipped = self.skip(name, type_name, layer)
        if skipped is not None:
            return Choice(skipped, None)
        hit = self.layer_overrides.get(name) if name is not None else None
        if hit is not None:
            i, entry = hit
            return self.chosen(Source(self.kinds[2], i, entry.start, entry.end, name or ""), entry)
        best: tuple[int, int, Entry, str] | None = None
        for i, entry, key in self.type_keys if type_name is not None else ():
            score = match(key.value, type_name or "", layer)
            if score and (best is None or score >= best[0]):
                best = (score, i, entry, key.value)
        if best is not None:
            _, i, entry, key_type = best
            return self.chosen(Source(self.kinds[3], i, entry.start, entry.end, key_type), entry)
        return self.chosen(None, None)

    def chosen(self, source: Source | None, entry: Entry | None) -> Choice:
        """The Choice for an override entry (None: the global / common block)."""
        if not self.distill:
            if entry is None:
                common = self.common
                if common is None:
                    return Choice(None, Source(K.DEFAULT, detail="no common_config"), None)
                return Choice(None, Source(K.COMMON, None, common.start, common.end), common)
            assert source is not None
            # the override's calibration_config blocks (not in a oneof: all of them merge)
            configs = [x for x in entry.value.entries if x.field.name == "calibration_config"]
            view = View([x.value for x in configs], anchor=configs[-1]) if configs else None
            return Choice(None, source, view)
        if entry is None or source is None:
            data, weight = self.global_data, self.global_weight
            return Choice(None, Source(K.GLOBAL, detail=f"{D_DATA}, {D_WEIGHT}"), None, data, weight,
                          Source(K.DISTILL_DATA, None, data.start, data.end) if data else Source(K.DEFAULT),
                          Source(K.DISTILL_WEIGHT, None, weight.start, weight.end) if weight else
                          Source(K.DEFAULT))
        view = View([entry.value], anchor=entry)
        data, weight = view.sub(D_DATA), view.sub(D_WEIGHT)
        unset = Source(K.DEFAULT, detail=f"not set in {source.label}")
        return Choice(None, source, view, data, weight,
                      _narrow(source, data) if data else unset, _narrow(source, weight) if weight else unset)

    def entries(self) -> Iterable[tuple[Source, Entry]]:
        """(source, entry) of every override entry that names its layer / type: layers, then types."""
        for kind, keyed in ((self.kinds[2], self.layer_keys), (self.kinds[3], self.type_keys)):
            for i, e, k in keyed:
                yield Source(kind, i, e.start, e.end, k.value), e


def _keyed(entries: list[Entry], key: str) -> list[tuple[int, Entry, Entry]]:
    out = []
    for i, e in enumerate(entries):
        k = _string(e.value, key)
        if k is not None:
            out.append((i, e, k))
    return out


def _narrow(block: Source, view: View) -> Source:
    """The block's source, narrowed to the range of one of its sub-blocks."""
    return Source(block.kind, block.index, view.start, view.end, block.detail)


_BY_IFMR = Value(None, Source(K.DEFAULT, detail="initialised by IFMR"))


# -- calibration --------------------------------------------------------------------------------------
class CalibrationResolver:
    """Builds calibration LayerConfigs; the settings every layer shares are read once."""

    def __init__(self, root: BoundMessage, dialect: str, blocks: Blocks | None = None) -> None:
        self.root = root
        self.dialect = dialect
        self.blocks = blocks or Blocks(root, dialect)
        by_name = root.descriptor.fields_by_name
        self.config_type = by_name["common_config"].message_type
        self._settings: CalibrationSettings | None = None
        given = root.last("activation_offset")
        if given is not None and isinstance(given.value, bool):
            self.offset = Value(given.value, Source(K.ACTIVATION_OFFSET, None, given.start, given.end))
        else:
            self.offset = Value(True, Source(K.ACTIVATION_OFFSET, detail="default true"))
        self.common_act = self._common_activation()

    @property
    def settings(self) -> CalibrationSettings:
        """The top-level settings, read when a model's layers are resolved (not for one block)."""
        if self._settings is None:
            self._settings = calibration_settings(self.root)
        return self._settings

    def _common_activation(self) -> tuple[str | None, Value[bool] | None]:
        """common_config's activation algorithm and its `asymmetric`, for the exception of rule 3."""
        common = self.blocks.common
        algo = common.oneof_member("act_algo") if common is not None else None
        if common is None or algo is None:
            return None, None
        entry = common.get_in(algo, "asymmetric")
        if entry is None:
            return algo, None
        return algo, Value(bool(entry.value), Source(K.COMMON, None, entry.start, entry.end))

    def asymmetric(self, act_algo: str, block: Source) -> Value[bool]:
        common_algo, common_asym = self.common_act
        if common_asym is not None and common_algo == act_algo:
            return common_asym
        return self.offset

    def layer(self, facts: Facts, choice: Choice) -> LayerConfig:
        if choice.skipped is not None:
            return LayerConfig(facts.name, facts.type, LayerStatus.SKIPPED, choice.skipped)
        assert choice.block is not None
        return self.configured(facts, choice.block, choice.config)

    def configured(self, facts: Facts, block: Source, config: View | None) -> LayerConfig:
        """What a layer gets from `config` (a CalibrationConfig block) coming from `block`."""
        lc = LayerConfig(facts.name, facts.type, LayerStatus.QUANTIZED, None, block)
        fields = self.config_type.fields_by_name
        if facts.has_weights:
            algo, src, sub = _algorithm(config, "wts_algo", "arq_quantize", block)
            desc = fields[algo].message_type
            channel = {"channel_wise": facts.channel_default()}
            lc.weights = build(MESSAGES[desc.name], desc, sub, block, channel)
            lc.sources["weights"] = src
        entry = config.fields.get("weight_compress_only") if config is not None else None
        if "weight_compress_only" in fields:
            lc.weight_compress_only = bool(entry.value) if entry is not None else False
            lc.sources["weight_compress_only"] = _at(block, entry) if entry is not None else Source(K.DEFAULT)
        if not lc.weight_compress_only:
            algo, src, sub = _algorithm(config, "act_algo", "ifmr_quantize", block)
            lc.activation = build(MESSAGES[fields[algo].message_type.name], fields[algo].message_type, sub,
                                  block, {"asymmetric": self.asymmetric(algo, block)})
            lc.sources["activation"] = src
        if "dmq_balancer" in fields and config is not None and config.oneof_member("tensor_balancer"):
            sub = config.sub("dmq_balancer")
            lc.dmq_balancer = build(MESSAGES["DMQBalancer"], fields["dmq_balancer"].message_type, sub, block)
            lc.sources["dmq_balancer"] = _at(block, config.fields.get("dmq_balancer"))
        return lc

    def tensors(self, model: ModelIndex | None) -> list[TensorConfig]:
        root = self.root
        if "tensor_quantize" not in root.descriptor.fields_by_name:
            return []
        out: list[TensorConfig] = []
        for i, entry in enumerate(root.all("tensor_quantize")):
            msg = entry.value
            name = _string(msg, "layer_name")
            if name is None:
                continue
            view = View([msg], anchor=entry)
            index = view.value("input_index")
            source = Source(K.TENSOR_QUANTIZE, i, entry.start, entry.end, name.value)
            algo, algo_source, sub = _algorithm(view, "act_algo", "ifmr_quantize", source)
            fd = msg.descriptor.fields_by_name[algo]
            part = build(MESSAGES[fd.message_type.name], fd.message_type, sub, source,
                         {"asymmetric": self.offset})
            layer = model.get(name.value) if model is not None else None
            out.append(TensorConfig(name.value, int(index), source, part, algo_source,
                                    layer.type if layer is not None else None))
        return out

    def fusion(self, name: str) -> tuple[bool, Source]:
        """Whether BatchNormalization folds into layer `name`, and why."""
        s = self.settings
        if not s.do_fusion:
            return False, s.source("do_fusion")
        for i, e in enumerate(self.root.all("skip_fusion_layers")):
            if e.value == name:
                return False, Source(K.SKIP_FUSION, i, e.start, e.end, name)
        return True, s.source("do_fusion")

    def resolve(self, model: ModelIndex) -> EffectiveConfig:
        blocks = self.blocks
        auto_nuq = self.settings.enable_auto_nuq
        layers: dict[str, LayerConfig] = {}
        for layer in model:
            if layer.unsupported:
                lc = LayerConfig(layer.name, layer.type, LayerStatus.UNSUPPORTED,
                                 Source(K.MODEL, detail=str(layer.unsupported)))
                lc.unsupported = getattr(layer.unsupported, "code", None)
                layers[layer.name] = lc
                continue
            if not layer.quantizable:
                continue
            lc = self.layer(Facts.of_layer(layer), blocks.choose(layer.name, layer.type, layer))
            if auto_nuq and lc.block is not None and lc.block.kind is not K.LAYER_OVERRIDE and \
                    lc.weights is not None and lc.activation is not None:
                lc.auto_nuq = True
                lc.sources["auto_nuq"] = self.settings.source("enable_auto_nuq")
            if layer.fusable:
                lc.bn_fusion, lc.sources["bn_fusion"] = self.fusion(layer.name)
            layers[layer.name] = lc
        tensors = self.tensors(model)
        for tc in tensors:
            if tc.layer_type is None:
                continue
            found = layers.get(tc.layer)
            if found is None:
                found = layers[tc.layer] = LayerConfig(tc.layer, tc.layer_type, LayerStatus.TENSOR_ONLY)
            found.inputs.append(tc)
        order = {layer.name: layer.order for layer in model}
        ordered = dict(sorted(layers.items(), key=lambda item: order.get(item[0], 0)))
        return EffectiveConfig(self.dialect, ordered, tensors, self.settings, notes(model))


def _scalar_settings(root: BoundMessage, cls: type[Configured]) -> tuple[dict[str, Any], dict[str, Source]]:
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    by_name = root.descriptor.fields_by_name
    view = View([root])
    for name in cls.FIELDS:
        fd = by_name.get(name)
        if fd is None or fd.type == _MESSAGE or is_repeated(fd):
            continue
        entry = view.fields.get(name)
        if entry is not None:
            values[name] = typed(fd, entry.value)
            sources[name] = Source(K.SETTING, None, entry.start, entry.end, name)
        else:
            values[name] = typed(fd, fd.default_value) if fd.has_default_value else getattr(cls, name)
            sources[name] = Source(K.DEFAULT, detail=name)
    return values, sources


def calibration_settings(root: BoundMessage) -> CalibrationSettings:
    values, sources = _scalar_settings(root, CalibrationSettings)
    by_name = root.descriptor.fields_by_name
    skips = [e for e in root.all("skip_fusion_layers") if isinstance(e.value, str)]
    values["skip_fusion_layers"] = tuple(e.value for e in skips)
    if skips:
        sources["skip_fusion_layers"] = Source(K.SKIP_FUSION, None, skips[0].start, skips[-1].end)
    if "nuq_config" in by_name:
        nuq = view_of(root.all("nuq_config"))
        if nuq is not None:
            src = Source(K.SETTING, None, nuq.start, nuq.end, "nuq_config")
            fd = by_name["nuq_config"].message_type.fields_by_name["nuq_quantize"]
            mapping = nuq.fields.get("mapping_file")
            inner = nuq.sub("nuq_quantize")
            values["nuq_config"] = NuqConfig(
                mapping.value if mapping is not None else None,
                build(NUQ, fd.message_type, inner, src) if inner is not None else None, src)
            sources["nuq_config"] = src
    return CalibrationSettings(sources=sources, **values)


def distill_settings(root: BoundMessage) -> DistillSettings:
    values, sources = _scalar_settings(root, DistillSettings)
    groups = []
    for i, e in enumerate(root.all("distill_group")):
        start, end = _string(e.value, "start_layer_name"), _string(e.value, "end_layer_name")
        if start is not None and end is not None:
            groups.append(DistillGroup(start.value, end.value, Source(K.SETTING, i, e.start, e.end,
                                                                      "distill_group")))
    values["distill_groups"] = tuple(groups)
    return DistillSettings(sources=sources, **values)


def notes(model: ModelIndex) -> list[str]:
    out = list(model.notes)
    unnamed = model.unnamed_quantizable()
    if unnamed:
        out.append(f"{unnamed} node(s) of quantizable types have no name, so no config can address them "
                   "and AMCT leaves them float: give them names in the model")
    return out


# -- distillation ----------------------------------------------------------------------------------------
class DistillResolver:
    def __init__(self, root: BoundMessage, blocks: Blocks | None = None) -> None:
        self.root = root
        self.blocks = blocks or Blocks(root, "distill")
        by_name = root.descriptor.fields_by_name
        self.data_type = by_name[D_DATA].message_type
        self.weight_type = by_name[D_WEIGHT].message_type
        self.settings = distill_settings(root)

    def layer(self, facts: Facts, choice: Choice) -> LayerConfig:
        if choice.skipped is not None:
            return LayerConfig(facts.name, facts.type, LayerStatus.SKIPPED, choice.skipped)
        assert choice.block is not None and choice.data_source and choice.weight_source
        lc = LayerConfig(facts.name, facts.type, LayerStatus.QUANTIZED, None, choice.block)
        fixed = facts.fixed_min or Value(False, Source(K.MODEL, detail="true after a ReLU"))
        lc.activation, lc.sources["activation"] = self._part(
            choice.data, choice.data_source, self.data_type, "data_quant_algo", "ulq_quantize",
            {"fixed_min": fixed, "clip_max_min": _BY_IFMR})
        lc.weights, lc.sources["weights"] = self._part(
            choice.weight, choice.weight_source, self.weight_type, "weights_quant_algo", "arq_distill",
            {"channel_wise": facts.channel_default()})
        return lc

    @staticmethod
    def _part(view: View | None, source: Source, desc: Any, oneof: str, default: str,
              special: dict[str, Value[Any]]) -> tuple[Algorithm, Source]:
        algo, algo_source, sub = _algorithm(view, oneof, default, source)
        fd = desc.fields_by_name[algo]
        return build(MESSAGES[fd.message_type.name], fd.message_type, sub, source, special), algo_source

    def resolve(self, model: ModelIndex) -> EffectiveConfig:
        layers: dict[str, LayerConfig] = {}
        for layer in model:
            if layer.quantizable:
                choice = self.blocks.choose(layer.name, layer.type, layer)
                layers[layer.name] = self.layer(Facts.of_layer(layer, model), choice)
        return EffectiveConfig("distill", layers, [], self.settings, notes(model))


def _fixed_min(layer: Layer, model: ModelIndex) -> Value[bool]:
    before = [model.layers[p].type for p in model.predecessors.get(layer.name, ()) if p in model.layers]
    after_relu = bool(before) and all(t in TORCH_NONNEGATIVE for t in before)
    how = "" if model.graph_exact else " (registration order)"
    return Value(after_relu, Source(K.MODEL, detail=(f"input comes after {before[0]}{how}" if after_relu
                                                     else f"input does not come after a ReLU{how}")))


def resolve_model(root: BoundMessage, dialect: str, model: ModelIndex,
                  blocks: Blocks | None = None) -> EffectiveConfig:
    """The effective config of every layer of `model` under the document `root`."""
    if dialect == "distill":
        return DistillResolver(root, blocks).resolve(model)
    if dialect in CALIBRATION_DIALECTS:
        return CalibrationResolver(root, dialect, blocks).resolve(model)
    return EffectiveConfig(dialect, {}, [], None, [f"the {dialect} dialect has no per-layer config"])
