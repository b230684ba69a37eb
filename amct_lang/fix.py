"""Applying the safe fixes the rules attach to their diagnostics. Pure: text in, text out.

A fix is applied only when it is marked safe, its edits lie inside the text and do not overlap
each other, it touches no comment, and it overlaps no fix already chosen in the same round (the
first one in document order wins; the other is reconsidered after re-analysis). After each round
the text is analysed again, up to MAX_ROUNDS rounds. A round whose result has more syntax errors
than before, or whose comments differ from the original's, is rolled back: fixes must never
break a file or lose a comment. Files with syntax errors are not fixed at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Edit, Fix

if TYPE_CHECKING:
    from .analysis import Analysis
    from .syntax.nodes import Comment

MAX_ROUNDS = 10


@dataclass(frozen=True)
class Applied:
    """One fix that was applied: what it did, for which diagnostic, where (in the original text)."""

    code: str
    title: str
    start: int  # offset of the diagnostic in the ORIGINAL text
    end: int


@dataclass
class FixResult:
    text: str  # the fixed text (the input when nothing applied)
    applied: list[Applied]
    analysis: Analysis  # of `text`: the diagnostics that remain
    rejected: list[Applied] = field(default_factory=list)  # safe fixes that failed the checks

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix(analysis: Analysis, reanalyze: Callable[[str], Analysis], max_rounds: int = MAX_ROUNDS) -> FixResult:
    """Apply safe fixes to `analysis.text`, re-analysing with `reanalyze` after each round."""
    original_comments = _comment_texts(analysis.tree.comments)
    applied: list[Applied] = []
    rejected: list[Applied] = []
    bad: set[tuple[str, tuple[Edit, ...]]] = set()  # fixes that broke something: never again
    history: list[list[Edit]] = []  # edits of each accepted round, to map offsets back
    if not analysis.syntax_ok:
        return FixResult(analysis.text, applied, analysis)
    for _ in range(max_rounds):
        text = analysis.text
        chosen = select(text, analysis.tree.comments, analysis.diagnostics, exclude=bad)
        if not chosen:
            break
        candidate = reanalyze(apply_edits(text, [e for _, f in chosen for e in f.edits]))
        if not _acceptable(analysis, candidate, original_comments) and len(chosen) > 1:
            # one of them spoils the others: take only the first this round
            chosen = chosen[:1]
            candidate = reanalyze(apply_edits(text, list(chosen[0][1].edits)))
        if not _acceptable(analysis, candidate, original_comments):
            d, f = chosen[0]
            bad.add(_key(d, f))
            rejected.append(_record(d, f, history))
            continue
        for d, f in chosen:
            applied.append(_record(d, f, history))
        history.append(sorted((e for _, f in chosen for e in f.edits), key=lambda e: e.start))
        analysis = candidate
    return FixResult(analysis.text, applied, analysis, rejected)


def select(text: str, comments: Sequence[Comment], diagnostics: Sequence[Diagnostic],
           exclude: set[tuple[str, tuple[Edit, ...]]] | None = None) -> list[tuple[Diagnostic, Fix]]:
    """The safe fixes to apply together: at most one per diagnostic, none overlapping another."""
    chosen: list[tuple[Diagnostic, Fix]] = []
    taken: list[Edit] = []
    for d in sorted(diagnostics, key=lambda d: (d.start, d.end, d.code)):
        for f in d.fixes:
            if not f.safe or not f.edits or (exclude and _key(d, f) in exclude):
                continue
            if not _well_formed(f.edits, len(text)):
                continue
            if any(_touches(e, c) for e in f.edits for c in comments):
                continue
            if any(_overlap(e, t) for e in f.edits for t in taken):
                continue
            chosen.append((d, f))
            taken.extend(f.edits)
            break
    return chosen


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (offsets into `text`)."""
    out = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos:e.start])
        out.append(e.new_text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


_DIFF_LEVELS = 8  # gaps are split again at most this often: n log n times a constant, on any input
_SMALL = 200  # lines: a gap without anchors up to this size gets an exact (quadratic) diff


def line_edits(old: str, new: str) -> tuple[Edit, ...]:
    """Edits turning `old` into `new`, one per run of changed lines, in O(n log n) of the lines.

    Patience diff: lines that occur exactly once in each text anchor the two (the longest run of
    anchors in the same order); between two anchors the common first and last lines are kept and
    the rest is diffed again the same way (lines unique within the gap), a few levels deep; a gap
    with no such line gets difflib's exact diff when it is small (at most _SMALL lines a side, so
    the cost stays linear overall), else one edit. Fixes change a few lines here and there, so the
    edits stay small."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    out: list[Edit] = []
    gaps = [(0, len(a), 0, len(b), 0)]
    while gaps:
        a0, a1, b0, b1, level = gaps.pop()
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
            a0 += 1
            b0 += 1
        while a1 > a0 and b1 > b0 and a[a1 - 1] == b[b1 - 1]:
            a1 -= 1
            b1 -= 1
        if a0 == a1 and b0 == b1:
            continue
        chain = _anchors(a, a0, a1, b, b0, b1) if level < _DIFF_LEVELS else []
        if not chain:
            if a1 - a0 <= _SMALL and b1 - b0 <= _SMALL:  # a small gap of repeated lines: exact diff
                import difflib

                matcher = difflib.SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                    if tag != "equal":
                        out.append(Edit(starts[a0 + i1], starts[a0 + i2], "".join(b[b0 + j1:b0 + j2])))
            else:
                out.append(Edit(starts[a0], starts[a1], "".join(b[b0:b1])))
            continue
        i0, j0 = a0, b0
        for i, j in chain:
            gaps.append((i0, i, j0, j, level + 1))
            i0, j0 = i + 1, j + 1
        gaps.append((i0, a1, j0, b1, level + 1))
    out.sort(key=lambda e: e.start)
    return tuple(out)


def _anchors(a: list[str], a0: int, a1: int, b: list[str], b0: int, b1: int) -> list[tuple[int, int]]:
    """The longest run, in the same order on both sides, of lines that occur once in a[a0:a1]
    and once in b[b0:b1] (patience sorting)."""
    from bisect import bisect_left

    count_a: dict[str, int] = {}
    for i in range(a0, a1):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    count_b: dict[str, int] = {}
    for j in range(b0, b1):
        count_b[b[j]] = count_b.get(b[j], 0) + 1
    where_a = {a[i]: i for i in range(a0, a1) if count_a[a[i]] == 1}
    pairs = [(where_a[b[j]], j) for j in range(b0, b1) if count_b[b[j]] == 1 and b[j] in where_a]
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = []
    for k, (i, _) in enumerate(pairs):
        p = bisect_left(tails, i)
        if p == len(tails):
            tails.append(i)
            tail_at.append(k)
        else:
            tails[p] = i
            tail_at[p] = k
        back.append(tail_at[p - 1] if p > 0 else -1)
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    chain.reverse()
    return chain


def _key(d: Diagnostic, f: Fix) -> tuple[str, tuple[Edit, ...]]:
    return d.code, f.edits


def _well_formed(edits: Sequence[Edit], length: int) -> bool:
    if any(not 0 <= e.start <= e.end <= length for e in edits):
        return False
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    return not any(_overlap(a, b) for a, b in zip(ordered, ordered[1:], strict=False))


def _overlap(a: Edit, b: Edit) -> bool:
    """Ranges that share a character, or an insertion at (or into) the other's range: the order
    of the two results would be a guess."""
    if a.start == a.end or b.start == b.end:
        return a.start <= b.end and b.start <= a.end
    return a.start < b.end and b.start < a.end


def _touches(e: Edit, c: Comment) -> bool:
    if e.start == e.end:
        return c.start < e.start <= c.end  # inserting into a comment, or right after it on its line
    return e.start < c.end and c.start < e.end


def _comment_texts(comments: Sequence[Comment]) -> list[str]:
    return [c.text.rstrip() for c in comments]


def _syntax_errors(analysis: Analysis) -> int:
    return sum(1 for d in analysis.diagnostics if d.code.startswith("SYN"))


def _acceptable(before: Analysis, after: Analysis, comments: list[str]) -> bool:
    return (_syntax_errors(after) <= _syntax_errors(before)
            and _comment_texts(after.tree.comments) == comments)


def _record(d: Diagnostic, f: Fix, history: list[list[Edit]]) -> Applied:
    return Applied(d.code, f.title, _map_back(d.start, history), _map_back(d.end, history))


def _map_back(offset: int, history: list[list[Edit]]) -> int:
    """An offset in the current text, as an offset in the original one."""
    for edits in reversed(history):
        delta = 0
        for e in edits:
            new_start = e.start + delta
            if offset < new_start:
                break
            if offset < new_start + len(e.new_text):
                offset = e.start + delta  # inside inserted text: where the edit was
                break
            delta += len(e.new_text) - (e.end - e.start)
        offset -= delta
    return offset
