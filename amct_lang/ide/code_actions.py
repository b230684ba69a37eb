"""Code actions: every fix of a diagnostic as a quick fix, suppression comments, and fix-all.

- each Fix of each diagnostic in the range (the rules' own, else those fixes.py derives for the
  binder's diagnostics) becomes one quick fix; the first safe one is marked preferred;
- `# amct-lint: disable=CODE` at the end of the line, or `disable-file=CODE` at the top;
- fix-all: what `amct-lang check --fix` does (amct_lang.fix), derived fixes included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..analysis import Analysis, analyze
from ..diagnostics import Diagnostic, Edit, Fix
from .fixes import derived_fixes
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
    return d.fixes or derived_fixes(snap, d)


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
    """What `amct-lang check --fix` would do to this text (amct_lang.fix: safe fixes, in rounds,
    never breaking the syntax or touching a comment), with the derived fixes added, as line edits."""
    from ..fix import fix

    dialect = snap.dialect
    result = fix(with_fixes(snap.analysis, snap.model),
                 lambda text: with_fixes(analyze(text, dialect, model=snap.model), snap.model))
    if not result.changed:
        return None
    done = {(a.code, a.start, a.end) for a in result.applied}
    fixed = tuple(d for d in snap.diagnostics if (d.code, d.start, d.end) in done)
    n = len(result.applied)
    return Action(f"Fix {n} problem{'s' if n != 1 else ''} (amct-lang)", FIX_ALL,
                  line_edits(snap.text, result.text), fixed)


def with_fixes(analysis: Analysis, model: Any = None) -> Analysis:
    """The analysis with every diagnostic carrying its fixes (its own, else the derived ones)."""
    snap = Snapshot(analysis, model)
    diagnostics = [d if d.fixes else d._replace(fixes=derived_fixes(snap, d)) for d in analysis.diagnostics]
    a = analysis
    return Analysis(a.text, a.tree, a.dialect, a.root, a.schema, diagnostics)


def line_edits(old: str, new: str) -> tuple[Edit, ...]:
    """Edits turning `old` into `new`, one per run of changed lines."""
    import difflib

    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(Edit(starts[i1], starts[i2], "".join(b[j1:j2])))
    return tuple(out)


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
