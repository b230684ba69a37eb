"""amct-lang check FILE...: report problems; exit 1 when any is an error."""

from __future__ import annotations

import argparse
import sys

from ..schema.dialects import DIALECTS
from . import modelopt
from .inputs import InputError, read_source

HELP = "check config files and report problems"
FORMATS = ["text", "json", "sarif", "github"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="config files; - for standard input")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), help="schema to check against "
                        "(default: from a '# proto-message:' header, else from the fields)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format (sarif: SARIF 2.1.0; github: GitHub Actions annotations)")
    parser.add_argument("--fix", action="store_true",
                        help="apply safe fixes in place and report what remains (with -: print the fixed "
                        "text; the report goes to standard error)")
    parser.add_argument("--select", default="", help="only these codes or prefixes (comma-separated)")
    parser.add_argument("--ignore", default="", help="skip these codes or prefixes (comma-separated)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="say which dialect each file was checked as, and why")
    modelopt.add_model_argument(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis import Analysis, analyze
    from .report import as_dict, json_report, text_report

    status = 0
    items = []
    checked = []  # (path, analysis) for the SARIF log
    # with `--fix -` the fixed text owns standard output
    out = sys.stderr if args.fix and "-" in args.files else sys.stdout

    model = None
    if args.model:
        model = modelopt.load(args.model)
        if model is None:
            return 2

    def reanalyze(text: str) -> Analysis:
        return analyze(text, args.dialect, model=model, select=args.select.split(","),
                       ignore=args.ignore.split(","))

    for name in args.files:
        try:
            source = read_source(name)
        except InputError as exc:
            print(f"amct-lang: {exc}", file=sys.stderr)
            status = 2
            continue
        analysis = reanalyze(source.text)
        if args.fix:
            from .autofix import fix_in_place

            analysis, failed = fix_in_place(name, source, analysis, reanalyze,
                                            out if args.format == "text" else sys.stderr)
            if failed:
                status = 2
        if model is not None and (problem := modelopt.mismatch(source.path, analysis.dialect.name, model)):
            print(f"amct-lang: {problem}", file=sys.stderr)
            status = 2
        if analysis.has_errors and status == 0:
            status = 1
        if args.verbose:
            print(f"{source.path}: checked as {analysis.dialect.name}: {analysis.dialect.reason}",
                  file=sys.stderr)
        if args.format == "json":
            items.extend(as_dict(source.path, analysis, d) for d in analysis.diagnostics)
        elif args.format == "sarif":
            checked.append((source.path, analysis))
        elif args.format == "github":
            if analysis.diagnostics:
                from .github import github_report

                print(github_report(source.path, analysis), file=out)
        elif analysis.diagnostics:
            print(text_report(source.path, analysis, color=out.isatty()), file=out)
    if args.format == "json":
        print(json_report(items), file=out)
    elif args.format == "sarif":
        from .sarif import sarif_report

        print(sarif_report(checked), file=out)
    return status
