"""AMCT PyTorch's type vocabulary, as its capacity table (amct_pytorch capacity_config.csv) gives it.

Plain data with no imports: the rules of the calibration-pytorch, retrain and distill dialects read
it without a model, the model rules with one. Types are torch.nn class names (`type(m).__name__`).
"""

from __future__ import annotations

# Post-training quantization (calibration-pytorch), in AMCT's order.
QUANTIZABLE = ("Conv2d", "Conv3d", "Linear", "ConvTranspose2d", "AvgPool2d", "Conv1d", "ConvTranspose1d",
               "GRU", "LSTM")
QUANTIZABLE_SET = frozenset(QUANTIZABLE)
# activations quantized to INT16 (ifmr / hfmg dst_type: INT16)
INT16 = frozenset({"Conv2d", "Linear", "ConvTranspose2d", "Conv1d", "ConvTranspose1d", "GRU", "LSTM"})
# weights with one scale per output channel (channel_wise: true allowed, and its default)
CHANNEL_WISE = frozenset({"Conv2d", "Conv3d", "ConvTranspose2d", "Conv1d", "LSTM", "GRU", "ConvTranspose1d"})
# BatchNorm folds into these (skip_fusion_layers)
FUSE = frozenset({"Conv2d", "Conv3d", "Conv1d"})
# ada_quantize
ADA_ROUND = frozenset({"Conv2d", "ConvTranspose2d", "Linear"})
# dmq_balancer: every quantizable type but these
NO_DMQ = frozenset({"AvgPool2d", "LSTM", "GRU"})
# arq_quantize.quant_bits 6 and 7
WINOGRAD_BITS = (6, 7)
WINOGRAD = frozenset({"Conv2d"})
WEIGHT_BITS = (4, 6, 7, 8)
# activations only symmetric (asymmetric: true rejected)
SYMMETRIC_ONLY = frozenset({"Conv3d"})
HFMG_BINS = (1024, 2048, 4096, 8192)
DMQ_RANGE = (0.2, 0.8)

# Quantization-aware training (retrain).
RETRAIN = frozenset({"Conv1d", "Conv2d", "Conv3d", "Linear", "ConvTranspose2d", "LSTM", "GRU",
                     "ConvTranspose1d"})
# weights without per-channel scales in retrain / distill (channel_wise: true rejected)
NO_CHANNEL_WISE_RETRAIN = frozenset({"Linear", "MatMul", "InnerProduct", "Pooling", "AvgPool"})
# activation / weight data types a layer may combine (A<act bits>W<weight bits>); INT4 activations never
RETRAIN_ACT_WEIGHT = frozenset({(8, 8), (16, 8), (8, 4)})

# Distillation.
DISTILL = frozenset({"Conv2d", "Linear"})

# What AMCT PyTorch does with a required field a calibration file leaves out: text_format.Merge does
# not check required fields, so the loader sees the field's default.
_MISSING_REQUIRED = {
    ("OverrideLayerType", "calibration_config"):
        "AMCT PyTorch then gives these layers the built-in defaults (not common_config's values)",
    ("OverrideLayer", "calibration_config"):
        "AMCT PyTorch then gives this layer the built-in defaults (not common_config's values)",
    ("OverrideLayer", "layer_name"):
        "AMCT PyTorch reads it as \"\", the name of the model itself, and drops the override "
        "(or rejects it when it sets channel_wise: true)",
    ("OverrideLayerType", "layer_type"):
        "AMCT PyTorch reads it as \"\" and rejects the file ('Layer type  does not support quantize')",
}


def missing_required(dialect: str, message: str, field: str) -> str:
    """What AMCT does when `field` of `message` is missing, for the SCH005 message."""
    if dialect == "calibration-pytorch" and (message, field) in _MISSING_REQUIRED:
        return _MISSING_REQUIRED[(message, field)]
    return "AMCT does not notice at load time and fails later"


def quantized_types(dialect: str) -> frozenset[str] | None:
    """The torch.nn classes a dialect's layer-type fields may name (None: not a PyTorch dialect)."""
    return {"calibration-pytorch": QUANTIZABLE_SET, "retrain": RETRAIN, "distill": DISTILL}.get(dialect)
