"""Quantization-aware distillation of PyTorch models (distill dialect, executor.md §7, §9).

`distill(config, model, data, output=None, *, epochs=1, lr=1e-3, teacher=None, ...)`; torch is
imported only when it is called, never by `check`.
"""

from __future__ import annotations

from typing import Any


def distill(*args: Any, **kwargs: Any) -> Any:
    from .api import distill as run

    return run(*args, **kwargs)


distill.__doc__ = "Quantization-aware distillation; see amct_lang.executor.distill.api.distill."
