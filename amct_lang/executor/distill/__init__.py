"""Quantization-aware distillation of PyTorch models (distill dialect, executor.md §7, §9).

torch is imported only by the modules of this package, never by `check`.
"""
