"""Which dialect a file is written in: explicit choice, header comment, or its top-level fields."""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic, Severity
from ..syntax.nodes import Field, ListValue, Message, Scalar, SyntaxTree
from . import Schema
from .dialects import CALIBRATION_DIALECTS, DIALECTS, PREFERENCE

HEADER_LINES = 10
_HEADER = re.compile(r"#\s*(proto-message|amct-dialect)\s*:\s*(\S+)")
PYTORCH = "calibration-pytorch"
# torch.nn module classes AMCT PyTorch quantizes, and the ones a user most often writes by mistake
# (not quantized, but unmistakably PyTorch): a layer type spelled like these marks a PyTorch file.
PYTORCH_TYPE_NAMES = frozenset({
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "Linear", "AvgPool2d", "LSTM", "GRU",
    "BatchNorm2d", "ReLU", "MaxPool2d", "AdaptiveAvgPool2d",
})
_TYPE_FIELDS = ("skip_layer_types", "override_layer_types")


class DialectChoice:
    def __init__(self, name: str, reason: str, diagnostics: list[Diagnostic] | None = None,
                 alternatives: tuple[str, ...] = ()) -> None:
        self.name = name
        self.reason = reason
        self.diagnostics = diagnostics if diagnostics is not None else []
        # other dialects that fit the top-level fields just as well; binding decides among them
        self.alternatives = alternatives

    def __repr__(self) -> str:
        return f"DialectChoice({self.name!r}, {self.reason!r})"


def _by_message(schema: Schema, message: str) -> str | None:
    for name in PREFERENCE:
        top = schema.top(name)
        if message in (top.name, top.full_name):
            return name
    return None


def _strings(value: object) -> list[str]:
    items = value.items if type(value) is ListValue else [value]
    out = []
    for item in items:
        if type(item) is Scalar and item.tokens and item.tokens[0].kind == "STRING":
            out.append("".join(t.text[1:-1] for t in item.tokens))
    return out


def pytorch_type_names(fields: list[Field]) -> list[Field]:
    """The top-level type fields (`skip_layer_types`, `override_layer_types.layer_type`) that name a
    torch.nn class: what marks a calibration file as AMCT PyTorch's."""
    found = []
    for f in fields:
        name = f.name.text
        if name not in _TYPE_FIELDS:
            continue
        if name == "skip_layer_types":
            if not PYTORCH_TYPE_NAMES.isdisjoint(_strings(f.value)):
                found.append(f)
            continue
        blocks = f.value.items if type(f.value) is ListValue else [f.value]
        for block in blocks:
            if type(block) is Message and any(
                    sub.name.text == "layer_type" and not PYTORCH_TYPE_NAMES.isdisjoint(_strings(sub.value))
                    for sub in block.fields):
                found.append(f)
    return found


def choose_dialect(tree: SyntaxTree, schema: Schema, requested: str | None = None,
                   framework: str | None = None) -> DialectChoice:
    """`framework`: the kind of the model given with the file ("onnx" / "torch"), if any."""
    choice = _choose(tree, schema, requested)
    if requested or choice.reason.startswith("header") or choice.name not in CALIBRATION_DIALECTS:
        return choice
    # a calibration file: the flavour comes from the model, else from the layer types it names;
    # other dialects that fit as well (retrain shares override_layer_types) stay for binding to decide
    others = tuple(a for a in choice.alternatives if a not in CALIBRATION_DIALECTS)
    if framework == "torch":
        return DialectChoice(PYTORCH, "it is a calibration config and the model is a PyTorch module",
                             choice.diagnostics, others)
    if framework is None and pytorch_type_names(tree.fields):
        return DialectChoice(PYTORCH, "it is a calibration config that names torch.nn layer types",
                             choice.diagnostics, others)
    if choice.name == PYTORCH:  # fields alone never make a file PyTorch's: the general flavour wins
        return DialectChoice("calibration-onnx", choice.reason.replace(PYTORCH, "calibration-onnx"),
                             choice.diagnostics, tuple(a for a in choice.alternatives if a != PYTORCH))
    return DialectChoice(choice.name, choice.reason, choice.diagnostics,
                         tuple(a for a in choice.alternatives if a != PYTORCH))


def _choose(tree: SyntaxTree, schema: Schema, requested: str | None) -> DialectChoice:
    if requested:
        return DialectChoice(requested, f"dialect '{requested}' was requested")
    diagnostics: list[Diagnostic] = []
    limit = tree.lines.offset(HEADER_LINES, 0) if tree.comments else 0
    for comment in tree.comments:
        if comment.start > limit:
            break
        m = _HEADER.match(comment.text)
        if not m:
            continue
        kind, value = m.groups()
        if kind == "proto-message":
            found = _by_message(schema, value)
        else:
            found = value if value in DIALECTS else None
        if found:
            return DialectChoice(found, f"header comment '{comment.text.strip()}'")
        known = ", ".join(DIALECTS) if kind == "amct-dialect" else ", ".join(
            sorted({schema.top(n).name for n in DIALECTS}))
        diagnostics.append(Diagnostic(
            "SCH009", f"unknown {'message' if kind == 'proto-message' else 'dialect'} '{value}' in the "
            f"header; known: {known}", comment.start, comment.end, Severity.WARNING))
    names = {f.name.text for f in tree.fields}
    if not names:
        return DialectChoice(PREFERENCE[0], "the file has no fields", diagnostics)
    scores = []
    for rank, dialect in enumerate(PREFERENCE):
        fields = schema.top(dialect).fields_by_name
        covered = sum(1 for n in names if n in fields)
        scores.append((-covered, rank, dialect))
    scores.sort()
    covered, _, best = scores[0]
    if -covered == len(names):
        others = tuple(d for c, _, d in scores[1:] if -c == len(names))
        return DialectChoice(best, f"its top-level fields all belong to the {best} dialect", diagnostics,
                             others)
    first = tree.fields[0]
    diagnostics.append(Diagnostic(
        "SCH009", f"no dialect has all of this file's top-level fields; checked as '{best}' "
                  f"({-covered} of {len(names)} known). Name it with a first line "
                  f"'# proto-message: {schema.top(best).name}' (or '# amct-dialect: {best}'), "
                  "or choose it with --dialect on the command line or the amctLang.dialect editor setting",
        first.name.start, first.name.end, Severity.WARNING))
    return DialectChoice(best, f"'{best}' knows the most of its top-level fields", diagnostics)
