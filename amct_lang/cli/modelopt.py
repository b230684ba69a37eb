"""The --model option shared by `check` and `resolve`: reading the model, matching it to the dialect."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import ModelIndex


def add_model_argument(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--model", metavar="PATH", required=required,
                        help="the model the config is for: ONNX (.onnx) for calibration configs, a "
                        "PyTorch module (.pt/.pth: TorchScript, or a pickled nn.Module, which runs its "
                        "pickle code: only give files you trust) for distillation configs; enables the "
                        "model checks (MOD rules)")


def load(path: str) -> ModelIndex | None:
    """The model, or None after printing why it cannot be read."""
    from ..model import ModelError, load_model

    try:
        return load_model(path)
    except ModelError as exc:
        print(f"amct-lang: {exc}", file=sys.stderr)
        return None


def mismatch(config: str, dialect: str, model: ModelIndex) -> str | None:
    """Why `model` cannot serve a file of `dialect`, or None when it can."""
    from ..model import framework_for

    wanted = framework_for(dialect)
    if wanted == model.framework:
        return None
    if wanted is None:
        return f"{config}: the {dialect} dialect has no model checks; --model is not used for it"
    kind = {"onnx": "an ONNX model (.onnx)", "torch": "a PyTorch model (.pt/.pth)"}
    return (f"{config}: a {dialect} config needs {kind[wanted]}, but {model.path} is "
            f"{kind[model.framework]}; model checks skipped")
