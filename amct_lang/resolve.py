"""The effective config of every layer: a short entry point to the semantic model.

The priority rules, the typed result and the block reader live in `amct_lang.semantic` (its
docstring describes the API); this module keeps the names callers import from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .semantic.resolve import CALIBRATION_DIALECTS, Blocks, Choice, resolve_model
from .semantic.types import EffectiveConfig, LayerConfig, LayerStatus, Source, SourceKind, TensorConfig, Value

if TYPE_CHECKING:
    from .document import BoundMessage
    from .model.index import ModelIndex

QUANTIZED = LayerStatus.QUANTIZED
SKIPPED = LayerStatus.SKIPPED
UNSUPPORTED = LayerStatus.UNSUPPORTED
TENSOR_ONLY = LayerStatus.TENSOR_ONLY


def resolve(root: BoundMessage, dialect: str, model: ModelIndex) -> EffectiveConfig:
    """The effective config of every layer of `model` under the document `root` (prefer
    `analysis.effective`, computed once per analysis)."""
    return resolve_model(root, dialect, model)


def block_for(root: BoundMessage, dialect: str, layer_name: str, layer_type: str) -> Choice:
    """Which skip entry or config block applies to a layer, without a model (types match by name
    and by the alias table, e.g. Conv2D for Conv)."""
    return Blocks(root, dialect).choose(layer_name, layer_type)


__all__ = ["CALIBRATION_DIALECTS", "QUANTIZED", "SKIPPED", "TENSOR_ONLY", "UNSUPPORTED", "Choice",
           "EffectiveConfig", "LayerConfig", "LayerStatus", "Source", "SourceKind", "TensorConfig", "Value",
           "block_for", "resolve"]
