"""amct-lang: check, explain (and more subcommands as they land). Exit codes: 0 clean (warnings
allowed), 1 errors found, 2 usage error or unreadable input."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..schema.dialects import DIALECTS
from .inputs import InputError, read_source


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amct-lang", description="Check and format AMCT simple config files (.cfg).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="check config files and report problems")
    check.add_argument("files", nargs="+", metavar="FILE", help="config files; - for standard input")
    check.add_argument("--dialect", choices=sorted(DIALECTS), help="schema to check against "
                       "(default: from a '# proto-message:' header, else from the fields)")
    check.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    check.add_argument("--select", default="", help="only these codes or prefixes (comma-separated)")
    check.add_argument("--ignore", default="", help="skip these codes or prefixes (comma-separated)")
    check.add_argument("--verbose", "-v", action="store_true", help="say which dialect each file was checked as")
    explain = sub.add_parser("explain", help="print the documentation of a rule")
    explain.add_argument("code", nargs="?", help="rule code such as CAL002; omit to list all rules")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "explain":
        return cmd_explain(args)
    _parser().print_help()
    return 2


def cmd_check(args: argparse.Namespace) -> int:
    from ..analysis import analyze
    from .report import as_dict, json_report, text_report

    status = 0
    items = []
    for name in args.files:
        try:
            source = read_source(name)
        except InputError as exc:
            print(f"amct-lang: {exc}", file=sys.stderr)
            status = 2
            continue
        analysis = analyze(source.text, args.dialect, select=args.select.split(","),
                           ignore=args.ignore.split(","))
        if analysis.has_errors and status == 0:
            status = 1
        if args.verbose:
            print(f"{source.path}: checked as {analysis.dialect.name}: {analysis.dialect.reason}",
                  file=sys.stderr)
        if args.format == "json":
            items.extend(as_dict(source.path, analysis, d) for d in analysis.diagnostics)
        elif analysis.diagnostics:
            print(text_report(source.path, analysis, color=sys.stdout.isatty()))
    if args.format == "json":
        print(json_report(items))
    return status


def cmd_explain(args: argparse.Namespace) -> int:
    from ..rules import all_rules, get

    if not args.code:
        for r in all_rules():
            print(f"{r.code}  {r.severity.value:<7}  {r.name:<32} {r.summary}")
        return 0
    rule = get(args.code)
    if rule is None:
        print(f"amct-lang: unknown rule code {args.code!r}; 'amct-lang explain' lists them", file=sys.stderr)
        return 2
    print(f"{rule.code} ({rule.name}), default severity: {rule.severity.value}")
    if rule.dialects:
        print(f"dialects: {', '.join(rule.dialects)}")
    if rule.needs_model:
        print("needs: --model")
    print()
    print(rule.doc)
    return 0
