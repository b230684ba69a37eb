"""Layer-type vocabulary as data: what AMCT quantizes, and which other names mean the same op.

Calibration works on ONNX op types (executor.md §2); users often write the Ascend IR / Caffe names
they know from ATC (`Conv2D`, `FullyConnection`, `Pooling`), which map to ONNX types here. Distillation
works on torch.nn module class names. Nothing here imports onnx or torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import Layer

# What a layer gets quantized as.
WEIGHTS_AND_ACTIVATION = "weights+activation"
ACTIVATION = "activation"
TENSOR = "tensor"  # only the input tensors, via tensor_quantize


@dataclass(frozen=True)
class OpInfo:
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
# Conv-like ops that BatchNormalization folds into (do_fusion / skip_fusion_layers).
FUSABLE_OPS = frozenset({"Conv", "ConvTranspose"})


@dataclass(frozen=True)
class Alias:
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

# executor.md §7: what distillation quantizes, and what may sit inside a distill group.
TORCH_QUANTIZABLE: dict[str, OpInfo] = {
    "Conv2d": OpInfo(WEIGHTS_AND_ACTIVATION, True),
    "Linear": OpInfo(WEIGHTS_AND_ACTIVATION, False),
}
TORCH_GROUP_MODULES = frozenset({"Conv2d", "Linear", "BatchNorm2d", "ReLU", "LeakyReLU", "Sigmoid", "Tanh",
                                 "Softmax"})
# Activations after which a ULQ clip_min defaults to fixed at 0 (fixed_min default true).
TORCH_NONNEGATIVE = frozenset({"ReLU", "ReLU6"})

# The dialects whose layer names and types come from each kind of model.
DIALECT_FRAMEWORK = {"calibration": "onnx", "calibration-onnx": "onnx", "distill": "torch"}


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


def op_info(type_name: str, framework: str) -> OpInfo | None:
    table = ONNX_OPS if framework == "onnx" else TORCH_QUANTIZABLE
    return table.get(type_name)


def quantizable_type_names(framework: str) -> list[str]:
    if framework == "onnx":
        return [t for t, info in ONNX_OPS.items() if info.kind != TENSOR]
    return list(TORCH_QUANTIZABLE)
