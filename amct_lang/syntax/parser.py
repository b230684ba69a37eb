"""parse(text) -> (SyntaxTree, diagnostics). Never raises on any input.

An LALR driver over the tables Lark builds from grammar/textproto.lark, with error recovery:
at an unexpected token it tries, in order, inserting one expected token, deleting the token,
replacing it, or inserting ':' and a value, and keeps the first repair after which the next
tokens parse. Failing that it skips tokens until one fits, possibly after closing open blocks,
but never drops what it already read: a field name or value before an error still reaches the
binder, which reports what text_format would report first (an unknown name, a wrong value).
At the end of the text every open construct is completed. A stray character is a token of its
own, read as the token that fits there ('=' as ':') or skipped.

Errors right after a repair are suppressed until three tokens have been shifted, and only one is
reported per line, so one mistake gives one diagnostic. After MAX_ERRORS errors the rest are
counted but not shown; after MAX_RECOVERIES repairs the rest of the text is not parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..diagnostics import Diagnostic, Severity
from . import fastpath
from .grammar import Tables, tables
from .nodes import Comment, Field, ListValue, Message, Scalar, SyntaxTree, Token

MAX_ERRORS = 100
# Repairs (reported or not) after which the rest of a text is not parsed: keeps a file of
# garbage from costing minutes, long after the error list is full.
MAX_RECOVERIES = 2000
_LOOKAHEAD = 3  # tokens that must parse after a repair for it to be taken
_QUIET = 3  # shifted tokens after an error before the next one is reported
_SEPS = frozenset(("COMMA", "SEMICOLON"))

_NAMES = {
    "COLON": "':'", "LBRACE": "'{'", "RBRACE": "'}'", "LESSTHAN": "'<'", "MORETHAN": "'>'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "SEMICOLON": "';'", "DOT": "'.'",
    "SLASH": "'/'", "$END": "end of file",
}
_CLOSERS = {"LBRACE": "RBRACE", "LESSTHAN": "MORETHAN", "LSQB": "RSQB"}
_SURROGATES = re.compile("[\ud800-\udfff]+")
# stray characters that recovery reads as a token ('=' as ':'), or that have a message of their
# own: never merged into a run
_KEEP_ALONE = frozenset("=\ufeff")


def _byte_of(ch: str) -> str:
    """The byte a surrogateescape'd character stands for, as \\xHH (else its code point)."""
    code = ord(ch)
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"


class _Seq(list):  # type: ignore[type-arg]
    """Children of Lark's generated repetition rules, flattened into their parent."""


def _flatten(children: list[Any]) -> list[Any]:
    out: list[Any] = []
    for child in children:
        if type(child) is _Seq:
            out.extend(child)
        else:
            out.append(child)
    return out


def _repeat(children: list[Any]) -> _Seq:
    head = children[0]
    if type(head) is _Seq:
        head.extend(children[1:])
        return head
    return _Seq(children)


def _start(children: list[Any]) -> list[Field]:
    return [c for c in _flatten(children) if type(c) is Field]


def _message(children: list[Any]) -> Message:
    return Message(children[0], [c for c in _flatten(children[1:-1]) if type(c) is Field], children[-1])


def _split_field(children: list[Any]) -> tuple[Token, Token | None, list[Any], Token | None]:
    name = children[0]
    rest = children[1:]
    colon = None
    if rest and type(rest[0]) is Token and rest[0].kind == "COLON":
        colon = rest[0]
        rest = rest[1:]
    sep = None
    last = rest[-1]
    if type(last) is Token and last.kind in _SEPS:
        sep = last
        rest = rest[:-1]
    return name, colon, rest, sep


def _scalar_field(children: list[Any]) -> Field:
    name, colon, rest, sep = _split_field(children)
    return Field(name, colon, rest[0], sep)


def _message_field(children: list[Any]) -> Field:
    name, colon, rest, sep = _split_field(children)
    return Field(name, colon, rest[0], sep)


def _list_field(children: list[Any]) -> Field:
    name, colon, rest, sep = _split_field(children)
    items = [c for c in _flatten(rest[1:-1]) if type(c) is not Token]
    return Field(name, colon, ListValue(rest[0], items, rest[-1]), sep)


def _field_name(children: list[Any]) -> Token:
    return children[0]  # type: ignore[no-any-return]


def _extension_name(children: list[Any]) -> Token:
    parts = _flatten(children)
    first, last = parts[0], parts[-1]
    text = "[" + "".join(t.text for t in parts[1:-1]) + "]"
    # missing when the name itself is, or when it was put together across a syntax error (its
    # '[' is then marked missing): a missing ']' alone still leaves a name to check
    return Token("EXTENSION", text, first.start, last.end,
                 first.missing or all(t.missing for t in parts[1:-1]))


def _drop_broken_extension_name(values: list[Any]) -> None:
    """A syntax error inside `[ext.name ...`: whatever recovery makes of the name is not the
    name the user wrote, so later stages must not report it (text_format stops at the error)."""
    k = len(values) - 1
    while k >= 0 and type(values[k]) is Token and values[k].kind in _EXTENSION_PARTS:
        k -= 1
    if k < 0 or type(values[k]) is not Token or values[k].kind != "LSQB":
        return
    before = values[k - 1] if k else None
    if before is None or type(before) is not Token or before.kind in ("LBRACE", "LESSTHAN"):
        values[k].missing = True


def _scalar(children: list[Any]) -> Scalar:
    return Scalar(_flatten(children))


def _sep(children: list[Any]) -> Token:
    return children[0]  # type: ignore[no-any-return]


_HANDLERS: dict[str, Callable[[list[Any]], Any]] = {
    "start": _start,
    "message": _message,
    "scalar_field": _scalar_field,
    "message_field": _message_field,
    "scalar_list": _list_field,
    "message_list": _list_field,
    "field_name": _field_name,
    "extension_name": _extension_name,
    "scalar": _scalar,
    "sep": _sep,
}


def _rule_table(t: Tables) -> list[tuple[str, int, Callable[[list[Any]], Any]]]:
    return [(lhs, n, _HANDLERS.get(h, _repeat)) for lhs, n, h in t.rules]


_RULES: list[tuple[str, int, Callable[[list[Any]], Any]]] | None = None


def _describe(kind: str, text: str) -> str:
    if kind == "$END":
        return "end of file"
    if kind == "IDENT":
        return f"'{text}'"
    if kind == "NUMBER":
        return f"number {text}"
    if kind in ("STRING", "BADSTRING"):
        return f"string {text if len(text) <= 30 else text[:27] + '...'}"
    return _NAMES.get(kind, repr(text))


def _expected_phrase(expected: set[str], prev: Token | None) -> str:
    names: list[str] = []
    if expected & {"STRING", "NUMBER"}:
        names.append("a value")
    elif "IDENT" in expected:
        names.append("a field name")
    for kind in ("COLON", "LBRACE", "LESSTHAN", "LSQB", "RBRACE", "MORETHAN", "RSQB", "COMMA",
                 "SEMICOLON", "DOT", "SLASH"):
        if kind in expected and not (kind in _SEPS and "RSQB" not in expected):
            names.append(_NAMES[kind])
    if "$END" in expected and len(names) == 0:
        names.append("end of file")
    if not names:
        return "something else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


class _View:
    """A parser state stack as seen by a trial run: base[:n] plus states pushed on top."""

    __slots__ = ("base", "n", "extra")

    def __init__(self, base: list[int], n: int, extra: tuple[int, ...]) -> None:
        self.base = base
        self.n = n
        self.extra = extra


class _Parser:
    """State of one parse. The hot loop lives in run(); repairs in _recover()."""

    def __init__(self, text: str, closers: dict[int, list[str]] | None = None) -> None:
        self.text = text
        self.t = tables()
        self.diagnostics: list[Diagnostic] = []
        self.comments: list[Comment] = []
        self.errors = 0
        self.stopped = False  # the recovery limit was reached: no more errors are recorded
        self.quiet = 0
        self.last_error = -1  # offset of the last reported parse error: one per line
        self.utf8_checked = 0  # undecodable bytes before this offset are reported
        self.recoveries = 0  # repairs made before the end of the text
        # blocks open at the end of the text, outermost first (None: not reached yet, or a list
        # is open too, and the old single report stands)
        self.unclosed: list[Token] | None = None
        self._good: list[int] | None = None  # see _next_good
        self.end_reached = False  # the parse reached the end of the text with an error
        self.toks = self._lex()
        if closers:
            self.toks = _with_closers(self.toks, closers)

    # -- lexing -------------------------------------------------------------------------------
    def _lex(self) -> list[tuple[str, int, int]]:
        text = self.text
        toks: list[tuple[str, int, int]] = []
        append = toks.append
        comments = self.comments
        group_kinds = self.t.group_kinds
        # Lone surrogates stand for bytes that were not UTF-8 (the CLI decodes with
        # surrogateescape); they may sit anywhere, comments and strings included.
        not_utf8 = _SURROGATES.search(text) is not None
        for m in self.t.token_regex.finditer(text):
            group = m.lastindex or 0
            kind = group_kinds[group]
            start, end = m.span(group)
            if kind == "IDENT" or kind == "NUMBER":
                append((kind, start, end))
                continue
            if kind == "STRING":
                if not_utf8:
                    self._not_utf8(start, end)
                append((kind, start, end))
                continue
            if kind == "COMMENT":
                if not_utf8:
                    self._not_utf8(start, end)
                comments.append(Comment(text[start:end], start, end))
                continue
            if kind == "BADSTRING":
                self._error("SYN003", "unterminated string: close it with the same quote on this line",
                            start, end)
                if not_utf8:
                    self._not_utf8(start, end)
                append(("STRING", start, end))
                continue
            if kind == "BAD":
                # kept as a token: the parser reports it and repairs around it ('=' -> ':'), so a
                # stray character gives one diagnostic, not one more for what follows it
                ch = text[start]
                if "\ud800" <= ch <= "\udfff":
                    if start < self.utf8_checked:
                        continue  # the rest of a run already reported
                    end = _SURROGATES.match(text, start).end()  # type: ignore[union-attr]
                    self._not_utf8(start, end)
                elif toks and ch not in _KEEP_ALONE:
                    # a run of stray characters on one line (a pasted paragraph) is one token:
                    # recovery then handles it once, not once per character
                    prev_kind, prev_start, prev_end = toks[-1]
                    if (prev_kind == "BAD" and text[prev_start] not in _KEEP_ALONE
                            and not "\ud800" <= text[prev_start] <= "\udfff"
                            and text.find("\n", prev_end, start) < 0):
                        toks[-1] = ("BAD", prev_start, end)
                        continue
                append(("BAD", start, end))
                continue
            if kind == "EOF":
                continue
            append((kind, start, end))  # type: ignore[arg-type]
        n = len(text)
        append(("$END", n, n))
        return toks

    def _not_utf8(self, start: int, end: int) -> None:
        """Report each run of undecodable bytes in text[start:end]."""
        for m in _SURROGATES.finditer(self.text, start, end):
            shown = "".join(_byte_of(ch) for ch in m.group()[:8]) + ("..." if len(m.group()) > 8 else "")
            self._error("SYN007", f"bytes that are not UTF-8 ({shown}): AMCT reads config files as UTF-8 "
                        "and cannot load this one; save the file with UTF-8 encoding", m.start(), m.end())
            self.utf8_checked = m.end()

    def _error(self, code: str, message: str, start: int, end: int) -> None:
        # Every error is kept until the end (the lexer finds some before the parser finds earlier
        # ones); capped() then keeps the first MAX_ERRORS in file order.
        if self.stopped:
            return
        self.errors += 1
        self.diagnostics.append(Diagnostic(code, message, start, end, Severity.ERROR))

    def capped(self) -> tuple[list[Diagnostic], int]:
        """The first MAX_ERRORS errors in file order, a SYN000 where the rest begin, and how many
        were left out."""
        diags = sorted(self.diagnostics, key=lambda d: d.start)
        if len(diags) <= MAX_ERRORS + 1:  # a list just one over: the last one takes SYN000's place
            return diags, 0
        hidden = len(diags) - MAX_ERRORS
        first = diags[MAX_ERRORS]
        return diags[:MAX_ERRORS] + [Diagnostic(
            "SYN000", f"more than {MAX_ERRORS} syntax errors; the rest are not shown ({hidden} more "
            "from here on)", first.start, first.end, Severity.ERROR)], hidden

    # -- driving ------------------------------------------------------------------------------
    def run(self) -> list[Field]:
        global _RULES
        if _RULES is None:
            _RULES = _rule_table(self.t)
        rules = _RULES
        states = self.t.states
        end_state = self.t.end_state
        text = self.text
        toks = self.toks
        stack = [self.t.start_state]
        values: list[Any] = []
        pending: Token | None = None  # a token inserted by a repair, fed before toks[i]
        i = 0
        while True:
            if pending is not None:
                tok = pending
                kind = tok.kind
            else:
                kind, s, e = toks[i]
                tok = None
            if kind == "$END" and stack[-1] == end_state:
                return values[-1]  # type: ignore[no-any-return]
            action = states[stack[-1]].get(kind)
            if action is None:
                pending, i = self._recover(stack, values, pending, i)
                continue
            if action >= 0:
                stack.append(action)
                if tok is None:
                    # an empty token is a closer put in by unclosed.py: missing from the text
                    tok = Token(kind, text[s:e], s, e, s == e)
                    i += 1
                else:
                    pending = None
                values.append(tok)
                if self.quiet:
                    self.quiet -= 1
                continue
            _reduce(states, rules[~action], stack, values)

    # -- recovery -----------------------------------------------------------------------------
    def _simulate(self, stack: list[int] | _View, kinds: list[str]) -> int:
        """How many of `kinds` the automaton accepts from `stack` (without building values)."""
        view = stack if type(stack) is _View else _View(stack, len(stack), ())  # type: ignore[arg-type]
        return self._run_view(view, kinds)[0]

    def _run_view(self, view: _View, kinds: list[str]) -> tuple[int, _View]:
        # The stack below `view.n` is shared, never copied: a deep stack costs nothing here.
        states = self.t.states
        rules = self.t.rules
        end_state = self.t.end_state
        base = view.base
        n = view.n
        extra = list(view.extra)
        for count, kind in enumerate(kinds):
            while True:
                top = extra[-1] if extra else base[n - 1]
                if kind == "$END" and top == end_state:
                    return len(kinds), _View(base, n, tuple(extra))
                action = states[top].get(kind)
                if action is None:
                    return count, _View(base, n, tuple(extra))
                if action >= 0:
                    extra.append(action)
                    break
                lhs, k, _ = rules[~action]
                if k:
                    if k <= len(extra):
                        del extra[len(extra) - k:]
                    else:
                        n -= k - len(extra)
                        extra.clear()
                top = extra[-1] if extra else base[n - 1]
                extra.append(states[top][lhs])
        return len(kinds), _View(base, n, tuple(extra))

    def _expected(self, stack: list[int] | _View) -> set[str]:
        """Terminals that can really be shifted next (LALR lookaheads over-approximate)."""
        view = stack if type(stack) is _View else _View(stack, len(stack), ())  # type: ignore[arg-type]
        top = view.extra[-1] if view.extra else view.base[view.n - 1]
        return {k for k in self.t.states[top]
                if k in self.t.terminals and self._run_view(view, [k])[0] == 1}

    def _last_token(self, values: list[Any]) -> Token | None:
        for v in reversed(values):
            if type(v) is Token:
                return v
            return None
        return None

    def _report(self, stack: list[int], values: list[Any], kind: str, start: int, end: int,
                prev_end: int | None = None) -> None:
        if self.quiet or self.last_error >= 0 and self.text.count("\n", self.last_error, start) == 0:
            return
        self.last_error = start
        if kind == "BAD":
            self._bad_character(stack, start, end)
            return
        prev = self._last_token(values)
        if (prev is not None and prev.kind == "NUMBER" and prev.text in ("-", "+")
                and kind in ("NUMBER", "IDENT")):
            return  # `- 1`: the binder reports the detached sign (SYN004); this is the same mistake
        expected = self._expected(stack)
        found = _describe(kind, self.text[start:end])
        prev = self._last_token(values)
        if kind == "$END" and self.unclosed:
            return  # every open block is reported by parse(), where indentation says it ends
        if kind == "$END" and expected & {"RBRACE", "MORETHAN", "RSQB"}:
            opener = self._open_bracket(values)
            if opener is not None:
                line = self.text.count("\n", 0, opener.start) + 1
                closer = _NAMES[_CLOSERS[opener.kind]]
                if opener.kind != "LSQB" and prev_end is not None:
                    # right after the last token, where Python's text_format reports it too
                    start = end = prev_end
                self._error("SYN005", f"missing {closer} to close {_NAMES[opener.kind]} opened on line "
                            f"{line}", start, end)
                return
        if (kind in ("RBRACE", "MORETHAN", "RSQB") and kind not in expected
                and self._open_bracket(values) is None):
            self._error("SYN005", f"unmatched {_NAMES[kind]}: no bracket is open here; remove it", start, end)
            return
        if prev is not None and prev.kind in ("IDENT", "EXTENSION") and {"COLON", "LBRACE"} <= expected:
            msg = f"expected ':' or '{{' after field name '{prev.text}', found {found}"
        elif prev is not None and prev.kind == "COLON" and "NUMBER" in expected:
            msg = f"expected a value after ':', found {found}"
        else:
            msg = f"unexpected {found}; expected {_expected_phrase(expected, prev)}"
        self._error("SYN001", msg, start, end)

    def _bad_character(self, stack: list[int], start: int, end: int) -> None:
        ch = self.text[start]
        if "\ud800" <= ch <= "\udfff":
            return  # undecodable bytes: reported by the lexer (SYN007)
        if ch == "\ufeff" and start == 0:
            self._error("SYN002", "byte order mark (BOM) at the start of the file: AMCT's parser rejects it; "
                        "save the file as UTF-8 without BOM", start, end)
            return
        if end - start > 1:
            shown = self.text[start:min(end, start + 12)] + ("..." if end - start > 12 else "")
            self._error("SYN002", f"unexpected text {shown!r} ({end - start} characters): not part of the "
                        "text format; put it in a comment (# ...) or in a quoted string", start, end)
            return
        message = f"unexpected character {ch!r}: not part of the text format"
        if ch == "=" and "COLON" in self._expected(stack):
            message += "; write ':' between a field name and its value"
        self._error("SYN002", message, start, end)

    def _open_bracket(self, values: list[Any]) -> Token | None:
        for v in reversed(values):
            if type(v) is Token and v.kind in _CLOSERS:
                return v
        return None

    def _recover(self, stack: list[int], values: list[Any], pending: Token | None, i: int
                 ) -> tuple[Token | None, int]:
        toks = self.toks
        if pending is not None:  # an inserted token did not fit after all: drop it
            return None, i
        kind, start, end = toks[i]
        prev_end = toks[i - 1][2] if i else None
        if kind == "$END" and self._closed_at_end(stack, values, start, end, prev_end):
            return None, i
        if kind != "$END":
            self.recoveries += 1
            if self.recoveries > MAX_RECOVERIES:
                return self._give_up(stack, values, start, end)
        self._report(stack, values, kind, start, end, prev_end)
        _drop_broken_extension_name(values)
        expected = sorted((k for k in self._expected(stack) if k in _REPAIR_ORDER),
                          key=_REPAIR_ORDER.__getitem__)
        if kind == "BAD":
            # a stray character: read it as the token that fits ('=' as ':'), else skip it
            after = self._ahead(i + 1, _LOOKAHEAD - 1)
            for missing in expected:
                if self._simulate(stack, [missing] + after) == len(after) + 1:
                    return Token(missing, "", start, start, missing=True), i + 1
            return None, i + 1
        self.quiet = _QUIET
        repaired = self._repair(stack, expected, kind, start, i)
        if repaired is not None:
            return repaired
        # 5. at the end of the text: complete every open construct, innermost first
        if kind == "$END":
            return self._complete(stack, values), i
        return self._panic(stack, values, start, i)

    def _give_up(self, stack: list[int], values: list[Any], start: int, end: int) -> tuple[Token | None, int]:
        """Not a config file worth reading further: stop here, keep what was read."""
        line = self.text.count("\n", 0, start) + 1
        self.diagnostics.append(Diagnostic(
            "SYN000", f"too many syntax errors; the rest of the file (from line {line}) "
            "is not checked", start, end, Severity.ERROR))
        self.stopped = True  # nothing more is reported
        self.quiet = _QUIET
        return self._complete(stack, values), len(self.toks) - 1

    def _repair(self, stack: list[int], expected: list[str], kind: str, start: int, i: int
                ) -> tuple[Token | None, int] | None:
        """The first small repair after which the next tokens parse (None: none does)."""
        ahead = [kind] + self._ahead(i + 1, _LOOKAHEAD - 1)
        # 1. insert one expected token before this one
        for missing in expected:
            if self._simulate(stack, [missing] + ahead) == len(ahead) + 1:
                return Token(missing, "", start, start, missing=True), i
        # 2. delete this token
        if kind != "$END" and self._simulate(stack, ahead[1:]) == len(ahead) - 1 and len(ahead) > 1:
            return None, i + 1
        # 3. replace it
        if kind != "$END":
            for missing in expected:
                if self._simulate(stack, [missing] + ahead[1:]) == len(ahead):
                    return Token(missing, "", start, start, missing=True), i + 1
        # 4. insert two tokens: a field name followed by junk keeps the field (`x }` -> `x: ? }`),
        #    so that later stages still see the name
        for missing in expected:
            for second in _PAIR_SECOND.get(missing, ()):
                if self._simulate(stack, [missing, second] + ahead) == len(ahead) + 2:
                    return Token(missing, "", start, start, missing=True), i
        return None

    def _panic(self, stack: list[int], values: list[Any], start: int, i: int) -> tuple[Token | None, int]:
        """6. Skip tokens until one fits (with the token after it, so that a word inside a
        broken value is not taken for a field name), here or after closing some of the open
        constructs. Nothing already read is dropped: a field name or value before the error
        still reaches the later stages, which may have more to say about it."""
        toks = self.toks
        chain = self._completions(stack)
        # what each level's row has an action for: a superset of what it accepts (checked below)
        rows = self.t.states
        firsts = [rows[level.extra[-1] if level.extra else level.base[level.n - 1]].keys()
                  for level, _ in chain]
        union = set().union(*firsts)
        while True:
            kind = toks[i][0]
            if kind == "$END":
                return self._complete(stack, values), i
            if kind in union:
                want = [k for k, _, _ in toks[i:i + 2]]
                for (level, inserted), first in zip(chain, firsts, strict=True):
                    if kind in first and self._simulate(level, want) == len(want):
                        for missing in inserted:
                            self._feed(stack, values, Token(missing, "", start, start, missing=True))
                        return None, i
            i += 1

    def _closed_at_end(self, stack: list[int], values: list[Any], start: int, end: int,
                       prev_end: int | None) -> bool:
        """At the end of the text: note the blocks left open (parse() reports each; with a list
        open too, the innermost bracket is reported here), and close them, one step per level
        rather than one full recovery per level, which deep nesting makes slow. Whether any
        was closed."""
        if not self.end_reached:  # the first time only: a scan of the whole stack
            self.end_reached = True
            self.unclosed = _open_blocks(values)
            if not self.unclosed:
                self._report(stack, values, "$END", start, end, prev_end)
        return self._close_blocks(stack, values)

    def _close_blocks(self, stack: list[int], values: list[Any]) -> bool:
        """Feed '}' or '>' while the parse takes one and cannot end yet; whether any was fed."""
        n = len(self.text)
        fed = False
        while True:  # at the top level neither is taken: no block is open there
            for closer in ("RBRACE", "MORETHAN", "RSQB"):
                if self._simulate(stack, [closer]) == 1:
                    self._feed(stack, values, Token(closer, "", n, n, missing=True))
                    fed = True
                    break
            else:
                return fed

    def _completions(self, stack: list[int]) -> list[tuple[_View, list[str]]]:
        """States reached by completing open constructs one missing token at a time, with the
        tokens inserted to get there; up to the top level, at most _MAX_COMPLETIONS steps."""
        level = _View(stack, len(stack), ())
        chain: list[tuple[_View, list[str]]] = [(level, [])]
        inserted: list[str] = []
        for _ in range(_MAX_COMPLETIONS):
            if self._simulate(level, ["$END"]) == 1:
                break
            for kind in _COMPLETION_ORDER:
                accepted, after = self._run_view(level, [kind])
                if accepted:
                    break
            else:  # pragma: no cover - every state of the grammar accepts one of them
                break
            level = after
            inserted = inserted + [kind]
            chain.append((level, inserted))
        return chain

    def _ahead(self, i: int, count: int) -> list[str]:
        """The kinds of the next `count` tokens from toks[i], stray characters left out."""
        out: list[str] = []
        toks = self.toks
        if self._good is None:
            self._good = _next_good(toks)
        good = self._good
        while len(out) < count and i < len(toks):
            i = good[i]  # past a run of stray tokens in one step
            out.append(toks[i][0])
            i += 1
        return out

    def _complete(self, stack: list[int], values: list[Any]) -> Token | None:
        """A missing token that brings the parse closer to its end: closer, value, ':' or '{'
        (None when the parse can end here)."""
        if self._simulate(stack, ["$END"]) == 1:
            return None
        expected = self._expected(stack)
        for kind in _COMPLETION_ORDER:
            if kind in expected:
                return Token(kind, "", len(self.text), len(self.text), missing=True)
        # not reached with this grammar; dropping every open block still ends the parse
        del stack[1:]
        del values[:]
        return None

    def _feed(self, stack: list[int], values: list[Any], tok: Token) -> None:
        """Feed a token the automaton accepts, building values as run() does."""
        assert _RULES is not None
        states = self.t.states
        while True:
            action = states[stack[-1]][tok.kind]
            if action >= 0:
                stack.append(action)
                values.append(tok)
                return
            _reduce(states, _RULES[~action], stack, values)


def _next_good(toks: list[tuple[str, int, int]]) -> list[int]:
    """For each index, the first index at or after it that is not a stray character ($END,
    the last token, always qualifies)."""
    good = [0] * len(toks)
    nxt = len(toks) - 1
    for i in range(len(toks) - 1, -1, -1):
        if toks[i][0] != "BAD":
            nxt = i
        good[i] = nxt
    return good


def _open_blocks(values: list[Any]) -> list[Token] | None:
    """The openers of the blocks still open, outermost first; None when a list is open too
    (a list has no indentation of its own to go by)."""
    openers = []
    for v in values:
        if type(v) is Token and not v.missing:
            if v.kind == "LSQB" and not _in_extension_name(values, v):
                return None
            if v.kind == "LBRACE" or v.kind == "LESSTHAN":
                openers.append(v)
    return openers or None


def _in_extension_name(values: list[Any], tok: Token) -> bool:
    return False if tok.kind != "LSQB" else _EXTENSION_PARTS.issuperset(
        v.kind for v in values[values.index(tok) + 1:] if type(v) is Token)


_EXTENSION_PARTS = frozenset(("IDENT", "DOT", "SLASH"))


def _with_closers(toks: list[tuple[str, int, int]],
                  closers: dict[int, list[str]]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for tok in toks:
        put = closers.get(tok[1])
        if put is not None:
            out.extend((kind, tok[1], tok[1]) for kind in put)
        out.append(tok)
    return out


def _reduce(states: tuple[dict[str, int], ...], rule: tuple[str, int, Callable[[list[Any]], Any]],
            stack: list[int], values: list[Any]) -> None:
    """One LALR reduction: pop the rule's symbols, build its value, go to the next state."""
    lhs, n, handler = rule
    if n:
        children = values[-n:]
        del values[-n:]
        del stack[-n:]
    else:
        children = []
    values.append(handler(children))
    stack.append(states[stack[-1]][lhs])


# Tokens a repair may invent, most plausible first. Openers, '.' and '/' are never invented:
# they would lead the parse into a block or a name the user did not write.
_REPAIR_ORDER = {"COLON": 0, "RBRACE": 1, "MORETHAN": 2, "RSQB": 3, "COMMA": 4, "IDENT": 5}
# The second token of a two-token insertion, by the first.
_PAIR_SECOND = {"COLON": ("IDENT",)}
# Completing the text at its end: close what is open, else give the missing value, ':', or the
# '{' of a message a list still needs after its ','.
_COMPLETION_ORDER = ("RBRACE", "MORETHAN", "RSQB", "IDENT", "COLON", "LBRACE")
_MAX_COMPLETIONS = 48


def parse(text: str) -> tuple[SyntaxTree, list[Diagnostic]]:
    """Parse text-format `text`. Always returns a tree; syntax errors are diagnostics."""
    parser = _Parser(text)
    if not parser.diagnostics:
        try:
            fields = fastpath.read(text, parser.toks)
            return SyntaxTree(text, fields, parser.comments), parser.diagnostics
        except (fastpath.Bail, RecursionError):  # the caller's own stack may already be deep
            pass
    fields = parser.run()
    if parser.unclosed:
        parser, fields = _close_by_indentation(text, parser, fields)
    diagnostics, hidden = parser.capped()
    return SyntaxTree(text, fields, parser.comments, hidden), diagnostics


def _close_by_indentation(text: str, parser: _Parser, fields: list[Field]) -> tuple[_Parser, list[Field]]:
    """Report every block left open; when indentation says where some of them end, parse again
    with their closers there, unless that reads worse than the first parse."""
    from . import unclosed  # only texts with blocks left open need it

    assert parser.unclosed is not None
    blocks = unclosed.plan(text, parser.toks, parser.unclosed)
    closers = unclosed.virtual_closers(blocks, len(text))
    chosen = parser
    if closers:
        again = _Parser(text, closers)
        again_fields = again.run()
        at_end = [b.opener.start for b in blocks if b.close_at >= len(text)]
        if again.errors <= parser.errors and [o.start for o in again.unclosed or ()] == at_end:
            chosen, fields = again, again_fields
        else:
            blocks = [b._replace(close_at=len(text)) for b in blocks]
    chosen.diagnostics.extend(unclosed.diagnostics(text, parser.toks, blocks))
    return chosen, fields
