"""amct-lang check FILE...: report problems; exit 1 when any is an error."""

from __future__ import annotations

import argparse
import sys

from ..schema.dialects import DIALECTS
from .inputs import InputError, read_source

HELP = "check config files and report problems"
FORMATS = ["text", "json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="config files; - for standard input")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), help="schema to check against "
                        "(default: from a '# proto-message:' header, else from the fields)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("--select", default="", help="only these codes or prefixes (comma-separated)")
    parser.add_argument("--ignore", default="", help="skip these codes or prefixes (comma-separated)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="say which dialect each file was checked as, and why")


def run(args: argparse.Namespace) -> int:
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
