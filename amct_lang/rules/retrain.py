"""RET: what AMCT PyTorch's quantization-aware training loader checks in a retrain config.

A layer takes its override_layer_configs entry, else its type's override_layer_types entry, else the
global retrain_data_quant_config / retrain_weight_quant_config; an override replaces both configs,
and the one it leaves out takes its defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..diagnostics import Diagnostic, Related, Severity
from ..document import BoundMessage, Entry
from ..schema import amct_pytorch as pt
from .catalog import REGISTRY, rule
from .context import RuleContext, View, replace_value

E = Severity.ERROR
RETRAIN = ("retrain",)
DATA, WEIGHTS = "retrain_data_quant_config", "retrain_weight_quant_config"
TYPES, LAYERS = "override_layer_types", "override_layer_configs"
BITS = {0: 4, 1: 8, 2: 16}  # DataType: INT4, INT8, INT16
INT4 = 0


class Block:
    """The global configs, or one override entry, with its data and weight configs (if given)."""

    __slots__ = ("owner", "entry", "key_entry", "data", "weights")

    def __init__(self, owner: str, entry: Entry | None, key_entry: Entry | None, holder: View) -> None:
        self.owner = owner
        self.entry = entry
        self.key_entry = key_entry
        self.data = holder.sub(DATA)
        self.weights = holder.sub(WEIGHTS)

    @property
    def key(self) -> str | None:
        return self.key_entry.value if self.key_entry is not None else None

    @property
    def label(self) -> str:
        if self.owner == "global":
            return "the global configs"
        what = "type" if self.owner == TYPES else "layer"
        return f"the {self.owner} entry for {what} '{self.key}'"

    def ulq(self) -> View | None:
        return self.data.sub("ulq_quantize") if self.data is not None else None

    def weight_algorithm(self) -> View | None:
        if self.weights is None:
            return None
        for name in ("arq_retrain", "ulq_retrain"):
            found = self.weights.sub(name)
            if found is not None:
                return found
        return None


def blocks(ctx: RuleContext) -> list[Block]:
    def build(ctx: RuleContext) -> list[Block]:
        out = [Block("global", None, None, View([ctx.root]))]
        for owner, key in ((TYPES, "layer_type"), (LAYERS, "layer_name")):
            for e in ctx.top(owner):
                if isinstance(e.value, BoundMessage):
                    out.append(Block(owner, e, e.value.last(key), View([e.value])))
        return out

    return ctx.cached("retrain_blocks", build)


def _diag(code: str, message: str, entry: Entry, **kw: Any) -> Diagnostic:
    return REGISTRY[code].diagnostic(message, entry.start, entry.end, **kw)


def _where(block: Block) -> str:
    return "" if block.owner == "global" else f" ({block.label})"


@rule("RET001", "int4-activations", E, dialects=RETRAIN)
def int4_activations(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Activations quantized to INT4 in quantization-aware training.

    ## What it does
    Checks `dst_type` of every `ulq_quantize` activation config.

    ## Why is this bad?
    AMCT PyTorch does not train with INT4 activations and rejects the config ("Int4 quantization
    aware training is not supported"). INT4 weights are allowed, with INT8 activations.

    ## Example
    ```
    retrain_data_quant_config { ulq_quantize { dst_type: INT4 } }
    ```

    ## Use instead
    ```
    retrain_data_quant_config { ulq_quantize { dst_type: INT8 } }
    ```
    """
    for block in blocks(ctx):
        ulq = block.ulq()
        e = ulq.entry("dst_type") if ulq is not None else None
        if e is not None and e.value == INT4:
            yield _diag("RET001", f"AMCT does not train with INT4 activations{_where(block)}; write "
                                  f"dst_type: INT8 "
                        "(INT4 is allowed for the weights)", e, fixes=(replace_value(e, "INT8"),))


def _data_bits(block: Block) -> tuple[int, Entry | None]:
    """The activation bits a block gives its layers: its own ULQ dst_type, else INT8."""
    ulq = block.ulq()
    e = ulq.entry("dst_type") if ulq is not None else None
    return (BITS.get(e.value, 8) if e is not None else 8), e


def _weight_bits(block: Block) -> tuple[int | None, Entry | None]:
    """The weight bits a block gives its layers (INT8 by default), None without a weight algorithm."""
    algorithm = block.weight_algorithm()
    if algorithm is None:
        return None, None
    e = algorithm.entry("dst_type")
    return (BITS.get(e.value, 8) if e is not None else 8), e


@rule("RET002", "activation-weight-types", E, dialects=RETRAIN)
def activation_weight_types(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer's activation and weight data types are a pair AMCT cannot train.

    ## What it does
    Pairs each block's activation `dst_type` with its weight `dst_type` and checks the pair: INT8/INT8,
    INT16/INT8 and INT8/INT4 (activations/weights) are supported. An override entry replaces both
    configs for its layers: the one it leaves out takes its defaults (INT8), not the global one.

    ## Why is this bad?
    AMCT rejects other pairs ("Activation and weights data_type are not supported for now"): INT16
    weights never, INT16 activations only with INT8 weights.

    ## Example
    ```
    retrain_data_quant_config { ulq_quantize { dst_type: INT16 } }
    retrain_weight_quant_config { arq_retrain { dst_type: INT16 } }
    ```

    ## Use instead
    ```
    retrain_data_quant_config { ulq_quantize { dst_type: INT16 } }
    retrain_weight_quant_config { arq_retrain { dst_type: INT8 } }
    ```
    """
    for block in blocks(ctx):
        act, act_entry = _data_bits(block)
        wts, wts_entry = _weight_bits(block)
        if wts is None or act == 4 or (act, wts) in pt.RETRAIN_ACT_WEIGHT:
            continue
        at = wts_entry or act_entry
        if at is None:
            continue
        yield _diag("RET002", f"INT{act} activations with INT{wts} weights{_where(block)}: AMCT trains only "
                    "INT8/INT8, INT16/INT8 and INT8/INT4 (activations/weights); write the weights' "
                    "dst_type: INT8", at)


@rule("RET004", "duplicate-override", E, dialects=RETRAIN)
def duplicate_override(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Two `override_layer_configs` entries for one layer, or two `override_layer_types` for one type.

    ## What it does
    Finds layer names and layer types given by more than one override entry.

    ## Why is this bad?
    AMCT rejects the config ("Please delete repeated items in retrain_override_layers" /
    "in override_layer_types").

    ## Example
    ```
    override_layer_configs { layer_name: "conv1" retrain_data_quant_config { } }
    override_layer_configs { layer_name: "conv1" retrain_weight_quant_config { } }
    ```

    ## Use instead
    ```
    override_layer_configs {
        layer_name: "conv1"
        retrain_data_quant_config { }
        retrain_weight_quant_config { }
    }
    ```
    """
    seen: dict[tuple[str, str], Entry] = {}
    for block in blocks(ctx)[1:]:
        k = block.key_entry
        if k is None:
            continue
        first = seen.setdefault((block.owner, k.value), k)
        if first is not k:
            what = "layer" if block.owner == LAYERS else "type"
            yield _diag("RET004", f"a second {block.owner} entry for {what} '{k.value}'; AMCT rejects "
                                  f"repeated "
                        "entries: merge them into one", k,
                        related=(Related(first.start, first.end, "the first entry"),))


def _channel_wise_true(block: Block) -> Entry | None:
    algorithm = block.weight_algorithm()
    e = algorithm.entry("channel_wise") if algorithm is not None else None
    return e if e is not None and e.value is True else None


def _model_types(ctx: RuleContext) -> dict[str, str] | None:
    """Module name -> class name of the torch model, when one is given."""
    model = ctx.model
    if model is None or getattr(model, "framework", None) != "torch":
        return None
    return {name: layer.type for name, layer in model.layers.items()}


@rule("RET005", "channel-wise-without-channels", E, dialects=RETRAIN)
def channel_wise(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`channel_wise: true` reaches a Linear layer.

    ## What it does
    Checks `channel_wise` in the weight configs of `override_layer_types` entries for Linear, and,
    with `--model`, of every config that a Linear module of the model takes (its layer override,
    its type override, or the global weight config), skipped modules included.

    ## Why is this bad?
    Linear weights have no per-channel scales in quantization-aware training; AMCT rejects the
    config ("fc layer can not be channewised"), also for a module in quant_skip_layers.

    ## Example
    ```
    retrain_weight_quant_config { arq_retrain { channel_wise: true } }   # the model has a Linear
    ```

    ## Use instead
    ```
    retrain_weight_quant_config { arq_retrain { channel_wise: true } }
    override_layer_types {
        layer_type: "Linear"
        retrain_weight_quant_config { arq_retrain { channel_wise: false } }
    }
    ```
    """
    all_blocks = blocks(ctx)
    reported: set[int] = set()
    for block in all_blocks:
        e = _channel_wise_true(block)
        if block.owner == TYPES and block.key in pt.NO_CHANNEL_WISE_RETRAIN and e is not None:
            reported.add(id(e))
            yield _diag("RET005", f"{block.key} layers have no per-channel weights; write channel_wise: "
                                  f"false", e,
                        fixes=(replace_value(e, "false"),))
    types = _model_types(ctx)
    if types is None:
        return
    by_layer = {b.key: b for b in all_blocks if b.owner == LAYERS}
    by_type = {b.key: b for b in all_blocks if b.owner == TYPES}
    for name, type_name in types.items():
        if type_name not in pt.NO_CHANNEL_WISE_RETRAIN or type_name not in pt.RETRAIN:
            continue
        # the most specific block replaces the global configs as a whole
        chain = [by_layer.get(name), by_type.get(type_name), all_blocks[0]]
        source = next(b for b in chain if b is not None)
        e = _channel_wise_true(source) if source is not None else None
        if e is not None and id(e) not in reported:
            reported.add(id(e))
            yield _diag("RET005", f"'{name}' is a {type_name} module, without per-channel weights, and gets "
                        f"channel_wise: true from {source.label}; AMCT rejects this "
                        f"even when the "
                        f"module is skipped: give {type_name} an override with channel_wise: false", e)


def _type_entries(ctx: RuleContext) -> Iterator[tuple[str, Entry]]:
    for name in ("quant_skip_types", "skip_layer_types"):
        for e in ctx.top(name):
            if isinstance(e.value, str):
                yield name, e
    for block in blocks(ctx)[1:]:
        if block.owner == TYPES and block.key_entry is not None:
            yield TYPES, block.key_entry


@rule("RET006", "type-not-retrained", E, dialects=RETRAIN)
def type_not_retrained(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer type quantization-aware training does not quantize.

    ## What it does
    Checks `quant_skip_types`, `skip_layer_types` and `override_layer_types.layer_type` against
    the torch.nn classes AMCT PyTorch retrains: Conv1d, Conv2d, Conv3d, ConvTranspose1d,
    ConvTranspose2d, Linear, LSTM, GRU (not AvgPool2d, unlike post-training quantization).

    ## Why is this bad?
    AMCT rejects the config ("some quant_skip_types not supported", "some override layers types
    not supported for quant"). Type names are case-sensitive.

    ## Example
    ```
    quant_skip_types: "ReLU"
    ```

    ## Use instead
    ```
    quant_skip_types: "Linear"
    ```
    """
    for where, e in _type_entries(ctx):
        name = e.value
        if name in pt.RETRAIN:
            continue
        hint = next((t for t in sorted(pt.RETRAIN) if t.lower() == name.lower()), None)
        message = f"'{name}' in {where} is not a type quantization-aware training quantizes"
        message += f"; did you mean '{hint}'?" if hint else f" ({', '.join(sorted(pt.RETRAIN))})"
        yield _diag("RET006", message + "; AMCT rejects the file", e)


@rule("RET007", "layer-not-retrained", E, dialects=RETRAIN, needs_model=True)
def layer_not_retrained(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer name that is not a module quantization-aware training quantizes.

    ## What it does
    With `--model`, checks `quant_skip_layers`, `skip_layers` and `override_layer_configs.layer_name`
    against the model's modules of the retrained types.

    ## Why is this bad?
    AMCT rejects the config ("some quant_skip_layers not in valid_layers", "some override_layer
    not in valid_layers for quant"), for a name the model lacks and for a module such as ReLU or
    AvgPool2d alike.

    ## Example
    ```
    quant_skip_layers: "relu1"
    ```

    ## Use instead
    ```
    quant_skip_layers: "conv1"
    ```
    """
    types = _model_types(ctx)
    if types is None:
        return
    entries = [(where, e) for where in ("quant_skip_layers", "skip_layers") for e in ctx.top(where)
               if isinstance(e.value, str)]
    entries += [(LAYERS, b.key_entry) for b in blocks(ctx)[1:]
                if b.owner == LAYERS and b.key_entry is not None]
    for where, e in entries:
        found = types.get(e.value)
        if found in pt.RETRAIN:
            continue
        problem = f"is a {found} module, which is not retrained" if found else "is not a module of the model"
        yield _diag("RET007", f"'{e.value}' in {where} {problem}; AMCT rejects the file", e)


@rule("RET008", "nothing-to-retrain", E, dialects=RETRAIN, needs_model=True)
def nothing_to_retrain(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Every module that could be retrained is skipped.

    ## What it does
    With `--model`, removes the modules of `quant_skip_layers` / `skip_layers` and of the types in
    `quant_skip_types` / `skip_layer_types` from the model's retrainable modules.

    ## Why is this bad?
    AMCT rejects the config ("No layer retrain enabled").

    ## Example
    ```
    quant_skip_types: ["Conv2d", "Linear"]   # a model of Conv2d and Linear modules
    ```

    ## Use instead
    ```
    quant_skip_types: "Linear"
    ```
    """
    types = _model_types(ctx)
    if types is None:
        return
    names = {e.value for f in ("quant_skip_layers", "skip_layers") for e in ctx.top(f)}
    skipped_types = {e.value for f in ("quant_skip_types", "skip_layer_types") for e in ctx.top(f)}
    left = [n for n, t in types.items() if t in pt.RETRAIN and n not in names and t not in skipped_types]
    if left:
        return
    at = next(iter(ctx.top("quant_skip_layers") or ctx.top("quant_skip_types") or ctx.top("skip_layers")
                   or ctx.top("skip_layer_types")), None)
    if at is not None:
        yield _diag("RET008", "every module quantization-aware training could quantize is skipped; AMCT "
                              "rejects "
                    "the file ('No layer retrain enabled')", at)
