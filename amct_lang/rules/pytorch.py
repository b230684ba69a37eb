"""MOD008-MOD012, MOD020: a calibration-pytorch config against its PyTorch model (`--model m.pt`).

Layer names are module names from `named_modules()` (the root module is ""), types are class names.
AMCT PyTorch builds a config for every module of a quantizable type, skipped ones included, from
its override_layer_configs entry, else its type's override_layer_types entry, else common_config;
`_source` picks that block the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..diagnostics import Diagnostic, Severity
from ..document import Entry
from ..schema import amct_pytorch as pt
from .catalog import REGISTRY, rule
from .context import (
    COMMON,
    LAYER_OVERRIDE,
    TYPE_OVERRIDE,
    ConfigBlock,
    RuleContext,
    config_blocks,
    replace_value,
)

E = Severity.ERROR
PYTORCH = ("calibration-pytorch",)
ROOT = ""  # named_modules() names the model itself ""


def _types(ctx: RuleContext) -> dict[str, str] | None:
    """Module name -> class name, the root module included, when a PyTorch model is given."""
    model = ctx.model
    if model is None or getattr(model, "framework", None) != "torch":
        return None
    return ctx.cached("torch_types", lambda c: {ROOT: getattr(model, "root_type", "Module"),
                                                **{n: layer.type for n, layer in model.layers.items()}})


def _diag(code: str, message: str, entry: Entry, **kw: Any) -> Diagnostic:
    return REGISTRY[code].diagnostic(message, entry.start, entry.end, **kw)


def _strings(ctx: RuleContext, name: str) -> list[Entry]:
    return [e for e in ctx.top(name) if isinstance(e.value, str)]


def _suggest(name: str, names: dict[str, str]) -> str:
    import difflib  # only for names the model lacks

    close = difflib.get_close_matches(name, [n for n in names if n], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


@rule("MOD008", "module-not-in-model", E, dialects=PYTORCH, needs_model=True)
def module_not_in_model(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer name that is not a module of the PyTorch model.

    ## What it does
    Checks `skip_layers`, `skip_fusion_layers` and `override_layer_configs.layer_name` against the
    model's `named_modules()`.

    ## Why is this bad?
    AMCT PyTorch rejects the config ("Layer conv9 does not exist in the graph").

    ## Example
    ```
    skip_layers: "conv9"
    ```

    ## Use instead
    ```
    skip_layers: "conv1"
    ```
    """
    types = _types(ctx)
    if types is None:
        return
    entries = [("skip_layers", e) for e in _strings(ctx, "skip_layers")]
    entries += [("skip_fusion_layers", e) for e in _strings(ctx, "skip_fusion_layers")]
    entries += [(LAYER_OVERRIDE, b.key_entry) for b in config_blocks(ctx)
                if b.owner == LAYER_OVERRIDE and b.key_entry is not None]
    for where, e in entries:
        if e.value not in types:
            yield _diag("MOD008", f"'{e.value}' in {where} is not a module of the "
                                  f"model{_suggest(e.value, types)} "
                        "(AMCT: 'does not exist in the graph')", e)


@rule("MOD009", "skip-not-quantizable", E, dialects=PYTORCH, needs_model=True)
def skip_not_quantizable(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`skip_layers` names a module AMCT PyTorch does not quantize.

    ## What it does
    Checks that each module in `skip_layers` is of a quantizable type (Conv1d, Conv2d, Conv3d,
    ConvTranspose1d, ConvTranspose2d, Linear, AvgPool2d, LSTM, GRU).

    ## Why is this bad?
    AMCT rejects the config ("Layer relu1 does not support quantization"); a BatchNorm2d or ReLU
    is never quantized, so skipping it means nothing.

    ## Example
    ```
    skip_layers: "bn1"
    ```

    ## Use instead
    ```
    skip_layers: "conv1"
    ```
    """
    types = _types(ctx)
    if types is None:
        return
    for e in _strings(ctx, "skip_layers"):
        found = types.get(e.value)
        if found is not None and found not in pt.QUANTIZABLE_SET:
            what = "the model itself" if e.value == ROOT else f"a {found} module"
            yield _diag("MOD009", f"'{e.value}' is {what}, which AMCT does not quantize; AMCT rejects "
                                  f"skipping it: "
                        "remove it from skip_layers", e)


@rule("MOD010", "fusion-skip-not-conv", E, dialects=PYTORCH, needs_model=True)
def fusion_skip_not_conv(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`skip_fusion_layers` names a module BatchNorm fusion never applies to.

    ## What it does
    Checks that each module in `skip_fusion_layers` is a Conv1d, Conv2d or Conv3d.

    ## Why is this bad?
    AMCT rejects the config ("Skip fusion layer "fc"'s type not in supported list").

    ## Example
    ```
    skip_fusion_layers: "fc"
    ```

    ## Use instead
    ```
    skip_fusion_layers: "conv1"
    ```
    """
    types = _types(ctx)
    if types is None:
        return
    for e in _strings(ctx, "skip_fusion_layers"):
        found = types.get(e.value)
        if found is not None and found not in pt.FUSE:
            yield _diag("MOD010", f"'{e.value}' is a {found} module; BatchNorm fuses only into Conv1d, "
                                  f"Conv2d and "
                        "Conv3d, and AMCT rejects the file: remove it from skip_fusion_layers", e)


def _channel_wise(block: ConfigBlock, arq_only: bool = False) -> Entry | None:
    """The `channel_wise: true` a block gives its weight algorithm, if it does."""
    for algorithm in ("arq_quantize",) if arq_only else ("arq_quantize", "ada_quantize"):
        e = block.view.get_in(algorithm, "channel_wise")
        if e is not None:
            return e if e.value is True else None
    return None


def _source(name: str, type_name: str, by_layer: dict[str | None, ConfigBlock],
            by_type: dict[str | None, ConfigBlock], common: ConfigBlock | None) -> ConfigBlock | None:
    return by_layer.get(name) or by_type.get(type_name) or common


@rule("MOD011", "channel-wise-layer-type", E, dialects=PYTORCH, needs_model=True)
def channel_wise_layer_type(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`channel_wise: true` reaches a module without per-channel weights.

    ## What it does
    For every module of a quantizable type, skipped ones included, finds the block it takes
    (layer override, type override, common_config) and reports `channel_wise: true` when the
    module is a Linear or AvgPool2d. A layer override with `channel_wise: true` for any module
    that is not a convolution, LSTM or GRU is reported too.

    ## Why is this bad?
    AMCT rejects the config ("The channel_wise must be False for layer type Linear in layer fc"),
    also when that module is in skip_layers or skip_layer_types: AMCT checks the configs of
    skipped modules as well.

    ## Example
    ```
    common_config { arq_quantize { channel_wise: true } }   # the model has a Linear
    ```

    ## Use instead
    ```
    common_config { arq_quantize { channel_wise: true } }
    override_layer_types {
        layer_type: "Linear"
        calibration_config { arq_quantize { channel_wise: false } }
    }
    ```
    """
    types = _types(ctx)
    if types is None:
        return
    blocks = config_blocks(ctx)
    by_layer = {b.key: b for b in blocks if b.owner == LAYER_OVERRIDE}
    by_type = {b.key: b for b in blocks if b.owner == TYPE_OVERRIDE}
    common = next((b for b in blocks if b.owner == COMMON), None)
    reported: set[int] = set()
    for name, type_name in types.items():
        override = by_layer.get(name)
        if type_name in pt.QUANTIZABLE_SET:
            block = _source(name, type_name, by_layer, by_type, common)
            e = _channel_wise(block) if block is not None else None
        else:  # AMCT checks a layer override's ARQ channel_wise against any module's type
            block = override
            e = _channel_wise(override, arq_only=True) if override is not None else None
        if e is None or type_name in pt.CHANNEL_WISE or id(e) in reported or block is None:
            continue
        reported.add(id(e))
        what = "the model itself" if name == ROOT else f"'{name}' ({type_name})"
        yield _diag("MOD011", f"{what} has no per-channel weights but gets channel_wise: true from "
                              f"{block.label}; "
                    f"AMCT rejects this even for skipped modules: give {type_name} an override with "
                    "channel_wise: false", e,
                    fixes=(replace_value(e, "false"),) if block.owner != COMMON else ())


@rule("MOD012", "nothing-to-quantize-torch", E, dialects=PYTORCH, needs_model=True)
def nothing_to_quantize(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Every quantizable module of the PyTorch model is skipped, or it has none.

    ## What it does
    Removes the modules of `skip_layers` and of the types in `skip_layer_types` from the model's
    modules of quantizable types.

    ## Why is this bad?
    AMCT rejects the config ("Except skip_layers or skip_types, no layer need to quantize", "No
    layer support quantization in the graph").

    ## Example
    ```
    skip_layers: ["conv1", "fc"]   # the model's only quantizable modules
    ```

    ## Use instead
    ```
    skip_layers: "conv1"
    ```
    """
    types = _types(ctx)
    if types is None:
        return
    quantizable = [n for n, t in types.items() if t in pt.QUANTIZABLE_SET]
    skipped_names = {e.value for e in _strings(ctx, "skip_layers")}
    skipped_types = {e.value for e in _strings(ctx, "skip_layer_types")}
    if any(n not in skipped_names and types[n] not in skipped_types for n in quantizable):
        return
    skips = _strings(ctx, "skip_layers") or _strings(ctx, "skip_layer_types")
    if not skips:
        if ctx.root.entries:
            first = ctx.root.entries[0]
            yield REGISTRY["MOD012"].diagnostic("the model has no module AMCT PyTorch quantizes (Conv, "
                                                "Linear, AvgPool2d, LSTM, GRU)",
                                                first.node.name.start, first.node.name.end)
        return
    yield _diag("MOD012", "every quantizable module of the model is skipped; AMCT rejects the file ('no "
                "layer need to quantize'): keep at least one", skips[-1])


@rule("MOD020", "dmq-before-rnn", E, dialects=PYTORCH, needs_model=True)
def dmq_before_rnn(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`dmq_balancer` from common_config reaches an LSTM or GRU module.

    ## What it does
    With `--model`, finds the LSTM and GRU modules that are quantized (not skipped) and take
    common_config, when common_config has a `dmq_balancer`.

    ## Why is this bad?
    AMCT keeps the balancer for these modules (it drops it only for AvgPool2d) and then fails
    during calibration ("DMQBalancer.forward() takes 2 positional arguments but 3 were given"):
    an RNN gets its state as a second input. An override that gives LSTM or GRU a
    `dmq_balancer` is rejected at once (CAL026).

    ## Example
    ```
    common_config { dmq_balancer { } }   # the model has an LSTM
    ```

    ## Use instead
    ```
    common_config { dmq_balancer { } }
    override_layer_types {
        layer_type: "LSTM"
        calibration_config { arq_quantize { } }
    }
    ```
    """
    types = _types(ctx)
    if types is None:
        return
    blocks = config_blocks(ctx)
    common = next((b for b in blocks if b.owner == COMMON), None)
    dmq = common.view.entry("dmq_balancer") if common is not None else None
    if dmq is None:
        return
    overridden = {b.key for b in blocks if b.owner in (LAYER_OVERRIDE, TYPE_OVERRIDE)}
    skipped = {e.value for field in ("skip_layers", "skip_layer_types") for e in _strings(ctx, field)}
    for name, type_name in types.items():
        if type_name in ("LSTM", "GRU") and not {name, type_name} & (overridden | skipped):
            yield _diag("MOD020", f"'{name}' ({type_name}) takes common_config's dmq_balancer, and AMCT's "
                        f"calibration fails on it: give {type_name} an override without dmq_balancer, or "
                        "skip it", dmq)
            return
