"""CAL: rules of the calibration dialects (`calibration` for ATC/AOE, `calibration-onnx` for AMCT's
ONNX/TensorFlow/Caffe/PyTorch tools). Values are the effective ones AMCT uses: the last one given,
else the schema default; see context.View."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Fix, Related, Severity
from ..document import Entry
from ..semantic.types import Source
from ..vocab import (
    ASCEND_IR_TYPES,
    ASCEND_NAME,
    FRAMEWORK_NAMES,
    FRAMEWORK_TYPES,
    NO_INT16,
    NO_PER_CHANNEL,
    ONNX_TYPES,
    PYTORCH_TYPES,
)
from .catalog import REGISTRY, rule
from .context import (
    COMMON,
    LAYER_OVERRIDE,
    TENSOR,
    TYPE_OVERRIDE,
    ConfigBlock,
    RuleContext,
    View,
    config_blocks,
    remove_entries,
    remove_field,
    replace_string,
    replace_value,
)
from .values import amct_decimal, amct_float, is_live

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
CAL = ("calibration", "calibration-onnx", "calibration-pytorch")
ATC = ("calibration",)

PLACEHOLDERS = {"optype": "Optype", "opname": "Opname"}

INT8 = 1  # FMRQuantize.CalibrationDataType.INT8
NUM_STEPS = (16, 32)
MAX_ITERATION = 5
MAX_SEARCH_POINTS = 1000
MAX_CANDIDATES = 2 ** 31  # IFMR's candidate factors beyond this: AMCT's arange cannot be allocated


def _diag(code: str, message: str, start: int, end: int, *, severity: Severity | None = None,
          related: tuple[Related, ...] = (), fixes: tuple[Fix, ...] = ()) -> Diagnostic:
    return REGISTRY[code].diagnostic(message, start, end, severity=severity, related=related, fixes=fixes)


def _name(entry: Entry) -> tuple[int, int]:
    """The range of the field name of `entry` (`ifmr_quantize` in `ifmr_quantize { ... }`)."""
    return entry.node.name.start, entry.node.name.end


def _subs(ctx: RuleContext, name: str) -> list[tuple[ConfigBlock, View]]:
    """Every `name` sub-block (arq_quantize, ifmr_quantize, nuq_quantize, ...) with its block."""
    def build(ctx: RuleContext) -> list[tuple[ConfigBlock, View]]:
        out = []
        for block in config_blocks(ctx):
            sub = block.view.sub(name)
            if sub is not None:
                out.append((block, sub))
        return out

    return ctx.cached(f"subs:{name}", build)


def _where(block: ConfigBlock) -> str:
    return "" if block.owner == COMMON else f" (in {block.label})"


def _ambiguous(ctx: RuleContext) -> bool:
    """A file guessed to be `calibration` that an amct_onnx/PyTorch tool would read just as well."""
    return ctx.dialect == "calibration" and "calibration-onnx" in ctx.alternatives


@rule("CAL001", "version-not-1", E, dialects=ATC)
def version_not_1(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`version` is present and is not 1.

    ## What it does
    Checks the `version` of the simple config format, when it is given.

    ## Why is this bad?
    Version 1 is the only version of the format; ATC rejects any other.

    ## Example
    ```
    version: 2
    ```

    ## Use instead
    ```
    version: 1
    ```
    """
    entries = ctx.top("version")
    if entries and entries[-1].value != 1:
        e = entries[-1]
        yield _diag("CAL001", f"version must be 1, the only version of the format (got {ctx.source(e)}); "
                    "write version: 1", e.start, e.end, fixes=(replace_value(e, "1"),))


@rule("CAL002", "nuq-num-steps", E, dialects=CAL)
def nuq_num_steps(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`nuq_quantize.num_steps` is neither 16 nor 32.

    ## What it does
    Checks the number of steps of non-uniform quantization (in override blocks, `common_config`
    and `nuq_config`).

    ## Why is this bad?
    AMCT supports only 16 and 32 steps and rejects other values.

    ## Example
    ```
    nuq_quantize { num_steps: 20 }
    ```

    ## Use instead
    ```
    nuq_quantize { num_steps: 16 }
    ```
    """
    for _, nuq in _subs(ctx, "nuq_quantize"):
        e = nuq.entry("num_steps")
        if e is not None and e.value not in NUM_STEPS:
            yield _diag("CAL002", f"num_steps must be 16 or 32 (got {ctx.source(e)}); write num_steps: 16 or "
                        "num_steps: 32", e.start, e.end,
                        fixes=tuple(replace_value(e, str(n)) for n in NUM_STEPS))


@rule("CAL003", "nuq-iterations", E, dialects=CAL)
def nuq_iterations(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`nuq_quantize.num_of_iteration` is not in 0..5.

    ## What it does
    Checks the number of optimization iterations of non-uniform quantization.

    ## Why is this bad?
    AMCT accepts only 0 (no iteration) to 5. Each iteration repeats the whole non-uniform search
    over the weights, so calibration time grows steeply with the count.

    ## Example
    ```
    nuq_quantize { num_of_iteration: 10 }
    ```

    ## Use instead
    ```
    nuq_quantize { num_of_iteration: 1 }
    ```
    """
    for _, nuq in _subs(ctx, "nuq_quantize"):
        e = nuq.entry("num_of_iteration")
        if e is not None and not 0 <= e.value <= MAX_ITERATION:
            yield _diag("CAL003", f"num_of_iteration must be 0..5 (got {ctx.source(e)}); write a value "
                        "from 0 (no iteration) to 5, e.g. num_of_iteration: 1 (the default). Each iteration "
                        "repeats the whole search, so time grows steeply with it", e.start, e.end,
                        fixes=(replace_value(e, "1", "Replace with 1 (the default)"), replace_value(e, "5")))


@rule("CAL004", "asymmetric-weights", E, dialects=CAL)
def asymmetric_weights(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`arq_quantize.asymmetric: true` outside weight-only quantization.

    ## What it does
    Reports `asymmetric: true` in an `arq_quantize` whose block does not set
    `weight_compress_only: true`. In the `calibration-onnx` dialect (amct_onnx, TensorFlow, Caffe,
    PyTorch), which has no weight-only mode, `asymmetric: true` is always reported.

    ## Why is this bad?
    Asymmetric weights (with an offset) exist only in weight-only quantization; otherwise AMCT
    requires `asymmetric: false`. Each override replaces `common_config` as a whole, so an
    override needs its own `weight_compress_only: true`.

    ## Example
    ```
    common_config {
        arq_quantize { channel_wise: true asymmetric: true }
    }
    ```

    ## Use instead
    ```
    common_config {
        weight_compress_only: true
        arq_quantize { channel_wise: true asymmetric: true }
    }
    ```
    """
    for block in config_blocks(ctx):
        e = block.view.get_in("arq_quantize", "asymmetric")
        if e is None or e.value is not True or not block.is_config:
            continue
        fixes = (replace_value(e, "false"),)
        if ctx.dialect == "calibration-onnx":
            yield _diag("CAL004", "asymmetric: true needs weight-only quantization, which amct_onnx/"
                        "TensorFlow/Caffe/PyTorch configs do not have; write asymmetric: false",
                        e.start, e.end, fixes=fixes)
        elif block.view.value("weight_compress_only") is not True:
            yield _diag("CAL004", "asymmetric: true is allowed only with weight_compress_only: true in "
                        f"the same block{_where(block)}; write asymmetric: false, or add "
                        "weight_compress_only: true to this calibration config", e.start, e.end, fixes=fixes)


@rule("CAL005", "weight-only-with-activation-algorithm", E, dialects=ATC)
def weight_only_conflict(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`weight_compress_only: true` together with `ifmr_quantize` or `nuq_quantize`.

    ## What it does
    Reports an `ifmr_quantize` or `nuq_quantize` in a block that sets `weight_compress_only: true`.

    ## Why is this bad?
    Weight-only quantization leaves activations in floating point (so IFMR has nothing to do) and
    supports only ARQ for the weights; AMCT rejects the combination.

    ## Example
    ```
    common_config {
        weight_compress_only: true
        nuq_quantize { num_steps: 32 }
    }
    ```

    ## Use instead
    ```
    common_config {
        weight_compress_only: true
        arq_quantize { channel_wise: true }
    }
    ```
    """
    for block in config_blocks(ctx):
        if not block.is_config or not block.view:
            continue
        flag = block.view.entry("weight_compress_only")
        if flag is None or flag.value is not True:
            continue
        for algo, why in (("ifmr_quantize", "activations stay in floating point, so there is nothing "
                           "for IFMR "
                           "to calibrate"),
                          ("nuq_quantize", "weight-only quantization supports only arq_quantize")):
            e = block.view.entry(algo)
            if e is None:
                continue
            start, end = _name(e)
            yield _diag("CAL005", f"weight_compress_only: true cannot be combined with {algo}: {why}. Remove "
                        f"{algo}, or write weight_compress_only: false", start, end,
                        related=(Related(flag.start, flag.end, "weight_compress_only set here"),),
                        fixes=(Fix(f"Remove {algo}", (remove_field(ctx.text, e.node),)),))


def _model_type(ctx: RuleContext, block: ConfigBlock) -> str | None:
    """With an ONNX model, the op type of the node a layer override names."""
    model = ctx.model
    if block.owner != LAYER_OVERRIDE or model is None or getattr(model, "framework", None) != "onnx":
        return None
    layer = model.layers.get(block.key) if block.key is not None else None
    return layer.type if layer is not None else None


@rule("CAL006", "activation-int16", E, dialects=("calibration", "calibration-onnx"))
def activation_int16(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`ifmr_quantize.dst_type` is not INT8.

    ## What it does
    Reports `dst_type: INT16` in `ifmr_quantize` blocks. It is an error in the `calibration`
    dialect (ATC/AOE), and a warning in `calibration-onnx`, where AMCT PyTorch and ONNX accept
    INT16 for some layer types (Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Linear; ONNX
    Conv, Gemm, ConvTranspose) and silently fall back to INT8 for the others; an override for a
    type known to refuse INT16 (Conv3d, AvgPool2d, MatMul, AveragePool) is an error there, and so
    is, with `--model`, a layer override of a node of such a type (AMCT rejects both).
    `calibration-pytorch` files have their own check (CAL026). When a
    file's dialect is only guessed (no header) and both dialects fit, it is a warning.

    ## Why is this bad?
    The documentation of calibration_config.proto says INT16 parses but only INT8 is supported.

    ## Example
    ```
    ifmr_quantize { dst_type: INT16 }
    ```

    ## Use instead
    ```
    ifmr_quantize { dst_type: INT8 }
    ```
    For an amct_pytorch config that means INT16, name the dialect with a first line
    `# amct-dialect: calibration-onnx`.
    """
    for block, ifmr in _subs(ctx, "ifmr_quantize"):
        e = ifmr.entry("dst_type")
        if e is None or e.value == INT8:
            continue
        name = e.field.enum_type.values_by_number[e.value].name if e.value in \
            e.field.enum_type.values_by_number else str(e.value)
        fixes = (replace_value(e, "INT8"),)
        if ctx.dialect == "calibration-onnx":
            refused = block.owner == TYPE_OVERRIDE and block.key in NO_INT16
            if refused or _model_type(ctx, block) in NO_INT16:
                yield _diag("CAL006", f"AMCT does not quantize {block.key} layers with {name} activations "
                            "and rejects this override; write dst_type: INT8", e.start, e.end, fixes=fixes)
            else:
                yield _diag("CAL006", f"dst_type: {name}: the documentation supports only INT8; AMCT's "
                            "PyTorch/ONNX tools accept INT16 for some layer types and fall back to INT8 for "
                            "the others. Write dst_type: INT8 unless these layers support INT16",
                            e.start, e.end, severity=W, fixes=fixes)
        elif _ambiguous(ctx):
            yield _diag("CAL006", f"dst_type: {name} is not supported by ATC calibration (only INT8); write "
                        "dst_type: INT8. If this file is for amct_pytorch/amct_onnx, which accept INT16 for "
                        "some layers, add the first line '# amct-dialect: calibration-onnx'", e.start, e.end,
                        severity=W, fixes=fixes)
        else:
            yield _diag("CAL006", f"dst_type: {name} parses but is not supported: ATC quantizes "
                        "activations to INT8 only; write dst_type: INT8", e.start, e.end, fixes=fixes)


@rule("CAL007", "percentile-range", E, dialects=CAL)
def percentile_range(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`max_percentile` or `min_percentile` outside (0.5, 1.0].

    ## What it does
    Checks the percentile positions of IFMR, which are fractions: 0.999999 means the
    99.9999th percentile. Values are compared as AMCT compares them: the float32 value, exactly,
    so `1.00000001` is 1.0 (accepted) and `0.50000001` is 0.5 (rejected). With a PyTorch model,
    blocks no module takes are not checked (AMCT checks per module); without one every block is,
    a deliberate difference (see CAL021). The same holds for CAL008 and CAL009.

    ## Why is this bad?
    AMCT accepts only values above 0.5 and up to 1.0. A percentage (`99.9999`) is a common slip.

    ## Example
    ```
    ifmr_quantize { max_percentile: 99.9999 }
    ```

    ## Use instead
    ```
    ifmr_quantize { max_percentile: 0.999999 }
    ```
    """
    for block, ifmr in _subs(ctx, "ifmr_quantize"):
        if not is_live(ctx, block):
            continue  # with a PyTorch model: a block no module takes, which AMCT never checks
        fields = ifmr.fields
        for name in ("max_percentile", "min_percentile"):
            e = fields.get(name)
            # as AMCT compares: the float32 value, exactly (1.00000001 is 1.0; 0.50000001 is 0.5)
            if e is None or 0.5 < amct_float(e.value) <= 1.0:
                continue
            fixes = []
            if 50 < e.value <= 100:
                fraction = f"{e.value / 100:.10g}"
                fixes.append(replace_value(e, fraction, f"Replace with {fraction} (a fraction, not a "
                                                        "percentage)"))
            fixes.append(replace_value(e, "0.999999", "Replace with 0.999999 (the default)"))
            hint = f"; as a fraction, {fixes[0].edits[0].new_text}" if len(fixes) == 2 else ""
            yield _diag("CAL007", f"{name} must be greater than 0.5 and at most 1.0 (got {ctx.source(e)}"
                        f"{hint}); write e.g. {name}: 0.999999", e.start, e.end, fixes=tuple(fixes))


def _search_findings(ctx: RuleContext) -> dict[str, list[Diagnostic]]:
    """CAL008-CAL010 in one pass over the IFMR blocks: they share the effective search range."""
    return ctx.cached("search_findings", _find_search_problems)


def _find_search_problems(ctx: RuleContext) -> dict[str, list[Diagnostic]]:
    found: dict[str, list[Diagnostic]] = {"CAL008": [], "CAL009": [], "CAL010": []}

    def shown(e: Entry | None, value: float) -> str:
        return ctx.source(e) if e is not None else f"{value:.6g}, the default"

    for block, ifmr in _subs(ctx, "ifmr_quantize"):
        if not is_live(ctx, block):
            continue
        fields = ifmr.fields
        first, last, given = (fields.get("search_range_start"), fields.get("search_range_end"),
                              fields.get("search_step"))
        if first is None and last is None and given is None:
            continue  # the defaults are consistent
        start = first.value if first is not None else ifmr.default("search_range_start")
        end = last.value if last is not None else ifmr.default("search_range_end")
        step = given.value if given is not None else ifmr.default("search_step")
        # AMCT compares float32 values exactly, and the step with the range in decimal arithmetic
        start, end, step = amct_float(start), amct_float(end), amct_float(step)
        if first is not None and not start > 0:
            found["CAL008"].append(_diag(
                "CAL008", f"search_range_start must be greater than 0 (got {ctx.source(first)}); write e.g. "
                "search_range_start: 0.7", first.start, first.end))
        elif (first is not None or last is not None) and not start < end:
            at = first if first is not None else last
            assert at is not None
            found["CAL008"].append(_diag(
                "CAL008", f"search_range_start ({shown(first, start)}) must be less than search_range_end "
                f"({shown(last, end)}); write a start below the end, e.g. search_range_start: 0.7 with "
                "search_range_end: 1.3", at.start, at.end))
        if given is not None and not step > 0:
            found["CAL009"].append(_diag(
                "CAL009", f"search_step must be greater than 0 (got {ctx.source(given)}); write e.g. "
                "search_step: 0.01", given.start, given.end))
            continue
        if not 0 < start < end:
            continue
        width = end - start
        at = given or last or first
        assert at is not None
        if amct_decimal(step) > amct_decimal(end) - amct_decimal(start):
            found["CAL009"].append(_diag(
                "CAL009", f"search_step ({shown(given, step)}) is larger than the search range {width:.6g} "
                f"(search_range_end - search_range_start); write a step of at most {width:.6g}, e.g. "
                f"search_step: {width / 10:.3g}", at.start, at.end))
        elif width / step > MAX_CANDIDATES:
            found["CAL009"].append(_diag(
                "CAL009", f"search_step ({shown(given, step)}) is so small that IFMR would need "
                f"{width / step:.3g} candidate factors, more than AMCT can allocate (it fails with 'invalid "
                f"size'); write a larger step, e.g. search_step: {width / 100:.3g}", at.start, at.end))
        elif width / step > MAX_SEARCH_POINTS:
            found["CAL010"].append(_diag(
                "CAL010", f"IFMR would try {width / step:.0f} factors for every layer (range {width:.6g} / "
                f"step {step:.6g}), so calibration will appear to hang; write a larger step, e.g. "
                f"search_step: {width / 100:.3g}", at.start, at.end))
    return found


@rule("CAL008", "search-range", E, dialects=CAL)
def search_range(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`search_range_start` is not positive, or not less than `search_range_end`.

    ## What it does
    Checks the range IFMR searches for the quantization factor, with the defaults (0.7 and 1.3)
    for a bound that is not given.

    ## Why is this bad?
    AMCT requires 0 < search_range_start < search_range_end; an empty range has nothing to
    search.

    ## Example
    ```
    ifmr_quantize { search_range_start: 1.5 }
    ```

    ## Use instead
    ```
    ifmr_quantize { search_range_start: 0.7 search_range_end: 1.5 }
    ```
    """
    yield from _search_findings(ctx)["CAL008"]


@rule("CAL009", "search-step", E, dialects=CAL)
def search_step(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`search_step` is not positive, or larger than the search range.

    ## What it does
    Checks the step of the IFMR search against the range `search_range_end - search_range_start`
    (defaults 0.01, 0.7 and 1.3 for values not given), as AMCT decides it: each value as float32,
    read back as its shortest decimal, and "step <= end - start" in decimal arithmetic (0.6 for
    0.7..1.3 is accepted; 0.6000001 is not). A step so small that the search would need more than
    2^31 candidates is an error too.

    ## Why is this bad?
    AMCT requires 0 < search_step <= search_range_end - search_range_start; a larger step
    searches nothing but the start. A step near zero makes AMCT fail allocating the candidates
    ("invalid size, possible overflow").

    ## Example
    ```
    ifmr_quantize { search_range_start: 0.9 search_range_end: 1.1 search_step: 0.5 }
    ```

    ## Use instead
    ```
    ifmr_quantize { search_range_start: 0.9 search_range_end: 1.1 search_step: 0.01 }
    ```
    """
    yield from _search_findings(ctx)["CAL009"]


@rule("CAL010", "search-too-long", W, dialects=CAL)
def search_too_long(ctx: RuleContext) -> Iterator[Diagnostic]:
    """More than 1000 IFMR search points: calibration will appear to hang.

    ## What it does
    Computes `(search_range_end - search_range_start) / search_step`, the number of candidate
    factors IFMR tries for every quantized layer, and warns above 1000.

    ## Why is this bad?
    Each point is a full pass over the layer's calibration data; a tiny step makes calibration
    run for hours without output.

    ## Example
    ```
    ifmr_quantize { search_range_start: 0.7 search_range_end: 1.3 search_step: 0.0001 }
    ```

    ## Use instead
    ```
    ifmr_quantize { search_range_start: 0.7 search_range_end: 1.3 search_step: 0.01 }
    ```
    """
    yield from _search_findings(ctx)["CAL010"]


_SKIP_LISTS = ("skip_layers", "skip_layer_types", "skip_fusion_layers")


@rule("CAL011", "duplicate-layer", E, dialects=CAL)
def duplicate_layer(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer or type repeated in a skip list, or two overrides for one layer or one type.

    ## What it does
    Reports the second and later occurrences of a name in `skip_layers`, `skip_layer_types` or
    `skip_fusion_layers` (across all the lines and lists that give the field), and a second
    `override_layer_configs` entry for the same `layer_name` or `override_layer_types` entry for
    the same `layer_type`. A repeated skip item can be removed by the safe fix.

    ## Why is this bad?
    AMCT rejects these files ("Please delete repeated items in skip_layers"); for overrides, it
    would otherwise be unclear which block applies.

    ## Example
    ```
    skip_layers: ["conv1", "conv2"]
    skip_layers: "conv1"
    ```

    ## Use instead
    ```
    skip_layers: ["conv1", "conv2"]
    ```
    """
    for field in _SKIP_LISTS:
        seen: dict[str, Entry] = {}
        repeats: list[tuple[Entry, Entry]] = []
        for e in ctx.top(field):
            first = seen.get(e.value)
            if first is None:
                seen[e.value] = e
            else:
                repeats.append((e, first))
        if not repeats:
            continue
        edits = remove_entries(ctx.text, [e for e, _ in repeats])
        for e, first in repeats:
            yield _diag("CAL011", f"'{e.value}' is already in {field}; AMCT rejects repeated items. "
                        "Remove this one", e.start, e.end,
                        related=(Related(first.start, first.end, "first given here"),),
                        fixes=(Fix(f"Remove the repeated '{e.value}'", (edits[id(e)],), safe=True),))
    if len(ctx.top(LAYER_OVERRIDE)) < 2 and len(ctx.top(TYPE_OVERRIDE)) < 2:
        return  # no override can repeat another
    for again, earlier in ctx.config.repeats():
        key = "layer_name" if again.kind.value == LAYER_OVERRIDE else "layer_type"
        yield _diag("CAL011", f"a second {again.kind.value} entry for {key} '{again.detail}'; AMCT rejects "
                    "repeated overrides. Merge the two blocks into one", again.start or 0, again.end or 0,
                    related=(Related(earlier.start or 0, earlier.end or 0, "first entry for it here"),))


@rule("CAL012", "dead-override", W, dialects=CAL)
def dead_override(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An override for a layer or type that is also skipped.

    ## What it does
    Reports `override_layer_configs` entries whose `layer_name` is in `skip_layers`, and
    `override_layer_types` entries whose `layer_type` is in `skip_layer_types`.

    ## Why is this bad?
    Skipped layers are not quantized at all, so the override has no effect; usually one of the
    two lines is a leftover.

    ## Example
    ```
    skip_layers: "conv1"
    override_layer_configs { layer_name: "conv1" calibration_config { arq_quantize {} } }
    ```

    ## Use instead
    ```
    override_layer_configs { layer_name: "conv1" calibration_config { arq_quantize {} } }
    ```
    """
    if not ctx.top("skip_layers") and not ctx.top("skip_layer_types"):
        return
    config = ctx.config
    for block in config_blocks(ctx):
        e = block.key_entry
        if e is None or block.owner not in (LAYER_OVERRIDE, TYPE_OVERRIDE):
            continue
        # skips beat overrides: the semantic model says which skip entry removes the layers
        skip = config.skip(name=e.value) if block.owner == LAYER_OVERRIDE else config.skips_type(e.value)
        if skip is None:
            continue
        field, what = skip.kind.value, "layer" if block.owner == LAYER_OVERRIDE else "type"
        named = "" if skip.detail == e.value else f" (as '{skip.detail}')"
        yield _diag("CAL012", f"{what} '{e.value}' is in {field}{named}, so it is not quantized and this "
                    f"override has no effect; remove it from {field} or remove the override", e.start, e.end,
                    related=(Related(skip.start or 0, skip.end or 0, f"skipped here by {field}"),))


@rule("CAL013", "fusion-skip-without-fusion", W, dialects=CAL)
def fusion_skip_without_fusion(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`skip_fusion_layers` given while `do_fusion: false`.

    ## What it does
    Reports `skip_fusion_layers` when BatchNorm fusion is switched off.

    ## Why is this bad?
    With `do_fusion: false` no layer is fused, so the list has no effect; either the list or the
    switch is not what the author meant.

    ## Example
    ```
    do_fusion: false
    skip_fusion_layers: "conv1"
    ```

    ## Use instead
    ```
    do_fusion: true
    skip_fusion_layers: "conv1"
    ```
    """
    switch = ctx.top("do_fusion")
    skips = ctx.top("skip_fusion_layers")
    if skips and switch and switch[-1].value is False:
        start, end = _name(skips[0])
        yield _diag("CAL013", "skip_fusion_layers has no effect because do_fusion is false; write "
                    "do_fusion: true to fuse the other layers, or remove skip_fusion_layers", start, end,
                    related=(Related(switch[-1].start, switch[-1].end, "do_fusion set here"),))


_MAX_LISTED = 4


def _dropped(ctx: RuleContext, common: Source, block: ConfigBlock) -> list[tuple[str, Source]]:
    """Settings of common_config that a layer configured by `block` does not get (language.md §5):
    the semantic model resolves the layer both ways, and what common_config sets that the block's
    layer gets from a default instead is lost."""
    from ..semantic.types import SourceKind

    config = ctx.config
    name = block.key if block.owner == LAYER_OVERRIDE else None
    type_name = block.key if block.owner == TYPE_OVERRIDE else None
    mine = config.through(common, name, type_name)
    theirs = config.through(block.source, name, type_name)
    defaults = (SourceKind.DEFAULT, SourceKind.MODEL)
    out: list[tuple[str, Source]] = []
    for side in ("weights", "activation"):
        a, b = getattr(mine, side), getattr(theirs, side)
        if a is None or b is None:
            continue
        if type(a) is not type(b):  # another algorithm: lost only when the block names none
            if mine.source(side).kind is SourceKind.COMMON and theirs.source(side).kind in defaults:
                out.append((a.NAME, mine.source(side)))
            continue
        lost = {n: (v, s) for n, v, s in b.items() if s.kind in defaults}
        for field, value, src in a.items():
            if src.kind is not SourceKind.COMMON or field not in lost:
                continue
            other, other_src = lost[field]
            if other == value or other_src.kind is SourceKind.MODEL:
                continue  # the same value, or one only the model can tell
            if field == "channel_wise" and value is True:
                continue  # per-channel on a type without channels: AMCT rejects it there (CAL015)
            out.append((f"{a.NAME}.{field}", src))
    for field in ("weight_compress_only", "dmq_balancer"):
        src = mine.source(field)
        if src.kind is SourceKind.COMMON and theirs.source(field).kind in defaults and \
                getattr(mine, field) != getattr(theirs, field):
            out.append((field, src))
    return out


@rule("CAL014", "override-drops-common", INFO, dialects=CAL)
def override_drops_common(ctx: RuleContext) -> Iterator[Diagnostic]:
    """An override silently loses settings of `common_config`.

    ## What it does
    For each `override_layer_types` / `override_layer_configs` entry, lists the settings of
    `common_config` that the override does not repeat and that therefore fall back to the
    built-in defaults for its layers. Settings of another algorithm than the override chose are
    not listed, nor IFMR's `asymmetric`, which AMCT does inherit when both blocks use IFMR.

    ## Why is this bad?
    An override replaces `common_config` as a whole; it is not merged with it. Users often expect
    a merge and lose, for example, a tuned `search_step`.

    ## Example
    ```
    common_config { ifmr_quantize { search_step: 0.02 } }
    override_layer_types {
        layer_type: "Conv2D"
        calibration_config { arq_quantize { channel_wise: true } }
    }
    ```

    ## Use instead
    ```
    common_config { ifmr_quantize { search_step: 0.02 } }
    override_layer_types {
        layer_type: "Conv2D"
        calibration_config {
            arq_quantize { channel_wise: true }
            ifmr_quantize { search_step: 0.02 }
        }
    }
    ```
    """
    blocks = config_blocks(ctx)
    common = next((b for b in blocks if b.owner == COMMON), None)
    if common is None or not common.view.fields:
        return
    for block in blocks:
        if block.owner not in (TYPE_OVERRIDE, LAYER_OVERRIDE) or not block.view:
            continue
        dropped = _dropped(ctx, common.source, block)
        if not dropped:
            continue
        listed = ", ".join(f"{path} ({_text(ctx, s)} in common_config)" for path, s in dropped[:_MAX_LISTED])
        if len(dropped) > _MAX_LISTED:
            listed += f" and {len(dropped) - _MAX_LISTED} more"
        config_entry = block.view.messages[-1]
        anchor = next(e for e in block.entry.value.entries if e.value is config_entry)
        start, end = _name(anchor)
        yield _diag("CAL014", f"{block.label} replaces common_config as a whole, so it does not get "
                    f"{listed}: these take their built-in defaults here. Repeat them in this block if they "
                    "should apply",
                    start, end, related=tuple(Related(s.start or 0, s.end or 0,
                                                      f"{path} set in common_config")
                                              for path, s in dropped[:_MAX_LISTED]))


def _text(ctx: RuleContext, source: Source) -> str:
    return ctx.text[source.start:source.end] if source.start is not None else "?"


@rule("CAL015", "channel-wise-without-channels", E, dialects=CAL)
def channel_wise_without_channels(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`channel_wise: true` in a type override for a type without per-channel weights.

    ## What it does
    Reports `arq_quantize { channel_wise: true }` in `override_layer_types` entries for fully
    connected, matrix multiplication and pooling types (FullyConnection, MatMulV2, BatchMatMulV2,
    InnerProduct, Gemm, MatMul, Linear, AvgPool, AvgPoolV2, Pooling, AveragePool, AvgPool2d, ...).

    ## Why is this bad?
    These layers have one quantization factor for all their weights; AMCT rejects the override
    ("channel_wise can only be False for ... type").

    ## Example
    ```
    override_layer_types {
        layer_type: "FullyConnection"
        calibration_config { arq_quantize { channel_wise: true } }
    }
    ```

    ## Use instead
    ```
    override_layer_types {
        layer_type: "FullyConnection"
        calibration_config { arq_quantize { channel_wise: false } }
    }
    ```
    """
    for block in config_blocks(ctx):
        if block.owner != TYPE_OVERRIDE or block.key not in NO_PER_CHANNEL:
            continue
        view = block.view
        e = view.get_in("arq_quantize", "channel_wise") or view.get_in("ada_quantize", "channel_wise")
        if e is not None and e.value is True:
            yield _diag("CAL015", f"{block.key} layers have no per-channel weights, so channel_wise "
                        "must be false for them; write channel_wise: false", e.start, e.end,
                        fixes=(replace_value(e, "false"),))


def _type_entries(ctx: RuleContext) -> Iterator[Entry]:
    yield from ctx.top("skip_layer_types")
    for block in config_blocks(ctx):
        if block.owner == TYPE_OVERRIDE and block.key_entry is not None:
            yield block.key_entry


def _suggest(name: str, vocabulary: frozenset[str], preferred: frozenset[str]) -> str | None:
    """A known type for a misspelt one: same letters in another case first (`preferred` wins a tie)."""
    from ..suggest import closest

    return closest(name, vocabulary, prefer=preferred)


@rule("CAL016", "unknown-layer-type", W, dialects=CAL)
def unknown_layer_type(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer type AMCT does not quantize, or a misspelt one.

    ## What it does
    Checks `skip_layer_types` and `override_layer_types.layer_type` against the types the tools
    quantize, with a "did you mean". `calibration` files (ATC/AOE) name Ascend IR operator types
    (Conv2D, DepthwiseConv2D, Conv2DTranspose, Deconvolution, FullyConnection, MatMulV2,
    BatchMatMulV2, AvgPool, AvgPoolV2, Pooling, MaxPool, MaxPoolV3, Eltwise, Add, ...).
    `calibration-onnx` files name the source framework's types: ONNX (Conv, ConvTranspose, Gemm,
    MatMul, AveragePool, MaxPool, Add), PyTorch (Conv1d, Conv2d, Conv3d, ConvTranspose1d,
    ConvTranspose2d, Linear, AvgPool2d, LSTM, GRU), TensorFlow (Conv2D, DepthwiseConv2dNative,
    MatMul, AvgPool, ...) and Caffe (Convolution, Deconvolution, InnerProduct, Pooling, Eltwise).
    When the dialect is only guessed and both fit, both vocabularies are accepted.
    `calibration-pytorch` files name the torch.nn classes AMCT PyTorch quantizes (Conv1d, Conv2d,
    Conv3d, ConvTranspose1d, ConvTranspose2d, Linear, AvgPool2d, LSTM, GRU). A name that is not one
    of the dialect's types is an error when no AMCT flavour quantizes it (`conv2d`, `ReLU`,
    `Linearr`), and always in `calibration-pytorch`; a type of another flavour in the other dialects
    (an Ascend IR name in a `calibration-onnx` file) is a warning.

    ## Why is this bad?
    Type names are case-sensitive and differ between ATC and the frameworks; AMCT rejects an
    override or a skipped type it does not quantize ("Layer type X does not support quantize").

    ## Example
    ```
    skip_layer_types: "conv2d"
    ```

    ## Use instead
    ```
    skip_layer_types: "Conv2D"
    ```
    """
    if ctx.dialect == "calibration-pytorch":
        vocabulary, preferred = PYTORCH_TYPES, PYTORCH_TYPES
    elif ctx.dialect == "calibration-onnx":
        vocabulary, preferred = FRAMEWORK_TYPES, PYTORCH_TYPES | ONNX_TYPES
    elif _ambiguous(ctx):
        vocabulary, preferred = ASCEND_IR_TYPES | FRAMEWORK_TYPES, ASCEND_IR_TYPES
    else:
        vocabulary, preferred = ASCEND_IR_TYPES, ASCEND_IR_TYPES
    for e in _type_entries(ctx):
        name = e.value
        if name in vocabulary or name.lower() in PLACEHOLDERS:
            continue
        if ctx.dialect == "calibration" and name in ASCEND_NAME and not _ambiguous(ctx):
            hint = ASCEND_NAME[name]
            message = (f"'{name}' is a framework type; ATC configs name Ascend IR operator types: write "
                       f"'{hint}'")
        elif ctx.dialect == "calibration-onnx" and name in FRAMEWORK_NAMES:
            hint = None
            message = (f"'{name}' is an Ascend IR type, used by ATC configs; "
                       "amct_onnx/PyTorch/TensorFlow/Caffe "
                       f"configs name the framework's type: {FRAMEWORK_NAMES[name]}")
        else:
            hint = _suggest(name, vocabulary, preferred)
            kind = "Ascend IR operator type" if vocabulary is ASCEND_IR_TYPES else "layer type"
            message = f"'{name}' is not a {kind} AMCT quantizes"
            message += f"; did you mean '{hint}'?" if hint else \
                f"; known types: {', '.join(sorted(preferred))}"
        rejected = ctx.dialect == "calibration-pytorch" or name not in ASCEND_IR_TYPES | FRAMEWORK_TYPES
        if rejected:
            message += f" (AMCT rejects the file: 'Layer type {name} does not support quantize')"
        yield _diag("CAL016", message, e.start, e.end, severity=E if rejected else None,
                    fixes=(replace_string(e, ctx.text, hint),) if hint else ())


def _name_entries(ctx: RuleContext) -> Iterator[Entry]:
    for field in _SKIP_LISTS:
        yield from ctx.top(field)
    for block in config_blocks(ctx):
        if block.owner in (TYPE_OVERRIDE, LAYER_OVERRIDE, TENSOR) and block.key_entry is not None:
            yield block.key_entry


@rule("CAL017", "placeholder-name", W, dialects=CAL)
def placeholder_name(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A placeholder copied from the documentation (`Optype`, `Opname`).

    ## What it does
    Reports the placeholder names of the documentation's sample quant.cfg where a layer name or
    a layer type belongs.

    ## Why is this bad?
    No model has a layer named `Opname` or an operator type `Optype`; the line was copied from
    the sample and never filled in, so it does nothing (or makes AMCT stop on an unknown layer).

    ## Example
    ```
    skip_layer_types: "Optype"
    ```

    ## Use instead
    ```
    skip_layer_types: "Pooling"
    ```
    """
    for e in _name_entries(ctx):
        value = e.value
        placeholder = PLACEHOLDERS.get(value.lower()) if len(value) == 6 else None
        if placeholder is None:
            continue
        what = ("an Ascend IR operator type such as Conv2D" if placeholder == "Optype"
                else "the name of a layer of your model")
        yield _diag("CAL017", f"'{e.value}' is the placeholder of the documentation's sample; write {what}",
                    e.start, e.end)


@rule("CAL018", "nuq-no-gain", INFO, dialects=CAL)
def nuq_no_gain(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Non-uniform quantization is requested (`nuq_quantize`, `enable_auto_nuq: true`).

    ## What it does
    Points at each use of non-uniform quantization.

    ## Why is this bad?
    The AMCT documentation advises against NUQ in current versions: because of hardware
    restrictions it brings no performance benefit, while it costs calibration time and accuracy.

    ## Example
    ```
    enable_auto_nuq: true
    ```

    ## Use instead
    ```
    enable_auto_nuq: false
    ```
    Use `arq_quantize` for the weights.
    """
    auto = ctx.top("enable_auto_nuq")
    if auto and auto[-1].value is True:
        e = auto[-1]
        yield _diag("CAL018", "enable_auto_nuq: the AMCT documentation advises against non-uniform "
                    "quantization on current hardware, which gains no performance from it; consider "
                    "enable_auto_nuq: false",
                    e.start, e.end)
    for block, _ in _subs(ctx, "nuq_quantize"):
        entry = block.view.entry("nuq_quantize")
        if entry is None:
            continue
        start, end = _name(entry)
        yield _diag("CAL018", "nuq_quantize: the AMCT documentation advises against non-uniform "
                    "quantization on current hardware, which gains no performance from it; consider "
                    "arq_quantize",
                    start, end)


@rule("CAL019", "joint-quant", INFO, dialects=CAL)
def joint_quant(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`joint_quant: true` (Eltwise joint quantization) may cost accuracy.

    ## What it does
    Points at `joint_quant: true`.

    ## Why is this bad?
    Joint quantization of Eltwise inputs can speed some networks up, but the documentation warns
    that it may lower accuracy; check the accuracy of the quantized model.

    ## Example
    ```
    joint_quant: true
    ```

    ## Use instead
    ```
    joint_quant: false
    ```
    """
    entries = ctx.top("joint_quant")
    if entries and entries[-1].value is True:
        e = entries[-1]
        yield _diag("CAL019", "joint_quant: true (Eltwise joint quantization) may speed some networks "
                    "up but can cost accuracy; check the quantized model's accuracy, or write "
                    "joint_quant: false",
                    e.start, e.end)


@rule("CAL020", "tensor-quantize-redundant", W, dialects=CAL)
def tensor_quantize_redundant(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A `tensor_quantize` entry repeats another, or has an IFMR block that sets nothing.

    ## What it does
    Reports a second `tensor_quantize` entry for the same `layer_name` and `input_index`, and an
    empty `ifmr_quantize {}` inside `tensor_quantize` (the safe fix removes it: IFMR with its
    defaults is what AMCT uses without it).

    ## Why is this bad?
    Two entries for one input tensor leave it unclear which settings apply (the documentation's
    own sample has such a pair); an empty block only adds noise.

    ## Example
    ```
    tensor_quantize { layer_name: "pool1" input_index: 0 ifmr_quantize {} }
    tensor_quantize { layer_name: "pool1" input_index: 0 }
    ```

    ## Use instead
    ```
    tensor_quantize { layer_name: "pool1" input_index: 0 }
    ```
    """
    seen: dict[tuple[str, int], Entry] = {}
    for block in config_blocks(ctx):
        if block.owner != TENSOR:
            continue
        tq = block.view
        ifmr = tq.sub("ifmr_quantize")
        if ifmr is not None and not ifmr.fields:
            entry = tq.entry("ifmr_quantize")
            assert entry is not None
            start, end = _name(entry)
            removal = Fix("Remove the empty ifmr_quantize", (remove_field(ctx.text, entry.node),), safe=True)
            yield _diag("CAL020", "this ifmr_quantize sets nothing: tensor_quantize uses IFMR with its "
                        "defaults without it; set the fields you need or remove it", start, end,
                        fixes=(removal,) if len(ifmr.messages) == 1 else ())
        index = tq.entry("input_index")
        if block.key_entry is None or index is None:
            continue
        first = seen.setdefault((block.key_entry.value, index.value), block.key_entry)
        if first is not block.key_entry:
            e = block.key_entry
            yield _diag("CAL020", f"a second tensor_quantize entry for input {index.value} of "
                        f"'{e.value}'; keep one entry per input tensor and put all its settings there",
                        e.start, e.end,
                        related=(Related(first.start, first.end, "first entry for it here"),))
