"""Code actions: every fix of a diagnostic as a quick fix, suppression comments, and fix-all.

- each Fix of each diagnostic in the range becomes one quick fix (the core makes them with the
  diagnostics: the rules' own, amct_lang.schema_fixes for the binder's); the first safe one is
  marked preferred;
- `# amct-lint: disable=CODE` at the end of the line, or `disable-file=CODE` at the top;
- fix-all: exactly what `amct-lang check --fix` does (amct_lang.fix).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis import analyze
from ..diagnostics import Diagnostic, Edit, Fix
from .snapshot import Snapshot

QUICKFIX = "quickfix"
FIX_ALL = "source.fixAll"

_LINE_SUPPRESSION = re.compile(r"#\s*amct-lint:\s*disable\s*=\s*([A-Za-z0-9_, ]+)")
_HEADER = re.compile(r"#\s*(proto-message|amct-dialect|amct-model)\s*:")


@dataclass(frozen=True)
class Action:
    title: str
    kind: str
    edits: tuple[Edit, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    preferred: bool = False


def fixes_of(snap: Snapshot, d: Diagnostic) -> tuple[Fix, ...]:
    return d.fixes


def code_actions(snap: Snapshot, start: int, end: int, only: Sequence[str] | None = None) -> list[Action]:
    """Actions for the diagnostics touching text[start:end]; `only` filters by kind prefix."""
    want_quickfix = _wanted(QUICKFIX, only)
    out: list[Action] = []
    if want_quickfix:
        for d in snap.diagnostics:
            if not (d.start <= end and start <= d.end):
                continue
            preferred_given = False
            for fix in fixes_of(snap, d):
                preferred = fix.safe and not preferred_given
                preferred_given |= preferred
                out.append(Action(fix.title, QUICKFIX, fix.edits, (d,), preferred))
            out.extend(_suppressions(snap, d))
    if _wanted(FIX_ALL, only, explicit=True):
        action = fix_all(snap)
        if action is not None:
            out.append(action)
    return out


def _wanted(kind: str, only: Sequence[str] | None, explicit: bool = False) -> bool:
    """Is `kind` asked for? Fix-all only when asked by name (editors request it on save)."""
    if not only:
        return not explicit
    return any(kind == k or kind.startswith(k + ".") for k in only)


def fix_all(snap: Snapshot) -> Action | None:
    """What `amct-lang check --fix` does to this text (amct_lang.fix: safe fixes, in rounds, never
    breaking the syntax or touching a comment), as line edits."""
    from ..fix import fix

    dialect = snap.dialect
    result = fix(snap.analysis, lambda text: analyze(text, dialect, model=snap.model))
    if not result.changed:
        return None
    done = {(a.code, a.start, a.end) for a in result.applied}
    fixed = tuple(d for d in snap.diagnostics if (d.code, d.start, d.end) in done)
    n = len(result.applied)
    return Action(f"Fix {n} problem{'s' if n != 1 else ''} (amct-lang)", FIX_ALL,
                  line_edits(snap.text, result.text), fixed)


def line_edits(old: str, new: str) -> tuple[Edit, ...]:
    """Edits turning `old` into `new`, one per run of changed lines (amct_lang.fix.line_edits:
    n log n in the number of lines, so fix-all on a big file stays fast)."""
    from ..fix import line_edits as diff

    return diff(old, new)


def _suppressions(snap: Snapshot, d: Diagnostic) -> list[Action]:
    if d.code.startswith("SYN"):
        return []  # a syntax error is not an opinion: silencing it would hide a broken file
    text = snap.text
    lines = snap.lines
    line, _ = lines.line_col(d.start)
    line_start = lines.line_starts[line]
    line_text = lines.line_text(line)
    line_end = line_start + len(line_text)
    existing = None
    for comment in snap.analysis.tree.comments:
        if line_start <= comment.start <= line_end:
            m = _LINE_SUPPRESSION.search(comment.text)
            if m:
                existing = (comment.start + m.end(1), m.group(1))
    if existing is not None:
        at, codes = existing
        at -= len(codes) - len(codes.rstrip())
        edit = Edit(at, at, f",{d.code}")
    else:
        code_end = line_start + len(line_text.rstrip())
        edit = Edit(code_end, line_end, f"  # amct-lint: disable={d.code}")
    out = [Action(f"Disable {d.code} on this line", QUICKFIX, (edit,), (d,))]
    at = _after_header(snap)
    newline = "\r\n" if "\r\n" in text[:text.find("\n") + 1] else "\n"
    wide = f"# amct-lint: disable-file={d.code}"
    insert = wide + newline if at < len(text) or text.endswith("\n") else newline + wide
    out.append(Action(f"Disable {d.code} in this file", QUICKFIX, (Edit(at, at, insert),), (d,)))
    return out


def _after_header(snap: Snapshot) -> int:
    """Where a file-wide comment goes: after the header comments at the top of the file."""
    at = 0
    text = snap.text
    for comment in snap.analysis.tree.comments:
        if text[at:comment.start].strip() or not _HEADER.match(comment.text):
            break
        nl = text.find("\n", comment.end)
        at = len(text) if nl < 0 else nl + 1
    return at
