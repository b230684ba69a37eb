"""amct-lang fmt FILE...: rewrite config files in the canonical layout (see amct_lang/format.py).

Exit codes: 0 done (files may have been rewritten); 1 with --check/--diff when a file would
change, or when a file was refused (syntax errors); 2 when a file could not be read or written.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys

from ..schema.dialects import DIALECTS
from .inputs import InputError, read_source

HELP = "format config files in place (--check: only report, --diff: show the changes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="config files; - reads standard input and writes the result to standard output")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the files that would change and exit 1 if any")
    parser.add_argument("--diff", action="store_true",
                        help="write nothing; print a unified diff of the changes")
    parser.add_argument("--dialect", choices=sorted(DIALECTS),
                        help="schema to read the files with (default: detected, as for check)")


def run(args: argparse.Namespace) -> int:
    from ..analysis import analyze
    from ..format import format_text
    from .report import text_report
    from .write import write_atomic

    status = 0
    for name in args.files:
        try:
            source = read_source(name)
        except InputError as exc:
            print(f"amct-lang: {exc}", file=sys.stderr)
            status = 2
            continue
        analysis = analyze(source.text, args.dialect, lint=False)
        result = format_text(analysis, args.dialect)
        if result.text is None:
            print(f"{source.path}: not formatted: {result.reason}", file=sys.stderr)
            if result.diagnostics:
                shown = copy.copy(analysis)
                shown.diagnostics = result.diagnostics
                print(text_report(source.path, shown), file=sys.stderr)
            status = max(status, 1)
            continue
        if args.diff and result.changed:
            sys.stdout.write(unified_diff(source.path, source.text, result.text))
        if args.check or args.diff:
            if result.changed:
                if args.check:
                    print(f"would reformat {source.path}")
                status = max(status, 1)
            continue
        if name == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(result.text.encode("utf-8", "surrogateescape"))
            sys.stdout.buffer.flush()
            continue
        if not result.changed:
            continue
        try:
            write_atomic(name, result.text)
        except OSError as exc:
            print(f"amct-lang: {name}: cannot write: {exc.strerror or exc}; the file is unchanged",
                  file=sys.stderr)
            status = 2
            continue
        print(f"reformatted {source.path}", file=sys.stderr)
    return status


def unified_diff(path: str, old: str, new: str) -> str:
    out = []
    import difflib

    for line in difflib.unified_diff(_lines(old), _lines(new), path, path):
        out.append(line)
        if not line.endswith("\n"):  # the last line of a file without a final newline
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)
