"""amct-lang check FILE...: report problems; exit 1 when any is an error."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..schema.dialects import DIALECTS
from . import modelopt
from .inputs import InputError, read_source

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..model.index import ModelIndex
    from .report import Output

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
    from ..analysis import analyze
    from .report import Output, as_dict, json_report, summary

    select, ignore = codes_option("--select", args.select), codes_option("--ignore", args.ignore)
    if select is None or ignore is None:
        return 2
    status = 0
    items: list[dict[str, object]] = []
    checked = []  # (path, analysis) for the SARIF log and the summary
    # with `--fix -` the fixed text owns standard output
    out = Output(sys.stderr if args.fix and "-" in args.files else sys.stdout)

    model = None
    if args.model:
        model = modelopt.load(args.model)
        if model is None:
            return 2

    def reanalyze(text: str) -> Analysis:
        return analyze(text, args.dialect, model=model, select=select, ignore=ignore)

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
                                            out.stream if args.format == "text" else sys.stderr)
            if failed:
                status = 2
        if _model_mismatch(model, source.path, analysis):
            status = 2
        if analysis.has_errors and status == 0:
            status = 1
        if args.verbose:
            print(f"{source.path}: checked as {analysis.dialect.name}: {analysis.dialect.reason}",
                  file=sys.stderr)
        checked.append((source.path, analysis))
        items.extend(as_dict(source.path, analysis, d) for d in analysis.diagnostics if args.format == "json")
        _print_findings(args.format, out, source.path, analysis)
    if args.format == "json":
        out.print(json_report(items))
    elif args.format == "sarif":
        from .sarif import sarif_report

        out.print(sarif_report(checked))
    elif args.format == "text" and any(analysis.diagnostics for _, analysis in checked):
        out.print(summary(len(checked), (analysis for _, analysis in checked)))
    out.flush()
    return status


def _model_mismatch(model: ModelIndex | None, path: str, analysis: Analysis) -> bool:
    """Whether --model names a model of another kind than the file's dialect (said on stderr)."""
    problem = model is not None and modelopt.mismatch(path, analysis.dialect.name, model)
    if problem:
        print(f"amct-lang: {problem}", file=sys.stderr)
    return bool(problem)


def _print_findings(fmt: str, out: Output, path: str, analysis: Analysis) -> None:
    """The findings of one file, in the text or GitHub format (JSON and SARIF come at the end)."""
    if not analysis.diagnostics:
        return
    if fmt == "github":
        from .github import github_report
        from .report import escaped

        out.print(escaped(github_report(path, analysis)))
    elif fmt == "text":
        from .report import text_report

        out.print(text_report(path, analysis, color=out.isatty()))


def codes_option(option: str, value: str) -> list[str] | None:
    """The codes and prefixes of --select / --ignore; None (after saying why) when one matches no
    rule, so that a typo cannot silently turn a check green."""
    from ..rules.catalog import all_rules

    wanted = [part.strip().upper() for part in value.split(",") if part.strip()]
    if not wanted:
        return wanted
    codes = [r.code for r in all_rules()]
    unknown = [w for w in wanted if not any(code.startswith(w) for code in codes)]
    if unknown:
        families = ", ".join(dict.fromkeys(code[:3] for code in codes))
        print(f"amct-lang: check: {option}: unknown code or prefix {', '.join(unknown)}; codes start "
              f"with {families} (e.g. SCH, SCH001; `amct-lang explain CODE` describes one)", file=sys.stderr)
        return None
    return wanted
