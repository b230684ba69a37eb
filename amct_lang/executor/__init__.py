"""Executors: run what a validated config describes (executor.md).

- `quant`: the quantization arithmetic shared by every executor (numpy only): quantize /
  dequantize, scales and offsets, ARQ for weights, IFMR for activations (exact and streaming).
- `record`: the ScaleOffsetRecord text writer (the `record` dialect).
- `ptq`: post-training quantization of ONNX models (`amct-lang run`, `amct_lang.quantize`).

Nothing here is imported by `check`; numpy, onnx and onnxruntime load only when an executor runs.
"""
