"""CAL021-CAL028: the values AMCT's PyTorch/ONNX calibration loaders check.

AMCT checks the values of a block for each module that takes it, so with a PyTorch model the blocks
no quantizable module takes are not checked (`is_live`); without a model every block is.

Floats are compared as AMCT compares them: each value is first converted to float32 and back to
the shortest decimal that names that float32 (`float(str(numpy.float32(x)))`), then compared
exactly; "step <= end - start" is decided in decimal arithmetic. See `amct_float`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from decimal import Decimal

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
    View,
    config_blocks,
    replace_value,
)

E = Severity.ERROR
AMCT = ("calibration-onnx", "calibration-pytorch")
PYTORCH = ("calibration-pytorch",)
INT16 = 2  # CalibrationDataType.INT16


def amct_float(value: float) -> float:
    """`value` as AMCT's loaders see a proto float: rounded to float32, then read back from the
    shortest text that names that float32 (what `float(str(numpy.float32(value)))` gives)."""
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:  # beyond float32's range: protobuf stores it as infinity
        return float("inf") if value > 0 else float("-inf")
    if single != single or single in (float("inf"), float("-inf")):
        return single  # type: ignore[no-any-return]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        try:
            if struct.unpack("<f", struct.pack("<f", float(text)))[0] == single:
                return float(text)
        except OverflowError:  # near FLT_MAX a short text rounds past float32's range
            continue
    return single  # type: ignore[no-any-return]  # 9 significant digits always round-trip


def amct_decimal(value: float) -> Decimal:
    """The exact decimal AMCT's `Decimal(str(...))` makes of a proto float."""
    return Decimal(repr(amct_float(value)))


def _diag(code: str, message: str, entry: Entry, fixes: tuple = ()) -> Diagnostic:  # type: ignore[type-arg]
    return REGISTRY[code].diagnostic(message, entry.start, entry.end, fixes=fixes)


def _torch_types(ctx: RuleContext) -> dict[str, str] | None:
    """Module name -> class name when a PyTorch model comes with a calibration-pytorch file."""
    model = ctx.model
    if ctx.dialect != "calibration-pytorch" or model is None or getattr(model, "framework", None) != "torch":
        return None
    return {name: layer.type for name, layer in model.layers.items()}


def _live_blocks(ctx: RuleContext) -> set[int] | None:
    """Ids of the blocks some quantizable module of the model takes (skipped modules included, as AMCT
    builds their configs too); None without a PyTorch model, when every block counts."""
    types = _torch_types(ctx)
    if types is None:
        return None
    blocks = config_blocks(ctx)
    by_layer = {b.key: b for b in blocks if b.owner == LAYER_OVERRIDE}
    by_type = {b.key: b for b in blocks if b.owner == TYPE_OVERRIDE}
    common = [b for b in blocks if b.owner == COMMON]
    live: set[int] = set()
    for name, type_name in types.items():
        if type_name in pt.QUANTIZABLE_SET:
            chosen = by_layer.get(name) or by_type.get(type_name) or (common[0] if common else None)
            if chosen is not None:
                live.add(id(chosen))
    return live


def is_live(ctx: RuleContext, block: ConfigBlock) -> bool:
    """Whether AMCT checks the values of `block`: it does so per module, so with a PyTorch model a
    block no quantizable module takes (a type the model lacks, a ReLU's override) is never checked."""
    live = ctx.cached("live_blocks", _live_blocks)
    return live is None or id(block) in live


def _configs(ctx: RuleContext, sub: str) -> Iterator[tuple[ConfigBlock, View]]:
    """Every `sub` block (hfmg_quantize, ada_quantize, ...) of the calibration configs AMCT checks,
    with its block."""
    for block in config_blocks(ctx):
        if block.is_config and is_live(ctx, block):
            found = block.view.sub(sub)
            if found is not None:
                yield block, found


def _where(block: ConfigBlock) -> str:
    return "" if block.owner == COMMON else f" ({block.label})"


@rule("CAL021", "hfmg-num-of-bins", E, dialects=AMCT)
def hfmg_bins(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`hfmg_quantize.num_of_bins` is not 1024, 2048, 4096 or 8192.

    ## What it does
    Checks the number of histogram bins of HFMG activation calibration.

    ## Why is this bad?
    AMCT supports only these four bin counts and rejects the config ("num_of_bins ... must be in
    [1024, 2048, 4096, 8192]") when a layer gets any other.

    With a PyTorch model (`--model m.pt`), only blocks some quantizable module takes are checked, as
    AMCT checks values module by module. Without a model every block is checked: a deliberate
    difference, since a bad value in an override for a type the model turns out not to have
    passes AMCT but is still a mistake waiting for the next model.

    ## Example
    ```
    hfmg_quantize { num_of_bins: 1000 }
    ```

    ## Use instead
    ```
    hfmg_quantize { num_of_bins: 1024 }
    ```
    """
    for block, hfmg in _configs(ctx, "hfmg_quantize"):
        e = hfmg.entry("num_of_bins")
        if e is not None and e.value not in pt.HFMG_BINS:
            near = min(pt.HFMG_BINS, key=lambda b: abs(b - e.value))
            yield _diag("CAL021", f"num_of_bins must be 1024, 2048, 4096 or 8192 (got "
                                  f"{ctx.source(e)}){_where(block)}; "
                        f"write num_of_bins: {near}", e, (replace_value(e, str(near)),))


@rule("CAL022", "dmq-migration-strength", E, dialects=AMCT)
def dmq_strength(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`dmq_balancer.migration_strength` is outside [0.2, 0.8].

    ## What it does
    Checks the migration strength of the DMQ tensor balancer, as AMCT reads it: the float32 value
    of what is written (0.20000001 is 0.2 and is accepted; 0.8000001 is not).

    ## Why is this bad?
    AMCT rejects the config ("The dmq_balancer_param must be in range [0.2, 0.8]").

    With a PyTorch model (`--model m.pt`), only blocks some quantizable module takes are checked, as
    AMCT checks values module by module. Without a model every block is checked: a deliberate
    difference, since a bad value in an override for a type the model turns out not to have
    passes AMCT but is still a mistake waiting for the next model.

    ## Example
    ```
    dmq_balancer { migration_strength: 0.9 }
    ```

    ## Use instead
    ```
    dmq_balancer { migration_strength: 0.8 }
    ```
    """
    low, high = pt.DMQ_RANGE
    for block, dmq in _configs(ctx, "dmq_balancer"):
        e = dmq.entry("migration_strength")
        if e is not None and not low <= amct_float(e.value) <= high:
            bound = "0.2" if amct_float(e.value) < low else "0.8"
            yield _diag("CAL022", f"migration_strength must be in [0.2, 0.8] (got "
                                  f"{ctx.source(e)}){_where(block)}; "
                        f"write e.g. migration_strength: {bound}", e, (replace_value(e, bound),))


@rule("CAL023", "ada-fraction", E, dialects=AMCT)
def ada_fraction(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`ada_quantize.reg_param` or `warm_start` is not strictly between 0 and 1.

    ## What it does
    Checks the regularization weight and the warm-up fraction of ADA weight rounding, as float32
    values (0.99999999 is 1.0 in float32, and is rejected).

    ## Why is this bad?
    AMCT rejects the config ("reg_param must be less than 1 and larger than 0").

    With a PyTorch model (`--model m.pt`), only blocks some quantizable module takes are checked, as
    AMCT checks values module by module. Without a model every block is checked: a deliberate
    difference, since a bad value in an override for a type the model turns out not to have
    passes AMCT but is still a mistake waiting for the next model.

    ## Example
    ```
    ada_quantize { warm_start: 1 }
    ```

    ## Use instead
    ```
    ada_quantize { warm_start: 0.2 }
    ```
    """
    for block, ada in _configs(ctx, "ada_quantize"):
        for name in ("reg_param", "warm_start"):
            e = ada.entry(name)
            if e is not None and not 0 < amct_float(e.value) < 1:
                default = f"{ada.default(name):.2g}"
                yield _diag("CAL023", f"{name} must be greater than 0 and less than 1 (got {ctx.source(e)})"
                            f"{_where(block)}; write e.g. {name}: {default} (the default)", e,
                            (replace_value(e, default),))


@rule("CAL024", "ada-beta-range", E, dialects=AMCT)
def ada_beta(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`ada_quantize` needs `beta_range_start` > `beta_range_end` > 0.

    ## What it does
    Checks the annealing range of ADA weight rounding, with the defaults (20 and 2) for a bound
    that is not given, as float32 values.

    ## Why is this bad?
    AMCT rejects the config ("beta_range_start must large than beta_range_end",
    "beta_range_end must large than 0").

    With a PyTorch model (`--model m.pt`), only blocks some quantizable module takes are checked, as
    AMCT checks values module by module. Without a model every block is checked: a deliberate
    difference, since a bad value in an override for a type the model turns out not to have
    passes AMCT but is still a mistake waiting for the next model.

    ## Example
    ```
    ada_quantize { beta_range_start: 2 beta_range_end: 20 }
    ```

    ## Use instead
    ```
    ada_quantize { beta_range_start: 20 beta_range_end: 2 }
    ```
    """
    for block, ada in _configs(ctx, "ada_quantize"):
        first, last = ada.entry("beta_range_start"), ada.entry("beta_range_end")
        if first is None and last is None:
            continue
        start, end = amct_float(ada.value("beta_range_start")), amct_float(ada.value("beta_range_end"))
        if last is not None and not end > 0:
            yield _diag("CAL024", f"beta_range_end must be greater than 0 (got "
                                  f"{ctx.source(last)}){_where(block)}; "
                        "write e.g. beta_range_end: 2 (the default)", last, (replace_value(last, "2"),))
        elif not start > end:
            at = first if first is not None else last
            assert at is not None
            shown_start = ctx.source(first) if first is not None else "20, the default"
            shown_end = ctx.source(last) if last is not None else "2, the default"
            yield _diag("CAL024", f"beta_range_start ({shown_start}) must be greater than beta_range_end "
                        f"({shown_end}){_where(block)}: beta anneals from the start down to the end", at)


@rule("CAL025", "quant-bits", E, dialects=AMCT)
def quant_bits(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`arq_quantize.quant_bits` is not 4, 6, 7 or 8.

    ## What it does
    Checks the bit width of ARQ weight quantization. 6 and 7 are further limited to Conv2d layers
    (CAL026).

    ## Why is this bad?
    AMCT rejects the config ("weight num_bits is not in [4, 6, 7, 8]").

    With a PyTorch model (`--model m.pt`), only blocks some quantizable module takes are checked, as
    AMCT checks values module by module. Without a model every block is checked: a deliberate
    difference, since a bad value in an override for a type the model turns out not to have
    passes AMCT but is still a mistake waiting for the next model.

    ## Example
    ```
    arq_quantize { quant_bits: 5 }
    ```

    ## Use instead
    ```
    arq_quantize { quant_bits: 4 }
    ```
    """
    for block, arq in _configs(ctx, "arq_quantize"):
        e = arq.entry("quant_bits")
        if e is not None and e.value not in pt.WEIGHT_BITS:
            yield _diag("CAL025", f"quant_bits must be 4, 6, 7 or 8 (got "
                                  f"{ctx.source(e)}){_where(block)}; write "
                        "quant_bits: 8 (the default) or quant_bits: 4", e,
                        (replace_value(e, "8"), replace_value(e, "4")))


def _block_type(ctx: RuleContext, block: ConfigBlock) -> str | None:
    """The torch.nn type an override applies to: its layer_type, or the model's type of its module
    (any module: AMCT checks a layer override against the type of whatever module it names)."""
    if block.owner == TYPE_OVERRIDE:
        return block.key if block.key in pt.QUANTIZABLE_SET else None
    types = _torch_types(ctx)
    if block.owner == LAYER_OVERRIDE and types is not None and block.key is not None:
        return types.get(block.key)
    return None


def _unsupported(view: View, type_name: str) -> Iterator[tuple[Entry, str]]:
    """(entry, what AMCT says) for each setting of a block that layers of `type_name` cannot take."""
    dmq = view.entry("dmq_balancer")
    if dmq is not None and (type_name in pt.NO_DMQ or type_name not in pt.QUANTIZABLE_SET):
        yield dmq, "does not support dmq_balancer"
    ada = view.entry("ada_quantize")
    if ada is not None and type_name not in pt.ADA_ROUND:
        yield ada, "does not support ada_quantize (only Conv2d, ConvTranspose2d and Linear do)"
    for algorithm in ("ifmr_quantize", "hfmg_quantize"):
        act = view.sub(algorithm)
        if act is None:
            continue
        dst = act.entry("dst_type")
        if dst is not None and dst.value == INT16 and type_name not in pt.INT16:
            yield dst, "does not support INT16 activations"
        asym = act.entry("asymmetric")
        if asym is not None and asym.value is True and type_name in pt.SYMMETRIC_ONLY:
            yield asym, "takes only symmetric activations (asymmetric: false)"
    bits = view.get_in("arq_quantize", "quant_bits")
    if bits is not None and bits.value in pt.WINOGRAD_BITS and type_name not in pt.WINOGRAD:
        yield bits, f"does not support quant_bits: {bits.value} (only Conv2d does)"


@rule("CAL026", "override-unsupported-by-type", E, dialects=PYTORCH)
def unsupported_by_type(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An override gives a layer type something AMCT PyTorch cannot do for it.

    ## What it does
    Checks each `override_layer_types` entry (and, with `--model`, each `override_layer_configs`
    entry, by the type of its module: a BatchNorm2d or ReLU module supports none of these) against
    what the type supports: `dmq_balancer` (not AvgPool2d,
    LSTM, GRU), `ada_quantize` (only Conv2d, ConvTranspose2d, Linear), INT16 activations in
    `ifmr_quantize` / `hfmg_quantize` (not Conv3d, AvgPool2d), `asymmetric: true` (not Conv3d),
    `quant_bits` 6 and 7 (only Conv2d).

    ## Why is this bad?
    AMCT rejects such an override ("dmq_balancer not support for AvgPool2d type",
    "ada_quantizable not support for ...", "int16_quantizable not support for ...",
    "quant_bits 6 not support for ..."). From `common_config` the same settings are not an error:
    AMCT silently leaves them out (DMQ, ADA) or falls back (INT8, 8 bits) for such layers.

    ## Example
    ```
    override_layer_types {
        layer_type: "AvgPool2d"
        calibration_config { dmq_balancer { } }
    }
    ```

    ## Use instead
    ```
    override_layer_types {
        layer_type: "Conv2d"
        calibration_config { dmq_balancer { } }
    }
    ```
    """
    for block in config_blocks(ctx):
        if block.owner not in (TYPE_OVERRIDE, LAYER_OVERRIDE):
            continue
        type_name = _block_type(ctx, block)
        if type_name is None:
            continue  # unknown types and modules are other rules' findings
        what = f"{type_name} layers" if block.owner == TYPE_OVERRIDE else f"'{block.key}' ({type_name})"
        for e, problem in _unsupported(block.view, type_name):
            yield _diag("CAL026", f"{what} {problem}; AMCT rejects this override", e)


@rule("CAL027", "batch-num-zero", E, dialects=AMCT + ("retrain",))
def batch_num_zero(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`batch_num: 0`.

    ## What it does
    Checks the number of calibration batches (calibration configs) or of batches used to
    initialize the quantization factors (retrain configs).

    ## Why is this bad?
    AMCT rejects 0 ("The batch_num must be greater than zero").

    ## Example
    ```
    batch_num: 0
    ```

    ## Use instead
    ```
    batch_num: 1
    ```
    """
    entries = ctx.top("batch_num")
    if entries and entries[-1].value == 0:
        e = entries[-1]
        yield _diag("CAL027", "batch_num must be greater than 0; write batch_num: 1 (the default) or "
                              "the number "
                    "of batches you feed", e, (replace_value(e, "1"),))


@rule("CAL028", "every-type-skipped", E, dialects=PYTORCH)
def every_type_skipped(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`skip_layer_types` lists every type AMCT PyTorch quantizes.

    ## What it does
    Checks that at least one quantizable type (Conv1d, Conv2d, Conv3d, ConvTranspose1d,
    ConvTranspose2d, Linear, AvgPool2d, LSTM, GRU) is left to quantize.

    ## Why is this bad?
    AMCT rejects the config ("Except skip_types, no type need to quantize").

    ## Example
    ```
    skip_layer_types: ["Conv2d", "Conv3d", "Linear", "ConvTranspose2d", "AvgPool2d", "Conv1d",
                       "ConvTranspose1d", "GRU", "LSTM"]
    ```

    ## Use instead
    ```
    skip_layer_types: ["Conv3d", "LSTM"]
    ```
    """
    entries = ctx.top("skip_layer_types")
    if entries and pt.QUANTIZABLE_SET <= {e.value for e in entries}:
        yield _diag("CAL028", "skip_layer_types skips every type AMCT PyTorch quantizes, so nothing is "
                              "left to "
                    "quantize; remove the types you want quantized", entries[-1])
