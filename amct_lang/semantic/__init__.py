"""The semantic model: what a config means, computed once, in types a program can use.

Every consumer (the rules, hover, `amct-lang resolve`, the PTQ and distillation executors) reads
this; nobody else applies AMCT's priority rules. Modules:

- `types`    the typed result (below), the enums `SourceKind` / `LayerStatus`, `float32()`;
- `blocks`   the one block reader (`View`: protobuf's merge semantics for repeated blocks);
- `resolve`  the priority rules (which block a layer takes, the defaults of what it leaves unset);
- `config`   the config-only form (no model) and `Semantic`, the per-analysis cache;
- `present`  presentation: names, shortest float text, source tags (never used for decisions).

Using it (executors):

    from amct_lang.analysis import analyze
    from amct_lang.semantic import effective_config, LayerStatus, ARQ, NUQ, IFMR, HFMG

    analysis = analyze(text, model=index)           # index: amct_lang.model.load_model(path)
    config = effective_config(analysis, index)       # EffectiveConfig, computed once per analysis
    for name, lc in config.layers.items():           # graph order; name = ONNX node / module name
        lc.status                                    # LayerStatus.QUANTIZED / SKIPPED / UNSUPPORTED /
                                                     # TENSOR_ONLY; lc.reason: the Source saying why
        lc.weights       # ARQ(channel_wise, asymmetric, quant_bits) | NUQ(num_steps, num_of_iteration)
                         # | ADA(...) | None (no weights: AveragePool);
                         # distill: ARQDistill / ULQDistill(dst_type, channel_wise)
        lc.activation    # IFMR(search_range_start, search_range_end, search_step, max_percentile,
                         # min_percentile, asymmetric (resolved: block, else common_config, else
                         # activation_offset), dst_type) | HFMG(num_of_bins, asymmetric, dst_type)
                         # | None (weight_compress_only); distill: ULQ(clip_max_min: ClipMaxMin |
                         # None = initialised by IFMR, fixed_min (resolved), dst_type)
        lc.weight_compress_only, lc.bn_fusion, lc.auto_nuq, lc.dmq_balancer, lc.dst_type
        lc.quant_enable                              # distill: quantized (not skipped)
        lc.inputs                                    # TensorConfig of tensor_quantize on its inputs
        lc.weights.source("channel_wise")            # Source(kind=SourceKind.COMMON, start, end, ...)
    config.settings   # CalibrationSettings(activation_offset, joint_quant, do_fusion,
                      # skip_fusion_layers, enable_auto_nuq, batch_num, version, nuq_config, ...)
                      # or DistillSettings(batch_num, group_size, data_dump, distill_groups)
    config.tensors    # every tensor_quantize entry: TensorConfig(layer, input_index, activation: IFMR)

Values are as AMCT receives them: float fields are float32 values (the default
`IFMR.search_step == float32(0.01)`), enums are IntEnum members (`CalibrationDataType.INT8`,
`DataType.INT4`), nested messages are typed objects (`ULQ.init_by_ifmr`: no clip_max_min given).
Typed objects are immutable, compare by value, support `match` (`case ARQ(channel_wise=True)`) and
give `(name, value, source)` triples with `.items()` for the fields their dialect's message has.

Without a model, `analysis.semantic.config` (a `ConfigOnly`) answers what a layer of a given name
and/or type gets (`.layer(name, type)`), which skip entry removes it (`.skip(...)`), and what a
given block would give (`.through(block, type_name=...)`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..model.index import ModelIndex
    from .config import ConfigOnly, Semantic, model_fits
    from .types import (
        ADA,
        ARQ,
        HFMG,
        IFMR,
        NUQ,
        ULQ,
        Algorithm,
        ARQDistill,
        CalibrationDataType,
        CalibrationSettings,
        ClipMaxMin,
        Configured,
        DataType,
        DistillGroup,
        DistillSettings,
        DMQBalancer,
        EffectiveConfig,
        LayerConfig,
        LayerStatus,
        NuqConfig,
        Source,
        SourceKind,
        TensorConfig,
        ULQDistill,
        Value,
        float32,
    )

_FROM_CONFIG = ("ConfigOnly", "Semantic", "model_fits")


def __getattr__(name: str) -> Any:
    """The names of the submodules, imported on first use: the rules import only `blocks` on
    every check, the rest when they first ask what a layer gets."""
    if name in _FROM_CONFIG:
        from . import config

        return getattr(config, name)
    if name in __all__:
        from . import types

        return getattr(types, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ModelMismatch(ValueError):
    """The model is not of the kind the config's dialect configures (an ONNX file for distill)."""


def effective_config(analysis: Analysis, model: ModelIndex | None = None) -> EffectiveConfig:
    """Every layer's config under `analysis` and `model` (default: the model it was analyzed with).

    The analysis's own model gives its cached result (`analysis.effective`); another model is
    resolved against the same blocks. Raises ModelMismatch for a model of the wrong kind and
    ValueError when there is no model at all."""
    from .config import model_fits

    semantic = analysis.semantic
    if model is None or model is semantic.model:
        if semantic.model is None:
            raise ValueError("effective_config needs a model: analyze(text, model=...) or pass one")
        if not model_fits(semantic.dialect, semantic.model):
            raise ModelMismatch(f"a {semantic.model.framework} model does not fit a {semantic.dialect} "
                                "config")
        result = semantic.effective
        assert result is not None
        return result
    if not model_fits(semantic.dialect, model):
        raise ModelMismatch(f"a {model.framework} model does not fit a {semantic.dialect} config")
    from .resolve import resolve_model

    return resolve_model(analysis.root, semantic.dialect, model, semantic.config.blocks)


__all__ = [
    "ADA", "ARQ", "HFMG", "IFMR", "NUQ", "ULQ", "ARQDistill", "Algorithm", "CalibrationDataType",
    "CalibrationSettings", "ClipMaxMin", "ConfigOnly", "Configured", "DMQBalancer", "DataType",
    "DistillGroup", "DistillSettings", "EffectiveConfig", "LayerConfig", "LayerStatus", "ModelMismatch",
    "NuqConfig", "Semantic", "Source", "SourceKind", "TensorConfig", "ULQDistill", "Value",
    "effective_config", "float32", "model_fits",
]
