"""The `amct-lang` command: argument parsing and output only; the work is in the core."""

from .main import main

__all__ = ["main"]
