"""parse(text) -> (SyntaxTree, diagnostics). Never raises on any input.

An LALR driver over the tables Lark builds from grammar/textproto.lark, with error recovery:
at an unexpected token it tries, in order, inserting one expected token, deleting the token,
or replacing it, and keeps the first repair after which the next tokens parse; failing that it
skips to a point where a field can start. Errors right after a repair are suppressed until three
tokens have been shifted, so one mistake gives one diagnostic.
"""

from __future__ import annotations

from typing import Any, Callable

from ..diagnostics import Diagnostic, Severity
from . import fastpath
from .grammar import Tables, tables
from .nodes import Comment, Field, ListValue, Message, Scalar, SyntaxTree, Token

MAX_ERRORS = 100
_LOOKAHEAD = 3  # tokens that must parse after a repair for it to be taken
_QUIET = 3  # shifted tokens after an error before the next one is reported
_SEPS = frozenset(("COMMA", "SEMICOLON"))

_NAMES = {
    "COLON": "':'", "LBRACE": "'{'", "RBRACE": "'}'", "LESSTHAN": "'<'", "MORETHAN": "'>'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "SEMICOLON": "';'", "DOT": "'.'",
    "SLASH": "'/'", "$END": "end of file",
}
_CLOSERS = {"LBRACE": "RBRACE", "LESSTHAN": "MORETHAN", "LSQB": "RSQB"}


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
    return Token("EXTENSION", text, first.start, last.end, first.missing or last.missing)


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


class _Parser:
    """State of one parse. The hot loop lives in run(); repairs in _recover()."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.t = tables()
        self.diagnostics: list[Diagnostic] = []
        self.comments: list[Comment] = []
        self.errors = 0
        self.quiet = 0
        self.last_error = 0  # offset of the last reported parse error: one per line
        self.toks = self._lex()

    # -- lexing -------------------------------------------------------------------------------
    def _lex(self) -> list[tuple[str, int, int]]:
        text = self.text
        toks: list[tuple[str, int, int]] = []
        append = toks.append
        comments = self.comments
        group_kinds = self.t.group_kinds
        for m in self.t.token_regex.finditer(text):
            group = m.lastindex
            kind = group_kinds[group]  # type: ignore[index]
            start, end = m.span(group)
            if kind == "IDENT" or kind == "NUMBER" or kind == "STRING":
                append((kind, start, end))
                continue
            if kind == "COMMENT":
                comments.append(Comment(text[start:end], start, end))
                continue
            if kind == "BADSTRING":
                self._error("SYN003", "unterminated string: close it with the same quote on this line",
                            start, end)
                append(("STRING", start, end))
                continue
            if kind == "BAD":
                ch = text[start]
                if ch == "\ufeff":
                    msg = "byte order mark (BOM) at the start of the file: AMCT's parser rejects it; save the file as UTF-8 without BOM"
                else:
                    msg = f"unexpected character {ch!r}: not part of the text format"
                self._error("SYN002", msg, start, end)
                continue
            append((kind, start, end))  # type: ignore[arg-type]
        n = len(text)
        append(("$END", n, n))
        return toks

    def _error(self, code: str, message: str, start: int, end: int) -> None:
        self.errors += 1
        if self.errors <= MAX_ERRORS:
            self.diagnostics.append(Diagnostic(code, message, start, end, Severity.ERROR))
        elif self.errors == MAX_ERRORS + 1:
            self.diagnostics.append(Diagnostic(
                "SYN000", f"more than {MAX_ERRORS} syntax errors; the rest are not shown",
                start, end, Severity.ERROR))

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
                    tok = Token(kind, text[s:e], s, e)
                    i += 1
                else:
                    pending = None
                values.append(tok)
                if self.quiet:
                    self.quiet -= 1
                continue
            lhs, n, handler = rules[~action]
            if n:
                children = values[-n:]
                del values[-n:]
                del stack[-n:]
            else:
                children = []
            values.append(handler(children))
            stack.append(states[stack[-1]][lhs])

    # -- recovery -----------------------------------------------------------------------------
    def _simulate(self, stack: list[int], kinds: list[str]) -> int:
        """How many of `kinds` the automaton accepts from `stack` (without building values)."""
        states = self.t.states
        rules = self.t.rules
        stack = list(stack)
        for count, kind in enumerate(kinds):
            while True:
                if kind == "$END" and stack[-1] == self.t.end_state:
                    return len(kinds)
                action = states[stack[-1]].get(kind)
                if action is None:
                    return count
                if action >= 0:
                    stack.append(action)
                    break
                lhs, n, _ = rules[~action]
                if n:
                    del stack[-n:]
                stack.append(states[stack[-1]][lhs])
        return len(kinds)

    def _expected(self, stack: list[int]) -> set[str]:
        """Terminals that can really be shifted next (LALR lookaheads over-approximate)."""
        return {k for k in self.t.states[stack[-1]]
                if k in self.t.terminals and self._simulate(stack, [k]) == 1}

    def _last_token(self, values: list[Any]) -> Token | None:
        for v in reversed(values):
            if type(v) is Token:
                return v
            return None
        return None

    def _report(self, stack: list[int], values: list[Any], kind: str, start: int, end: int) -> None:
        if self.quiet or self.text.count("\n", self.last_error, start) == 0 and self.diagnostics:
            return
        self.last_error = start
        expected = self._expected(stack)
        found = _describe(kind, self.text[start:end])
        prev = self._last_token(values)
        if kind == "$END" and expected & {"RBRACE", "MORETHAN", "RSQB"}:
            opener = self._open_bracket(values)
            if opener is not None:
                line = self.text.count("\n", 0, opener.start) + 1
                closer = _NAMES[_CLOSERS[opener.kind]]
                self._error("SYN005", f"missing {closer} to close {_NAMES[opener.kind]} opened on line {line}",
                            start, end)
                return
        if kind in ("RBRACE", "MORETHAN", "RSQB") and kind not in expected and self._open_bracket(values) is None:
            self._error("SYN005", f"unmatched {_NAMES[kind]}: no bracket is open here; remove it", start, end)
            return
        if prev is not None and prev.kind in ("IDENT", "EXTENSION") and {"COLON", "LBRACE"} <= expected:
            msg = f"expected ':' or '{{' after field name '{prev.text}', found {found}"
        elif prev is not None and prev.kind == "COLON" and "NUMBER" in expected:
            msg = f"expected a value after ':', found {found}"
        else:
            msg = f"unexpected {found}; expected {_expected_phrase(expected, prev)}"
        self._error("SYN001", msg, start, end)

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
        self._report(stack, values, kind, start, end)
        self.quiet = _QUIET
        ahead = [k for k, _, _ in toks[i:i + _LOOKAHEAD]]
        expected = sorted((k for k in self._expected(stack) if k in _REPAIR_ORDER), key=_REPAIR_ORDER.__getitem__)
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
        # 4. panic: skip to a token some enclosing state accepts (with the token after it, so
        #    a word inside a broken value is not taken for a field name), dropping what cannot
        #    finish
        while True:
            kind = toks[i][0]
            want = [k for k, _, _ in toks[i:i + 2]]
            depth = len(stack)
            while depth >= 1:
                if self._simulate(stack[:depth], want) == len(want):
                    del stack[depth:]
                    del values[depth - 1:]
                    return None, i
                depth -= 1
            if kind == "$END":
                # nothing fits even at the top: drop every open block
                del stack[1:]
                del values[:]
                return None, i
            i += 1


# Tokens a repair may invent, most plausible first. Openers, '.' and '/' are never invented:
# they would lead the parse into a block or a name the user did not write.
_REPAIR_ORDER = {"COLON": 0, "RBRACE": 1, "MORETHAN": 2, "RSQB": 3, "COMMA": 4, "IDENT": 5}


def parse(text: str) -> tuple[SyntaxTree, list[Diagnostic]]:
    """Parse text-format `text`. Always returns a tree; syntax errors are diagnostics."""
    parser = _Parser(text)
    if not parser.diagnostics:
        try:
            fields = fastpath.read(text, parser.toks)
            return SyntaxTree(text, fields, parser.comments), parser.diagnostics
        except (fastpath._Bail, RecursionError):
            pass
    return SyntaxTree(text, parser.run(), parser.comments), parser.diagnostics
