"""amct-lang lsp: run the language server over standard input/output (what editors start)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

HELP = "run the language server (LSP over stdio) for editors"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true",
                        help="talk LSP over standard input/output (the default and only transport)")


def run(args: argparse.Namespace) -> int:
    try:
        serve = _load()
    except ImportError as exc:
        print(f"amct-lang: the language server needs {exc.name or 'pygls'}: "
              "pip install '.[lsp]' in the amct-lang checkout", file=sys.stderr)
        return 2
    import logging

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="amct-lang lsp: %(levelname)s %(message)s")
    serve()
    return 0


def _load() -> Callable[[], None]:
    """The server's entry point: the installed amct_lsp package, or lsp/ of a source checkout."""
    try:
        from amct_lsp import run_stdio
    except ImportError as exc:
        from pathlib import Path

        checkout = Path(__file__).resolve().parents[2] / "lsp"
        if exc.name != "amct_lsp" or not (checkout / "amct_lsp").is_dir():
            raise
        sys.path.insert(0, str(checkout))
        from amct_lsp import run_stdio
    return run_stdio  # type: ignore[no-any-return]
