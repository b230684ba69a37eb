"""The formatter: one canonical layout for AMCT config files. Pure: text in, text (or edits) out.

The layout, all of it:

- Four spaces of indentation per level, as in AMCT's own documentation examples.
- One field per line. A scalar is `name: value` (colon, one space); a message is `name {` ...
  `}` without a colon, `< >` becomes `{ }`, and an empty message with no comment inside is
  `name {}`. The field separators `,` and `;` are dropped.
- Fields stay in the order they were written: reordering would carry comments away from the
  lines they describe, and it is not what people expect of a formatter.
- Repeated fields keep the form the user chose: separate `name: value` lines stay separate, a
  list stays a list. A list of scalars is written `name: ["a", "b"]` when that line fits in
  100 columns and the list holds no comment; otherwise it gets one item per line and `]` on a
  line of its own. A list of messages always has one item per line.
- Values are copied as written: quote style, escapes, adjacent string literals (joined by one
  space), number spellings (`1.`, `0x10`, `1e-3f`), enum names or numbers. Rewriting any of them
  could change what AMCT reads.
- A comment on a line of its own stays on a line of its own before the same field, indented to
  that field's level; before a closing `}` or `]` it stays inside the block. A comment after
  code stays at the end of the line that code ends up on, two spaces after it (when a one-line
  file is split up, that is the last line made from the code before the comment).
- Blank lines: one where the input had one or more between two fields or comments; none at the
  start or end of a block or of the file.
- Line endings are the input's (CRLF when its first line ends with CRLF, else LF); the output
  ends with one line ending; trailing whitespace is removed, also at the end of comments.

Refused, with a reason (the text is then left alone): a document with syntax errors (where the
tokens would go is a guess), and blocks nested deeper than MAX_DEPTH levels. Before a result is
returned it is read back and compared with the input: same tokens (up to the normalizations
above), same comments in the same order, same protobuf message, same dialect. Any difference
refuses instead, so a formatter bug can never change what a file means.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from .diagnostics import Diagnostic, Edit
from .syntax.nodes import Comment, Field, ListValue, Message, Scalar, SyntaxTree, Token

if TYPE_CHECKING:
    from .analysis import Analysis

INDENT = "    "
WIDTH = 100
TRAIL = "  "  # between code and a comment after it
MAX_DEPTH = 100


@dataclass
class Formatted:
    """The outcome of formatting one document."""

    source: str
    text: str | None  # the formatted document; None when refused
    reason: str = ""  # why it was refused
    diagnostics: list[Diagnostic] = field(default_factory=list)  # the syntax errors, when refused for them

    @property
    def ok(self) -> bool:
        return self.text is not None

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.source


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_text(source: str | Analysis, dialect: str | None = None) -> Formatted:
    """Format a whole document (text, or an Analysis of it). Never raises on user input."""
    analysis = _analysis(source, dialect)
    text = analysis.text
    syntax = _syntax_errors(analysis)
    if syntax:
        n = len(syntax)
        reason = f"{n} syntax error{'s' if n > 1 else ''}: fix {'them' if n > 1 else 'it'} first, then format"
        return Formatted(text, None, reason, syntax)
    try:
        out = _print(analysis.tree, _newline(text))
        _verify(analysis, out, dialect)
    except _Refused as exc:
        return Formatted(text, None, exc.reason)
    return Formatted(text, out)


def format_edits(source: str | Analysis, dialect: str | None = None) -> list[Edit]:
    """Format the whole document and return the edits (by lines) that turn it into the result.

    No edits when the document is already formatted or cannot be formatted.
    """
    result = format_text(source, dialect)
    if not result.changed:
        return []
    return _line_edits(result.source, result.text, 0)  # type: ignore[arg-type]


def format_range(source: str | Analysis, start: int, end: int, dialect: str | None = None) -> list[Edit]:
    """Reformat only the top-level fields whose lines overlap text[start:end] (offsets).

    A top-level field takes with it the comments and blank lines above it and the comments at the
    end of its lines; fields that share a line are one unit. The result is what formatting the
    whole document would make of those lines.
    """
    analysis = _analysis(source, dialect)
    text = analysis.text
    tree = analysis.tree
    if _syntax_errors(analysis):
        return []
    if not tree.fields:
        return format_edits(analysis, dialect)
    lines = tree.lines
    units: list[list[int]] = []  # [first line, last line] of fields that share lines
    for f in tree.fields:
        first = lines.line_col(f.start)[0]
        last = lines.line_col(max(f.start, f.end - 1))[0]
        if units and first <= units[-1][1]:
            units[-1][1] = max(units[-1][1], last)
        else:
            units.append([first, last])
    starts = lines.line_starts
    # unit k owns the lines after unit k-1 up to its own last line; the last unit also owns the
    # lines below it
    spans = []
    for k, (_, last) in enumerate(units):
        lo = 0 if k == 0 else starts[units[k - 1][1] + 1]
        hi = len(text) if k == len(units) - 1 or last + 1 >= len(starts) else starts[last + 1]
        spans.append((lo, hi))
    lo_line = lines.line_col(start)[0]
    hi_line = lines.line_col(max(start, end - 1))[0]  # `end` is exclusive
    chosen = [k for k, (lo, hi) in enumerate(spans)
              if lines.line_col(lo)[0] <= hi_line and lines.line_col(max(lo, hi - 1))[0] >= lo_line]
    if not chosen:
        return []
    lo, hi = spans[chosen[0]][0], spans[chosen[-1]][1]
    piece = text[lo:hi]
    newline = _newline(text)
    from .syntax import parse

    piece_tree, piece_diags = parse(piece)
    if piece_diags:  # cannot happen for whole top-level fields; refuse rather than guess
        return []
    try:
        formatted = _print(piece_tree, newline)
        if lo > 0 and piece_tree.fields and _blank_before(piece, _first_start(piece_tree)):
            formatted = newline + formatted
        _verify(analysis, text[:lo] + formatted + text[hi:], dialect)
    except _Refused:
        return []
    if formatted == piece:
        return []
    return _line_edits(piece, formatted, lo)


# -- printing ----------------------------------------------------------------------------------


def _analysis(source: str | Analysis, dialect: str | None) -> Analysis:
    if isinstance(source, str):
        from .analysis import analyze

        return analyze(source, dialect, lint=False)
    return source


def _syntax_errors(analysis: Analysis) -> list[Diagnostic]:
    """The document's syntax errors, also those a suppression comment hides from the report:
    where the tokens of a broken document would go is a guess either way."""
    syntax = [d for d in analysis.diagnostics if d.code.startswith("SYN")]
    if syntax or not any("amct-lint" in c.text for c in analysis.tree.comments):
        return syntax
    from .syntax import parse

    return parse(analysis.text)[1]


def _newline(text: str) -> str:
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def _first_start(tree: SyntaxTree) -> int:
    first = tree.fields[0].start
    if tree.comments and tree.comments[0].start < first:
        return tree.comments[0].start
    return first


def _blank_before(text: str, pos: int) -> bool:
    return text.count("\n", 0, pos) >= 1 and not text[:pos].strip()


def _scalar(value: Scalar) -> str:
    return " ".join(t.text for t in value.tokens)


class _Printer:
    """Walks the tree once, placing each comment before the first token that follows it."""

    def __init__(self, tree: SyntaxTree) -> None:
        self.text = tree.text
        self.comments: list[Comment] = tree.comments
        self.comment_starts = [c.start for c in tree.comments]
        self.next_comment = 0
        self.out: list[str] = []
        self.trail_ok = False  # the last line is code that can still take a trailing comment
        self.last_end = 0  # source offset just after the last thing placed
        self.block_start = True  # nothing placed yet in the current block: no blank line

    def run(self, fields: list[Field]) -> list[str]:
        for f in fields:
            self.field(f, 0)
        self.comments_before(len(self.text) + 1, 0)
        return self.out

    # -- lines and comments -------------------------------------------------------------------
    def line(self, depth: int, code: str) -> None:
        self.out.append(INDENT * depth + code)
        self.trail_ok = True

    def placed(self, end: int) -> None:
        self.last_end = max(self.last_end, end)
        self.block_start = False

    def blank_if_needed(self, pos: int) -> None:
        if not self.block_start and self.out and self.text.count("\n", self.last_end, pos) >= 2:
            self.out.append("")
            self.trail_ok = False

    def has_comment(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.comment_starts, start)
        return i < len(self.comment_starts) and self.comment_starts[i] < end

    def comments_before(self, pos: int, depth: int) -> None:
        comments = self.comments
        while self.next_comment < len(comments) and comments[self.next_comment].start < pos:
            c = comments[self.next_comment]
            self.next_comment += 1
            text = c.text.rstrip()
            line_start = self.text.rfind("\n", 0, c.start) + 1
            after_code = bool(self.text[line_start:c.start].strip())
            if after_code and self.trail_ok:
                self.out[-1] += TRAIL + text
            else:
                self.blank_if_needed(c.start)
                self.out.append(INDENT * depth + text)
            self.trail_ok = False
            self.placed(c.end)

    # -- tree ---------------------------------------------------------------------------------
    def field(self, f: Field, depth: int) -> None:
        self.comments_before(f.start, depth)
        self.blank_if_needed(f.start)
        self.block_start = False
        value = f.value
        name = f.name.text
        if type(value) is Scalar:
            self.line(depth, f"{name}: {_scalar(value)}")
        elif type(value) is Message:
            self.message(name + " ", value, depth, "")
        else:
            self.list(name, value, depth)  # type: ignore[arg-type]
        self.placed(f.end)

    def message(self, prefix: str, m: Message, depth: int, suffix: str) -> None:
        if depth >= MAX_DEPTH:
            line = self.text.count("\n", 0, m.start) + 1
            raise _Refused(f"blocks nested deeper than {MAX_DEPTH} levels (line {line})")
        if not m.fields and not self.has_comment(m.start, m.end):
            self.line(depth, prefix + "{}" + suffix)
            self.placed(m.end)
            return
        self.line(depth, prefix + "{")
        self.placed(m.open.end)
        self.block_start = True
        for f in m.fields:
            self.field(f, depth + 1)
        self.comments_before(m.close.start, depth + 1)
        self.line(depth, "}" + suffix)
        self.placed(m.close.end)

    def list(self, name: str, lst: ListValue, depth: int) -> None:
        items = lst.items
        commented = self.has_comment(lst.start, lst.end)
        if not commented and all(type(i) is Scalar for i in items):
            inline = f"{name}: [{', '.join(_scalar(i) for i in items)}]"  # type: ignore[arg-type]
            if not items or len(INDENT * depth) + len(inline) <= WIDTH:
                self.line(depth, inline)
                return
        self.line(depth, f"{name}: [")
        self.placed(lst.open.end)
        self.block_start = True
        item: Scalar | Message
        for k, item in enumerate(cast("list[Scalar | Message]", items)):
            comma = "," if k < len(items) - 1 else ""
            self.comments_before(item.start, depth + 1)
            self.blank_if_needed(item.start)
            self.block_start = False
            if type(item) is Scalar:
                self.line(depth + 1, _scalar(item) + comma)
                self.placed(item.end)
            else:
                self.message("", item, depth + 1, comma)  # type: ignore[arg-type]
        self.comments_before(lst.close.start, depth + 1)
        self.line(depth, "]")
        self.placed(lst.close.end)


def _print(tree: SyntaxTree, newline: str) -> str:
    _check_complete(tree)
    out = _Printer(tree).run(tree.fields)
    return newline.join(out) + newline if out else ""


# -- checks ------------------------------------------------------------------------------------


_DONE = object()


def _tokens(fields: list[Field]) -> Iterator[Token]:
    """Every token of the tree in source order (iterative: nesting depth does not matter)."""
    stack: list[Iterator[object]] = [iter(fields)]
    while stack:
        node = next(stack[-1], _DONE)
        if node is _DONE:
            stack.pop()
            continue
        kind = type(node)
        if kind is Token:
            yield node  # type: ignore[misc]
        elif kind is Field:
            f: Field = node  # type: ignore[assignment]
            stack.append(iter([n for n in (f.name, f.colon, f.value, f.sep) if n is not None]))
        elif kind is Scalar:
            yield from node.tokens  # type: ignore[attr-defined]
        elif kind is Message:
            m: Message = node  # type: ignore[assignment]
            stack.append(iter([m.open, *m.fields, m.close]))
        elif kind is ListValue:
            lst: ListValue = node  # type: ignore[assignment]
            stack.append(iter([lst.open, *lst.items, lst.close]))


def _check_complete(tree: SyntaxTree) -> None:
    """Refuse a tree that does not account for every character of its text.

    The syntax diagnostics normally stop us earlier; this also holds when they were suppressed.
    Outside tokens and comments only whitespace and list commas (not kept in the tree) may stand,
    so the characters of the text that are neither must all lie inside tokens and comments.
    """
    text = tree.text
    significant = _SIGNIFICANT.findall
    covered = sum(len(significant(c.text)) for c in tree.comments)
    for tok in _tokens(tree.fields):
        if tok.missing:
            raise _Refused(_BROKEN)
        if tok.kind == "COMMA":  # not counted in the text either
            continue
        if tok.kind == "STRING" or tok.kind == "EXTENSION":  # may hold spaces and commas
            covered += len(significant(text, tok.start, tok.end))
        else:
            covered += tok.end - tok.start
    if covered != len(significant(text)):
        raise _Refused(_BROKEN)


_SIGNIFICANT = re.compile(r"[^\s,]")
_BROKEN = "the document has syntax errors: fix them first, then format"


def _shape(fields: list[Field]) -> list[str]:
    """The tokens of a document as the formatter must keep them: colons only before scalars and
    lists, no field separators, `< >` as `{ }`, commas between list items."""
    out: list[str] = []
    stack: list[Iterator[object]] = [iter(fields)]
    while stack:
        node = next(stack[-1], _DONE)
        if node is _DONE:
            stack.pop()
            continue
        if isinstance(node, str):
            out.append(node)
        elif type(node) is Field:
            out.append(node.name.text)
            if type(node.value) is not Message:
                out.append(":")
            stack.append(iter([node.value]))
        elif type(node) is Scalar:
            out.extend(t.text for t in node.tokens)
        elif type(node) is Message:
            stack.append(iter(["{", *node.fields, "}"]))
        elif type(node) is ListValue:
            parts: list[object] = ["["]
            for k, item in enumerate(node.items):
                if k:
                    parts.append(",")
                parts.append(item)
            stack.append(iter([*parts, "]"]))
    return out


def _verify(before: Analysis, text: str, dialect: str | None) -> None:
    """Refuse unless `text` means exactly what the analysed input means."""
    from .analysis import analyze
    from .schema.detect import choose_dialect

    after = analyze(text, before.dialect.name, lint=False)
    problem = ""
    if not after.syntax_ok:
        problem = "it would not parse"
    elif _shape(before.tree.fields) != _shape(after.tree.fields):
        problem = "its tokens would differ"
    elif [c.text.rstrip() for c in before.tree.comments] != [c.text.rstrip() for c in after.tree.comments]:
        problem = "its comments would differ"
    elif not _same_message(before.to_message(), after.to_message()):
        problem = "its protobuf message would differ"
    elif dialect is None and (choose_dialect(before.tree, before.schema).name
                              != choose_dialect(after.tree, after.schema).name):
        raise _Refused("a '# proto-message:' or '# amct-dialect:' comment would move into or "
                       "out of the first 10 lines, where it names the dialect; put it on the first line")
    if problem:
        raise _Refused(f"{problem}; the file is left as it is (please report this)")


def _same_message(a: object, b: object) -> bool:
    from google.protobuf import text_format

    # == is fast but says nan != nan; the text form settles those cases
    return a == b or text_format.MessageToString(a) == text_format.MessageToString(b)  # type: ignore[arg-type]


def _line_edits(old: str, new: str, base: int) -> list[Edit]:
    """Edits (offsets shifted by `base`) that turn `old` into `new`, whole lines at a time."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    offsets = [0]
    for line in a:
        offsets.append(offsets[-1] + len(line))
    edits = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(Edit(base + offsets[i1], base + offsets[i2], "".join(b[j1:j2])))
    return edits
