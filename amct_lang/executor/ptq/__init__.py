"""Post-training quantization of ONNX models, as AMCT computes it (executor.md §1-6, §8).

    from amct_lang import quantize          # = amct_lang.executor.ptq.quantize
    result = quantize("quant.cfg", "model.onnx", batches, output="out/net")

Stages (each a module, plain data between them): `graph` (load and check), `plan` (from the effective
config), `fusion` (BN folding), `weights` (ARQ/NUQ), `calibrate` (onnxruntime + IFMR/HFMG streams),
`writers` (fake-quant, deploy and Ascend models), `report`, and `pipeline`, which runs them.
"""

from __future__ import annotations

from .errors import PtqError
from .pipeline import Result, quantize

__all__ = ["PtqError", "Result", "quantize"]
