"""Layer-type vocabulary, as data, in one place: what AMCT quantizes and the names that mean it.

Calibration works on ONNX op types (executor.md §2); `calibration` files (ATC/AOE) name Ascend IR
operator types (`Conv2D`, `FullyConnection`, `Pooling`), `calibration-onnx` files the source
framework's types (Caffe, TensorFlow, ONNX, PyTorch). Distillation works on torch.nn module class
names. The rules, the resolver, the model index and the editor all read these tables; nothing
here imports anything heavier than `typing`, so the check path can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .model.index import Layer

# What a layer gets quantized as.
WEIGHTS_AND_ACTIVATION = "weights+activation"
ACTIVATION = "activation"
TENSOR = "tensor"  # only the input tensors, via tensor_quantize


class OpInfo(NamedTuple):
    kind: str
    per_channel: bool  # weights can take one scale per output channel


# executor.md §2: the ONNX ops AMCT's calibration quantizes.
ONNX_OPS: dict[str, OpInfo] = {
    "Conv": OpInfo(WEIGHTS_AND_ACTIVATION, True),
    "ConvTranspose": OpInfo(WEIGHTS_AND_ACTIVATION, True),
    "Gemm": OpInfo(WEIGHTS_AND_ACTIVATION, False),
    "MatMul": OpInfo(WEIGHTS_AND_ACTIVATION, False),
    "AveragePool": OpInfo(ACTIVATION, False),
    "MaxPool": OpInfo(TENSOR, False),
    "Add": OpInfo(TENSOR, False),
}
# ONNX ops quantized only through tensor_quantize (their input tensors).
TENSOR_ONLY_OPS = tuple(t for t, info in ONNX_OPS.items() if info.kind == TENSOR)
# Conv-like ops that BatchNormalization folds into (do_fusion / skip_fusion_layers).
FUSABLE_OPS = frozenset({"Conv", "ConvTranspose"})


class Alias(NamedTuple):
    """Another framework's name for ONNX op types, optionally narrowed by the weight's shape."""

    onnx_types: tuple[str, ...]
    weight_rank: int | None = None  # Conv2D: 4-D weights only; Conv3D: 5-D
    depthwise: bool = False  # one input channel per group


# Ascend IR (ATC), Caffe and TensorFlow names for the ops above (executor.md §2).
ALIASES: dict[str, Alias] = {
    "Conv2D": Alias(("Conv",), weight_rank=4),
    "Conv3D": Alias(("Conv",), weight_rank=5),
    "DepthwiseConv2D": Alias(("Conv",), weight_rank=4, depthwise=True),
    "Convolution": Alias(("Conv",)),
    "Conv2DTranspose": Alias(("ConvTranspose",)),
    "Deconvolution": Alias(("ConvTranspose",)),
    "Conv2DBackpropInput": Alias(("ConvTranspose",)),
    "FullyConnection": Alias(("Gemm",)),
    "InnerProduct": Alias(("Gemm",)),
    "MatMulV2": Alias(("Gemm", "MatMul")),
    "BatchMatMulV2": Alias(("MatMul",)),
    "AvgPool": Alias(("AveragePool",)),
    "AvgPoolV2": Alias(("AveragePool",)),
    "Pooling": Alias(("AveragePool",)),
    "MaxPoolV3": Alias(("MaxPool",)),
    "Eltwise": Alias(("Add",)),
}

# -- the names each calibration dialect's files use ------------------------------------------------
# Ascend IR operator types ATC/AOE quantize: what `calibration` (calibration_config.proto) files name.
ASCEND_IR_TYPES = frozenset({
    "Conv2D", "Conv3D", "DepthwiseConv2D", "Conv2DTranspose", "Conv2DBackpropInput", "Deconvolution",
    "FullyConnection", "MatMulV2", "BatchMatMulV2", "AvgPool", "AvgPoolV2", "Pooling",
    "MaxPool", "MaxPoolV3", "Eltwise", "Add",
})
# Source-framework types the AMCT tools quantize: what `calibration-onnx` files name.
CAFFE_TYPES = frozenset({"Convolution", "Deconvolution", "InnerProduct", "Pooling", "Eltwise"})
TENSORFLOW_TYPES = frozenset({
    "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "MatMul", "BatchMatMulV2",
    "AvgPool", "MaxPool", "Add",
})
ONNX_TYPES = frozenset(ONNX_OPS)
PYTORCH_TYPES = frozenset({
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "Linear", "AvgPool2d", "LSTM", "GRU",
})
FRAMEWORK_TYPES = CAFFE_TYPES | TENSORFLOW_TYPES | ONNX_TYPES | PYTORCH_TYPES
# The Ascend IR type ATC uses for a framework's type (the documentation's table of quantizable layers).
ASCEND_NAME = {
    "Convolution": "Conv2D", "Conv": "Conv2D", "Conv1d": "Conv2D", "Conv2d": "Conv2D", "Conv3d": "Conv3D",
    "InnerProduct": "FullyConnection", "Gemm": "MatMulV2", "MatMul": "MatMulV2", "Linear": "MatMulV2",
    "ConvTranspose": "Conv2DTranspose", "ConvTranspose2d": "Conv2DTranspose",
    "DepthwiseConv2dNative": "DepthwiseConv2D", "AveragePool": "AvgPoolV2", "AvgPool2d": "AvgPoolV2",
}
# ...and the framework types an Ascend IR type stands for.
FRAMEWORK_NAMES = {
    "FullyConnection": "Gemm (ONNX), Linear (PyTorch), InnerProduct (Caffe)",
    "MatMulV2": "Gemm or MatMul (ONNX), Linear (PyTorch), MatMul (TensorFlow)",
    "Conv2DTranspose": "ConvTranspose (ONNX), ConvTranspose2d (PyTorch)",
    "DepthwiseConv2D": "Conv (ONNX), Conv2d (PyTorch), DepthwiseConv2dNative (TensorFlow)",
    "AvgPoolV2": "AveragePool (ONNX), AvgPool2d (PyTorch)",
    "MaxPoolV3": "MaxPool",
}
# Types whose weights have no per-output-channel scales (or that have no weights at all).
NO_PER_CHANNEL = frozenset({
    "FullyConnection", "InnerProduct", "MatMulV2", "BatchMatMulV2", "MatMul", "Gemm", "Linear",
    "AvgPool", "AvgPoolV2", "Pooling", "AveragePool", "AvgPool2d", "MaxPool", "MaxPoolV3", "Eltwise", "Add",
})
# Types whose weights take one scale per output channel (channel_wise defaults to true for them).
PER_CHANNEL = (ASCEND_IR_TYPES | FRAMEWORK_TYPES) - NO_PER_CHANNEL
# Types without weights: pooling and element-wise ops.
NO_WEIGHTS = frozenset({"AvgPool", "AvgPoolV2", "Pooling", "AveragePool", "AvgPool2d", "MaxPool", "MaxPoolV3",
                        "Eltwise", "Add"})
# Known types AMCT's PyTorch/ONNX tools refuse INT16 activations for (the others accept it).
NO_INT16 = frozenset({"Conv3d", "AvgPool2d", "MatMul", "AveragePool"})

# -- distillation (executor.md §7) -----------------------------------------------------------------
TORCH_QUANTIZABLE: dict[str, OpInfo] = {
    "Conv2d": OpInfo(WEIGHTS_AND_ACTIVATION, True),
    "Linear": OpInfo(WEIGHTS_AND_ACTIVATION, False),
}
# What else may sit inside a distill group, besides the quantized modules.
TORCH_GROUP_ONLY = frozenset({"BatchNorm2d", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax"})
TORCH_GROUP_MODULES = frozenset(TORCH_QUANTIZABLE) | TORCH_GROUP_ONLY
# Activations after which a ULQ clip_min defaults to fixed at 0 (fixed_min default true).
TORCH_NONNEGATIVE = frozenset({"ReLU", "ReLU6"})
TORCH_NO_PER_CHANNEL = frozenset(t for t, info in TORCH_QUANTIZABLE.items() if not info.per_channel)

# The dialects whose layer names and types come from each kind of model.
DIALECT_FRAMEWORK = {"calibration": "onnx", "calibration-onnx": "onnx", "calibration-pytorch": "torch",
                     "distill": "torch", "retrain": "torch"}


def framework_for(dialect: str) -> str | None:
    """The kind of model whose names a dialect's files use, or None when model rules do not apply."""
    return DIALECT_FRAMEWORK.get(dialect)


def onnx_types_of(type_name: str) -> tuple[str, ...]:
    """The ONNX op types a config's layer-type string can stand for."""
    alias = ALIASES.get(type_name)
    if alias is not None:
        return alias.onnx_types
    return (type_name,)


def type_match(type_name: str, layer: Layer) -> int:
    """How well a config's layer-type string names `layer`: 2 its own type, 1 an alias of it, 0 no."""
    if type_name == layer.type:
        return 2
    if layer.framework != "onnx":
        return 0
    alias = ALIASES.get(type_name)
    if alias is None or layer.type not in alias.onnx_types:
        return 0
    shape = layer.weight_shape
    if shape is not None:
        if alias.weight_rank is not None and len(shape) != alias.weight_rank:
            return 0
        if alias.depthwise and not (layer.group > 1 and len(shape) > 1 and shape[1] == 1):
            return 0
    return 1


def names_match(config_type: str, type_name: str) -> int:
    """Without a model: 2 the same name, 1 two names for a common ONNX type (Conv2D ~ Conv), 0 no."""
    if config_type == type_name:
        return 2
    return 1 if set(onnx_types_of(config_type)) & set(onnx_types_of(type_name)) else 0


def covers(skip_type: str, type_name: str) -> bool:
    """Whether skipping `skip_type` removes every layer that `type_name` can name (`Conv` covers
    `Conv2D`; `Conv2D` does not cover `Conv`: it names only the convolutions with 4-D weights)."""
    if skip_type == type_name:
        return True
    narrowed = ALIASES.get(skip_type)
    if narrowed is not None and (narrowed.weight_rank is not None or narrowed.depthwise):
        return False
    return set(onnx_types_of(type_name)) <= set(onnx_types_of(skip_type))


def op_info(type_name: str, framework: str) -> OpInfo | None:
    table = ONNX_OPS if framework == "onnx" else TORCH_QUANTIZABLE
    return table.get(type_name)


def quantizable_type_names(framework: str) -> list[str]:
    if framework == "onnx":
        return [t for t, info in ONNX_OPS.items() if info.kind != TENSOR]
    return list(TORCH_QUANTIZABLE)


def type_facts(type_name: str) -> tuple[bool | None, bool]:
    """(per-channel weights, has weights) of a layer known only by its type's name (no model), in
    any of the vocabularies above. per-channel None: a type not known here."""
    if type_name in PER_CHANNEL:
        return True, True
    if type_name in NO_PER_CHANNEL:
        return False, type_name not in NO_WEIGHTS
    infos = [ONNX_OPS[t] for t in onnx_types_of(type_name) if t in ONNX_OPS]
    if not infos:
        return None, True
    return any(i.per_channel for i in infos), any(i.kind == WEIGHTS_AND_ACTIVATION for i in infos)
