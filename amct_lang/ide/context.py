"""Where the cursor is: in which message, on which field, at a field name or at a value.

Read from the token stream, not the tree: while the user types, the file is broken more often than
not (`ifmr_quantize {` with no `}` yet, `dst_type:` with no value), and the tokens before the
cursor still say everything needed. A small state machine walks them, keeping a stack of the
blocks opened so far; the tokens after the cursor are only scanned for the names the enclosing
block already sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from ..document import did_you_mean
from .snapshot import Snapshot
from .tokens import Raw, Tok

NAME = "name"  # where a field name is written (or on one)
VALUE = "value"  # after `name:`, or inside `name: [ ... ]`
COMMENT = "comment"
NONE = "none"  # nothing sensible to offer (after `name` with no ':' on the same line, inside `[ext]`)

T = TypeVar("T")
_WORDS = frozenset(("IDENT", "NUMBER", "STRING", "BADSTRING"))
_SCALARS = frozenset(("NUMBER", "STRING", "BADSTRING"))
_OPEN = frozenset(("LBRACE", "LESSTHAN"))
_CLOSE = frozenset(("RBRACE", "MORETHAN"))


@dataclass
class CursorContext:
    kind: str
    offset: int
    path: tuple[str, ...]  # names of the enclosing blocks, outermost first
    descriptor: Descriptor | None  # the message whose fields belong here; None off the schema
    field: FieldDescriptor | None  # the field named at the cursor (NAME) or being given a value (VALUE)
    field_name: str | None  # that field's name as written (may be unknown to the schema)
    word: Tok | None  # the token under the cursor, replaced by a completion
    present: frozenset[str] = frozenset()  # fields the enclosing block sets, besides the word
    block: tuple[int, int] = (0, 0)  # range of the enclosing block (the whole text at top level)
    comment: Tok | None = None
    colon_before: bool = False  # VALUE right after ':' with no space: a completion adds one
    path_fields: tuple[FieldDescriptor | None, ...] = ()

    @property
    def replace(self) -> tuple[int, int]:
        """The range a completion replaces: the word under the cursor, else nothing."""
        if self.word is None:
            return self.offset, self.offset
        return self.word.start, self.word.end

    @property
    def in_string(self) -> bool:
        return self.word is not None and self.word.kind in ("STRING", "BADSTRING")


class _Frame:
    __slots__ = ("name", "present", "in_list", "start")

    def __init__(self, name: str | None, start: int, in_list: bool = False) -> None:
        self.name = name
        self.present: set[str] = set()
        self.in_list = in_list
        self.start = start


def lookup(by_name: Mapping[str, T], name: str) -> T | None:
    """`by_name.get(name)` for protobuf's name maps, which fail with SystemError on a string that
    is not valid UTF-8 (a lone surrogate from a bad byte or a client); such a name matches nothing."""
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return by_name.get(name)


def _word_at(toks: list[Raw], offset: int) -> int | None:
    """Index of the IDENT/NUMBER/STRING token the cursor is in or right after, if any."""
    lo, hi = 0, len(toks)
    while lo < hi:  # first token ending at or after the offset
        mid = (lo + hi) // 2
        if toks[mid][2] < offset:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(toks):
        kind, start, end = toks[lo]
        if start < offset <= end and (kind in _WORDS or kind == "COMMENT"):
            if kind == "STRING" and offset == end:
                return None  # after the closing quote
            return lo
    return None


class _Walk:
    """The state machine over the tokens before the cursor: one method per kind of token."""

    def __init__(self, text: str, toks: list[Raw]) -> None:
        self.text = text
        self.toks = toks
        self.stack = [_Frame(None, 0)]
        self.state = NAME
        self.pending: str | None = None  # the last field name seen
        self.pending_end = 0
        self._steps = {"IDENT": self._ident, "COLON": self._colon, "LSQB": self._lsqb, "RSQB": self._rsqb,
                       "COMMA": self._separator, "SEMICOLON": self._separator}
        for kind in _SCALARS:
            self._steps[kind] = self._scalar
        for kind in _OPEN:
            self._steps[kind] = self._open
        for kind in _CLOSE:
            self._steps[kind] = self._close

    def run(self, stop: int) -> None:
        toks, steps = self.toks, self._steps
        for i in range(stop):
            kind, start, end = toks[i]
            if kind == "COMMENT":
                continue
            if self.state == "ext":
                if kind == "RSQB":
                    self.state, self.pending, self.pending_end = "after_name", None, end
                continue
            step = steps.get(kind)
            if step is not None:
                step(i, start, end)

    def _mark(self) -> None:
        self.stack[-1].present.add(self.pending or "")

    def _ident(self, i: int, start: int, end: int) -> None:
        if self.state == VALUE and not _names_field(self.toks, i + 1):
            self._mark()
            self.state = NAME
        elif self.state != "list":
            # a name, or (`a:` then `b: 1`) the next field after a value left out
            self.pending, self.pending_end = self.text[start:end], end
            self.state = "after_name"

    def _scalar(self, i: int, start: int, end: int) -> None:
        if self.state == VALUE:
            self._mark()
        if self.state != "list":
            self.state = NAME

    def _colon(self, i: int, start: int, end: int) -> None:
        if self.state == "after_name":
            self._mark()  # written, even if its value is still missing
            self.state = VALUE

    def _open(self, i: int, start: int, end: int) -> None:
        if self.state in ("after_name", VALUE):
            self._mark()
            self.stack.append(_Frame(self.pending, start))
        elif self.state == "list":
            self.stack.append(_Frame(self.pending, start, in_list=True))
        else:
            self.stack.append(_Frame(None, start))
        self.state = NAME

    def _close(self, i: int, start: int, end: int) -> None:
        if len(self.stack) > 1:
            frame = self.stack.pop()
            if frame.in_list:
                self.state, self.pending = "list", frame.name
            else:
                self.state = NAME

    def _lsqb(self, i: int, start: int, end: int) -> None:
        if self.state == VALUE:
            self._mark()
            self.state = "list"
        elif self.state != "list":
            self.state = "ext"

    def _rsqb(self, i: int, start: int, end: int) -> None:
        if self.state == "list":
            self.state = NAME

    def _separator(self, i: int, start: int, end: int) -> None:
        if self.state != "list":
            self.state = NAME

    def classify(self, word: Tok | None, offset: int) -> tuple[str, str | None]:
        """What the cursor is on, and the field name that goes with it."""
        state = self.state
        if word is not None:
            if state in (NAME, "after_name") and word.kind == "IDENT":
                return NAME, self.text[word.start:word.end]
            if state in (VALUE, "list"):
                return VALUE, self.pending
            return NONE, None
        if state in (VALUE, "list"):
            return VALUE, self.pending
        if state == NAME or (state == "after_name" and "\n" in self.text[self.pending_end:offset]):
            return NAME, None
        return NONE, None


def cursor_context(snap: Snapshot, offset: int) -> CursorContext:
    text = snap.text
    offset = max(0, min(offset, len(text)))
    toks = snap.tokens
    at = _word_at(toks, offset)
    if at is not None and toks[at][0] == "COMMENT":
        return CursorContext(COMMENT, offset, (), None, None, None, None, comment=Tok(*toks[at]))
    word = Tok(*toks[at]) if at is not None else None
    stop = at if at is not None else _first_after(toks, offset)
    walk = _Walk(text, toks)
    walk.run(stop)
    kind_here, name = walk.classify(word, offset)

    frame = walk.stack[-1]
    end = _block_end(toks, stop + (1 if word is not None else 0), frame.present, text)
    path = tuple(f.name or "" for f in walk.stack[1:])
    descriptor, path_fields = _resolve(snap.top, path)
    fd = None
    if descriptor is not None and name is not None:
        fd = lookup(descriptor.fields_by_name, name)
    colon_before = kind_here == VALUE and word is None and offset > 0 and text[offset - 1] == ":"
    present = frozenset(frame.present - {""})
    return CursorContext(kind_here, offset, path, descriptor, fd, name, word, present,
                         (frame.start, end), None, colon_before, path_fields)


def _names_field(toks: list[Raw], i: int) -> bool:
    """Is the token after an IDENT a ':' or '{' (so the IDENT is a field name, not a value)?"""
    n = len(toks)
    while i < n and toks[i][0] == "COMMENT":
        i += 1
    return i < n and (toks[i][0] == "COLON" or toks[i][0] in _OPEN)


def _first_after(toks: list[Raw], offset: int) -> int:
    """Index of the first token that starts at or after the offset."""
    lo, hi = 0, len(toks)
    while lo < hi:
        mid = (lo + hi) // 2
        if toks[mid][1] < offset:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _block_end(toks: list[Raw], i: int, present: set[str], text: str) -> int:
    """Scan to the end of the enclosing block, adding the field names it sets after the cursor."""
    depth = 0
    n = len(toks)
    while i < n:
        kind, start, end = toks[i]
        if kind in _OPEN or kind == "LSQB":
            depth += 1
        elif kind in _CLOSE or kind == "RSQB":
            depth -= 1
            if depth < 0:
                return end
        elif kind == "IDENT" and depth == 0:
            j = i + 1
            while j < n and toks[j][0] == "COMMENT":
                j += 1
            if j < n and (toks[j][0] == "COLON" or toks[j][0] in _OPEN):
                present.add(text[start:end])
        i += 1
    return len(text)


def _resolve(top: Descriptor, path: tuple[str, ...]
             ) -> tuple[Descriptor | None, tuple[FieldDescriptor | None, ...]]:
    """The message a path of field names leads to; a misspelt name is read as its did-you-mean."""
    descriptor: Descriptor | None = top
    fields: list[FieldDescriptor | None] = []
    for name in path:
        if descriptor is None:
            fields.append(None)
            continue
        by_name = descriptor.fields_by_name
        fd = lookup(by_name, name)
        if fd is None and name:
            guess = did_you_mean(name, list(by_name))
            fd = by_name.get(guess) if guess else None
        fields.append(fd)
        descriptor = fd.message_type if fd is not None and fd.type == FieldDescriptor.TYPE_MESSAGE else None
    return descriptor, tuple(fields)
