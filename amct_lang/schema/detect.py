"""Which dialect a file is written in: explicit choice, header comment, or its top-level fields."""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic, Severity
from ..syntax.nodes import SyntaxTree
from . import Schema
from .dialects import DIALECTS, PREFERENCE

HEADER_LINES = 10
_HEADER = re.compile(r"#\s*(proto-message|amct-dialect)\s*:\s*(\S+)")


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


def choose_dialect(tree: SyntaxTree, schema: Schema, requested: str | None = None) -> DialectChoice:
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
                  f"'# proto-message: {schema.top(best).name}' or --dialect",
        first.name.start, first.name.end, Severity.WARNING))
    return DialectChoice(best, f"'{best}' knows the most of its top-level fields", diagnostics)
