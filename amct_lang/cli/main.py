"""amct-lang: one module per subcommand (check.py, explain.py, ...), registered in COMMANDS.

Exit codes: 0 clean (warnings allowed), 1 errors found, 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# subcommand -> module in this package with add_arguments(parser) and run(args) -> int
COMMANDS = {
    "check": "check",
    "explain": "explain",
    "fmt": "fmt",
    "resolve": "resolve",
    "lsp": "lsp",
    "run": "run",
}


def _parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="amct-lang", description="Check, format and run AMCT simple config files (.cfg).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, object] = {}
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"{__package__}.{module_name}")
        modules[name] = module
        sub_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)  # type: ignore[attr-defined]
        module.add_arguments(sub_parser)  # type: ignore[attr-defined]
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args))  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
