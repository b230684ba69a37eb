"""amct-lang: one module per subcommand (check.py, explain.py, ...), registered in COMMANDS.

Exit codes: 0 clean (warnings allowed), 1 errors found, 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> module in this package with add_arguments(parser) and run(args) -> int
COMMANDS = {
    "check": "check",
    "explain": "explain",
    "fmt": "fmt",
    "resolve": "resolve",
    "lsp": "lsp",
    "run": "run",
    "distill": "distill",
}


def _parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="amct-lang", description="Check, format and run AMCT simple config files (.cfg).")
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
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
        # the reader of the output went away before the command finished (check keeps its own
        # exit status; see report.Output): what it did not read was not delivered
        from .report import silence

        silence(sys.stdout)
        return 1


class _Version(argparse.Action):
    """--version, looked up only when asked for (importlib.metadata costs start-up time)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"amct-lang {version()}")
        parser.exit()


def version() -> str:
    """The installed distribution's version (the checkout's, for an editable install)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("amct-lang")
    except PackageNotFoundError:
        return "(not installed)"
