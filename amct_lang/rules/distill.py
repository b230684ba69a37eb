"""DST: rules of the distillation dialect (AMCT PyTorch's distill_config_pytorch.proto)."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Fix, Related, Severity
from ..document import Entry
from ..vocab import TORCH_GROUP_ONLY, TORCH_NO_PER_CHANNEL, TORCH_QUANTIZABLE
from . import retrain
from .catalog import REGISTRY, rule
from .context import RuleContext, View, remove_entries, replace_string, replace_value
from .values import amct_float

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
DST = ("distill",)

# torch.nn module types distillation quantizes, and the others a distill group may contain.
QUANTIZED_TYPES = frozenset(TORCH_QUANTIZABLE)
GROUP_ONLY_TYPES = TORCH_GROUP_ONLY
NO_PER_CHANNEL = TORCH_NO_PER_CHANNEL
INT4, INT8 = 0, 1  # DataType
DATA, WEIGHT = "distill_data_quant_config", "distill_weight_quant_config"
LAYERS, TYPES = "distill_override_layers", "distill_override_layer_types"


def _diag(code: str, message: str, start: int, end: int, *, related: tuple[Related, ...] = (),
          fixes: tuple[Fix, ...] = ()) -> Diagnostic:
    return REGISTRY[code].diagnostic(message, start, end, related=related, fixes=fixes)


class Block:
    """One source of a layer's distillation config: the global one or one override entry."""

    __slots__ = ("owner", "entry", "key_entry", "data", "weight")

    def __init__(self, owner: str, entry: Entry | None, key_entry: Entry | None, data: View,
                 weight: View) -> None:
        self.owner = owner  # "global", LAYERS or TYPES
        self.entry = entry
        self.key_entry = key_entry
        self.data = data
        self.weight = weight

    @property
    def key(self) -> str | None:
        return self.key_entry.value if self.key_entry is not None else None

    @property
    def label(self) -> str:
        if self.owner == "global":
            return "the global config"
        what = "layer" if self.owner == LAYERS else "type"
        return f"the {self.owner} entry for {what} '{self.key}'"

    def weight_algorithm(self) -> View | None:
        """arq_distill or ulq_distill, whichever the block uses."""
        member = self.weight.oneof_member("weights_quant_algo") if self.weight else None
        return self.weight.sub(member) if member else None

    def ulq(self) -> View | None:
        return self.data.sub("ulq_quantize") if self.data else None


def _blocks(ctx: RuleContext) -> list[Block]:
    def build(ctx: RuleContext) -> list[Block]:
        top = ctx.root.descriptor.fields_by_name
        data_type = top[DATA].message_type
        weight_type = top[WEIGHT].message_type
        blocks = [Block("global", None, None, View([e.value for e in ctx.top(DATA)], data_type),
                        View([e.value for e in ctx.top(WEIGHT)], weight_type))]
        for owner, key in ((LAYERS, "layer_name"), (TYPES, "layer_type")):
            for e in ctx.top(owner):
                msg = e.value
                blocks.append(Block(owner, e, msg.last(key), View(msg.messages(DATA), data_type),
                                    View(msg.messages(WEIGHT), weight_type)))
        return blocks

    return ctx.cached("distill_blocks", build)


@rule("DST001", "zero-count", E, dialects=DST)
def zero_count(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`batch_num` or `group_size` is 0.

    ## What it does
    Checks that the number of batches and the size of distillation groups are positive.

    ## Why is this bad?
    AMCT rejects both ("should be greater than zero"): no batch means no data to initialize the
    quantization factors, and an empty group distills nothing.

    ## Example
    ```
    batch_num: 0
    ```

    ## Use instead
    ```
    batch_num: 1
    ```
    """
    for name in ("batch_num", "group_size"):
        entries = ctx.top(name)
        if entries and entries[-1].value == 0:
            e = entries[-1]
            yield _diag("DST001", f"{name} must be greater than 0; write {name}: 1 or more", e.start, e.end,
                        fixes=(replace_value(e, "1"),))


def _dst(view: View | None) -> tuple[int, Entry | None]:
    if view is None:
        return INT8, None
    e = view.entry("dst_type")
    return (e.value, e) if e is not None else (INT8, None)


def _type_name(value: int) -> str:
    return {INT4: "INT4", INT8: "INT8"}.get(value, str(value))


@rule("DST002", "mixed-bit-widths", E, dialects=DST)
def mixed_bit_widths(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Activations and weights of one config get different `dst_type`s.

    ## What it does
    For the global config and each override, compares the `dst_type` of `ulq_quantize` (data)
    with that of `arq_distill` / `ulq_distill` (weights), taking INT8 where one is not given. An
    override replaces the global config as a whole, so an override that sets only the weights
    gets INT8 activations.

    ## Why is this bad?
    AMCT supports only equal widths ("do not support activation and weights with different
    data_type"): INT4 activations with INT8 weights, or the reverse, are rejected.

    ## Example
    ```
    distill_override_layers {
        layer_name: "conv1"
        distill_weight_quant_config { arq_distill { dst_type: INT4 } }
    }
    ```

    ## Use instead
    ```
    distill_override_layers {
        layer_name: "conv1"
        distill_data_quant_config { ulq_quantize { dst_type: INT4 } }
        distill_weight_quant_config { arq_distill { dst_type: INT4 } }
    }
    ```
    """
    for block in _blocks(ctx):
        data, data_entry = _dst(block.ulq())
        weight, weight_entry = _dst(block.weight_algorithm())
        if data == weight:
            continue
        at, other, other_entry = ((weight_entry, data, data_entry) if weight_entry is not None
                                  else (data_entry, weight, weight_entry))
        assert at is not None
        side = "weights" if at is weight_entry else "activations"
        other_side = "activations" if side == "weights" else "weights"
        given = "" if other_entry is not None else " (not set here, so the default)"
        related = (Related(other_entry.start, other_entry.end, f"{other_side} dst_type set here"),) \
            if other_entry is not None else ()
        yield _diag("DST002", f"in {block.label}, {side} are {_type_name(at.value)} but {other_side} are "
                    f"{_type_name(other)}{given}; AMCT needs the same dst_type for both: write dst_type: "
                    f"{_type_name(other)} here, or set the {other_side} to {_type_name(at.value)} too",
                    at.start, at.end, related=related, fixes=(replace_value(at, _type_name(other)),))


@rule("DST003", "clip-range", E, dialects=DST + ("retrain",))
def clip_range(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`clip_max` is not positive or `clip_min` is not negative.

    ## What it does
    Checks the initial clipping range of ULQ activation quantization (distillation and
    quantization-aware training), as float32 values: 1e-46 is 0, a value beyond float32's range
    is infinite.

    ## Why is this bad?
    AMCT requires clip_max > 0 and clip_min < 0 ("clip max should be larger than 0", "clip min
    should be less than 0"), also when `fixed_min` is true; an infinite bound makes the
    quantization scale infinite ("Param scale has invalid value inf").

    ## Example
    ```
    clip_max_min { clip_max: 6.0 clip_min: 0.0 }
    ```

    ## Use instead
    ```
    clip_max_min { clip_max: 6.0 clip_min: -6.0 }
    ```
    """
    for block in _blocks(ctx) if ctx.dialect == "distill" else retrain.blocks(ctx):
        ulq = block.ulq()
        clip = ulq.sub("clip_max_min") if ulq is not None else None
        if clip is None:
            continue
        high, low = clip.entry("clip_max"), clip.entry("clip_min")
        for e in (high, low):
            if e is not None and amct_float(e.value) in (float("inf"), float("-inf")):
                yield _diag("DST003", f"{e.field.name} must be a finite number (got {ctx.source(e)}): AMCT's "
                            "quantization scale becomes infinite", e.start, e.end)
        if high is not None and not amct_float(high.value) > 0:
            fixes = (replace_value(high, ctx.source(high).lstrip("-")),) if high.value < 0 else ()
            yield _diag("DST003", f"clip_max must be greater than 0 (got {ctx.source(high)}); write e.g. "
                        "clip_max: 6.0", high.start, high.end, fixes=fixes)
        if low is not None and not amct_float(low.value) < 0:
            fixes = (replace_value(low, "-" + ctx.source(low).lstrip("+")),) if low.value > 0 else ()
            yield _diag("DST003", f"clip_min must be less than 0 (got {ctx.source(low)}); write e.g. "
                        "clip_min: -6.0", low.start, low.end, fixes=fixes)


@rule("DST004", "fixed-min-ignores-clip-min", INFO, dialects=DST)
def fixed_min_ignores_clip_min(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`fixed_min: true` with a `clip_min`: the lower bound is fixed at 0 and the value is unused.

    ## What it does
    Points at `clip_min` in an `ulq_quantize` that sets `fixed_min: true`. An information, not a
    warning: AMCT still requires a negative `clip_min` there, so the line cannot be dropped.

    ## Why is this bad?
    With `fixed_min: true` the lower clipping bound is not learned and stays 0; the configured
    `clip_min` has no effect, which surprises authors who tuned it.

    ## Example
    ```
    ulq_quantize { clip_max_min { clip_max: 6.0 clip_min: -6.0 } fixed_min: true }
    ```

    ## Use instead
    ```
    ulq_quantize { clip_max_min { clip_max: 6.0 clip_min: -6.0 } fixed_min: false }
    ```
    to learn the lower bound from -6.0, or keep `fixed_min: true` knowing that the minimum is 0.
    """
    for block in _blocks(ctx):
        ulq = block.ulq()
        if ulq is None:
            continue
        fixed = ulq.entry("fixed_min")
        clip = ulq.sub("clip_max_min")
        low = clip.entry("clip_min") if clip is not None else None
        if fixed is None or fixed.value is not True or low is None or low.value == 0:
            continue
        yield _diag("DST004", f"fixed_min: true fixes the lower clipping bound at 0, so clip_min: "
                    f"{ctx.source(low)} has no effect (AMCT still requires a negative value here); write "
                    "fixed_min: false to learn the bound from this value", low.start, low.end,
                    related=(Related(fixed.start, fixed.end, "fixed_min set here"),))


@rule("DST005", "duplicate-override", E, dialects=DST)
def duplicate_override(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Two `distill_override_layers` for one layer, or two `distill_override_layer_types` for one type.

    ## What it does
    Reports the second and later override entries with the same `layer_name` / `layer_type`.

    ## Why is this bad?
    AMCT rejects the file ("Please delete repeated items in distill_override_layers").

    ## Example
    ```
    distill_override_layers { layer_name: "conv1" distill_weight_quant_config { arq_distill {} } }
    distill_override_layers { layer_name: "conv1" distill_data_quant_config { ulq_quantize {} } }
    ```

    ## Use instead
    ```
    distill_override_layers {
        layer_name: "conv1"
        distill_data_quant_config { ulq_quantize {} }
        distill_weight_quant_config { arq_distill {} }
    }
    ```
    """
    if len(ctx.top(LAYERS)) < 2 and len(ctx.top(TYPES)) < 2:
        return  # no override can repeat another
    for repeat, first in ctx.config.repeats():
        what = "layer" if repeat.kind.value == LAYERS else "type"
        yield _diag("DST005", f"a second {repeat.kind.value} entry for {what} '{repeat.detail}'; AMCT "
                    "rejects repeated overrides. Merge the two entries into one", repeat.start or 0,
                    repeat.end or 0,
                    related=(Related(first.start or 0, first.end or 0, "first entry for it here"),))


@rule("DST006", "duplicate-skip", W, dialects=DST)
def duplicate_skip(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer or type repeated in `quant_skip_layers` / `quant_skip_layer_types`.

    ## What it does
    Reports the second and later occurrences of a name in these lists; the safe fix removes them.

    ## Why is this bad?
    AMCT logs "Please delete repeated items in quant_skip_layers" and drops the repeats; the
    repeat is noise at best and often a typo for another layer.

    ## Example
    ```
    quant_skip_layers: "conv1"
    quant_skip_layers: "conv1"
    ```

    ## Use instead
    ```
    quant_skip_layers: "conv1"
    ```
    """
    for field in ("quant_skip_layers", "quant_skip_layer_types"):
        seen: dict[str, Entry] = {}
        repeats: list[tuple[Entry, Entry]] = []
        for e in ctx.top(field):
            first = seen.setdefault(e.value, e)
            if first is not e:
                repeats.append((e, first))
        if not repeats:
            continue
        edits = remove_entries(ctx.text, [e for e, _ in repeats])
        for e, first in repeats:
            yield _diag("DST006", f"'{e.value}' is already in {field}; remove this repeat", e.start, e.end,
                        related=(Related(first.start, first.end, "first given here"),),
                        fixes=(Fix(f"Remove the repeated '{e.value}'", (edits[id(e)],), safe=True),))


@rule("DST007", "channel-wise-linear", E, dialects=DST)
def channel_wise_linear(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`channel_wise: true` in a type override for `Linear`.

    ## What it does
    Reports `channel_wise: true` in the `arq_distill` / `ulq_distill` of a
    `distill_override_layer_types` entry for `Linear`.

    ## Why is this bad?
    Distillation quantizes Linear weights with one factor for the whole layer; AMCT rejects
    per-channel quantization for it.

    ## Example
    ```
    distill_override_layer_types {
        layer_type: "Linear"
        distill_weight_quant_config { arq_distill { channel_wise: true } }
    }
    ```

    ## Use instead
    ```
    distill_override_layer_types {
        layer_type: "Linear"
        distill_weight_quant_config { arq_distill { channel_wise: false } }
    }
    ```
    """
    for block in _blocks(ctx):
        if block.owner != TYPES or block.key not in NO_PER_CHANNEL:
            continue
        algorithm = block.weight_algorithm()
        e = algorithm.entry("channel_wise") if algorithm is not None else None
        if e is not None and e.value is True:
            yield _diag("DST007", f"{block.key} layers have no per-channel weights in distillation; write "
                        "channel_wise: false", e.start, e.end, fixes=(replace_value(e, "false"),))


@rule("DST008", "degenerate-group", W, dialects=DST)
def degenerate_group(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A `distill_group` that starts and ends at the same layer, or repeats another group.

    ## What it does
    Reports groups whose `start_layer_name` equals their `end_layer_name`, and groups with the
    same bounds as an earlier one.

    ## Why is this bad?
    A one-layer group is rarely meant (a group is a block of layers distilled together), and a
    repeated group distills the same block twice.

    ## Example
    ```
    distill_group { start_layer_name: "layer1" end_layer_name: "layer1" }
    ```

    ## Use instead
    ```
    distill_group { start_layer_name: "layer1" end_layer_name: "layer2" }
    ```
    """
    seen: dict[tuple[str, str], Entry] = {}
    for group in ctx.top("distill_group"):
        start, end = group.value.last("start_layer_name"), group.value.last("end_layer_name")
        if start is None or end is None:
            continue
        if start.value == end.value:
            yield _diag("DST008", f"this group starts and ends at '{start.value}': it holds one layer; "
                        "write the last layer of the block as end_layer_name", end.start, end.end)
        first = seen.setdefault((start.value, end.value), start)
        if first is not start:
            yield _diag("DST008", f"another distill_group already spans '{start.value}' to "
                        f"'{end.value}'; remove this repeat", start.start, start.end,
                        related=(Related(first.start, first.end, "same group given here"),))


@rule("DST009", "dead-override", W, dialects=DST)
def dead_override(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An override for a layer or type that is also in `quant_skip_layers` / `quant_skip_layer_types`.

    ## What it does
    Reports `distill_override_layers` entries for a layer in `quant_skip_layers`, and
    `distill_override_layer_types` entries for a type in `quant_skip_layer_types`.

    ## Why is this bad?
    Skipped layers are not quantized (only distilled), so their quantization override has no
    effect.

    ## Example
    ```
    quant_skip_layers: "conv1"
    distill_override_layers { layer_name: "conv1" distill_weight_quant_config { arq_distill {} } }
    ```

    ## Use instead
    ```
    distill_override_layers { layer_name: "conv1" distill_weight_quant_config { arq_distill {} } }
    ```
    """
    if not ctx.top("quant_skip_layers") and not ctx.top("quant_skip_layer_types"):
        return
    config = ctx.config
    for block in _blocks(ctx):
        e = block.key_entry
        if e is None:
            continue
        # skips beat overrides: the semantic model says which skip entry removes the layers
        skip = config.skip(name=e.value) if block.owner == LAYERS else config.skips_type(e.value)
        if skip is None:
            continue
        field = skip.kind.value
        yield _diag("DST009", f"'{e.value}' is in {field}, so it is not quantized and this override has no "
                    f"effect; remove it from {field} or remove the override", e.start, e.end,
                    related=(Related(skip.start or 0, skip.end or 0, f"skipped here by {field}"),))


@rule("DST010", "unknown-module-type", E, dialects=DST)
def unknown_module_type(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer type that distillation does not quantize.

    ## What it does
    Checks `quant_skip_layer_types` and `distill_override_layer_types.layer_type` against the
    torch.nn module types distillation quantizes (Conv2d, Linear), with a "did you mean". The
    other modules a distill group may contain (BatchNorm2d, ReLU, LeakyReLU, Sigmoid, Tanh,
    Softmax) are distilled but never quantized.

    ## Why is this bad?
    AMCT rejects the config for any other type, misspelt or real ("quant_skip_layer_types['Conv1d']
    not exist or supported", "distill_override_layer_types['linear'] not exist or supported for
    quant"), the group-only types included. The documentation's placeholders (`type1`, `type2`)
    get a warning.

    ## Example
    ```
    quant_skip_layer_types: "linear"
    ```

    ## Use instead
    ```
    quant_skip_layer_types: "Linear"
    ```
    """
    entries = list(ctx.top("quant_skip_layer_types"))
    entries += [b.key_entry for b in _blocks(ctx) if b.owner == TYPES and b.key_entry is not None]
    for e in entries:
        name = e.value
        if name in QUANTIZED_TYPES:
            continue
        hint = None
        if name in GROUP_ONLY_TYPES:
            message = (f"{name} modules are distilled but never quantized, and AMCT rejects the file; "
                       "distillation quantizes Conv2d and Linear")
        else:
            known = sorted(QUANTIZED_TYPES | GROUP_ONLY_TYPES)
            hint = next((t for t in known if t.lower() == name.lower()), None)
            if hint is None:
                from ..suggest import closest

                hint = closest(name, QUANTIZED_TYPES)
            message = f"'{name}' is not a torch.nn module type distillation quantizes"
            message += f"; did you mean '{hint}'?" if hint else " (Conv2d, Linear); AMCT rejects the file"
        # the documentation's placeholders (type1, type2): a sample to fill in, not yet a mistake
        placeholder = name[:4].lower() == "type" and name[4:].isdigit()
        yield REGISTRY["DST010"].diagnostic(message, e.start, e.end, severity=W if placeholder else None,
                                            fixes=(replace_string(e, ctx.text, hint),) if hint else ())
