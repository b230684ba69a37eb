"""amct-lang resolve CONFIG --model M: each layer's effective config and where each value comes from."""

from __future__ import annotations

import argparse
import json
import sys

from ..schema.dialects import CALIBRATION_DIALECTS, DIALECTS
from . import modelopt
from .inputs import InputError, read_source

HELP = "show the config every layer of a model gets, and where each value comes from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="config file; - for standard input")
    modelopt.add_model_argument(parser, required=True)
    parser.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), help="schema to read the config with "
                        "(default: from a '# proto-message:' header, else from the fields)")


def run(args: argparse.Namespace) -> int:
    from ..analysis import analyze
    from ..diagnostics import Severity
    from ..semantic import effective_config
    from ..semantic.present import layer_json, render_table
    from .report import text_report

    try:
        source = read_source(args.config)
    except InputError as exc:
        print(f"amct-lang: {exc}", file=sys.stderr)
        return 2
    model = modelopt.load(args.model)
    if model is None:
        return 2
    analysis = analyze(source.text, args.dialect, model=model)
    dialect = analysis.dialect.name
    if dialect not in (*CALIBRATION_DIALECTS, "distill"):
        print(f"amct-lang: {source.path} is read as a {dialect} config; resolve shows the layers of "
              "calibration and distillation configs (--dialect chooses)", file=sys.stderr)
        return 2
    problem = modelopt.mismatch(source.path, dialect, model)
    if problem is not None:
        print(f"amct-lang: {problem.replace('; model checks skipped', '')}", file=sys.stderr)
        return 2
    shown = [d for d in analysis.diagnostics if d.severity is not Severity.INFO]
    if shown:
        analysis.diagnostics = shown
        print(text_report(source.path, analysis, color=sys.stderr.isatty()), file=sys.stderr)
    if analysis.has_errors:
        print(f"amct-lang: {source.path} has errors; fix them to see its effective config", file=sys.stderr)
        return 1
    effective = effective_config(analysis)
    for note in effective.notes:
        print(f"note: {note}", file=sys.stderr)
    lines = analysis.tree.lines
    if args.format == "json":
        print(json.dumps([layer_json(lc, lines) for lc in effective.layers.values()], ensure_ascii=False,
                         indent=2))
    else:
        print(render_table(effective, model.path, len(model.quantizable()), lines, source.path))
    return 0
