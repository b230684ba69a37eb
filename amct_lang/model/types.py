"""The layer-type vocabulary, for the model index: it lives in amct_lang.vocab (one place for the
rules, the resolver, the index and the editor); these are its names under the old module."""

from __future__ import annotations

from ..vocab import (
    ACTIVATION,
    ALIASES,
    DIALECT_FRAMEWORK,
    FUSABLE_OPS,
    ONNX_OPS,
    TENSOR,
    TENSOR_ONLY_OPS,
    TORCH_GROUP_MODULES,
    TORCH_NONNEGATIVE,
    TORCH_QUANTIZABLE,
    WEIGHTS_AND_ACTIVATION,
    Alias,
    OpInfo,
    framework_for,
    onnx_types_of,
    op_info,
    quantizable_type_names,
    type_facts,
    type_match,
)

__all__ = ["ACTIVATION", "ALIASES", "DIALECT_FRAMEWORK", "FUSABLE_OPS", "ONNX_OPS", "TENSOR",
           "TENSOR_ONLY_OPS", "TORCH_GROUP_MODULES", "TORCH_NONNEGATIVE", "TORCH_QUANTIZABLE",
           "WEIGHTS_AND_ACTIVATION", "Alias", "OpInfo", "framework_for", "onnx_types_of", "op_info",
           "quantizable_type_names", "type_facts", "type_match"]
