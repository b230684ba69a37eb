"""Load grammar/textproto.lark once and turn Lark's LALR tables into compact lookup tables.

Lark builds the automaton (and proves it conflict-free); the driver in parser.py runs it over
tokens from one combined regex. This keeps the grammar file the single source of the syntax while
avoiding per-token object overhead in the hot loop.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from functools import lru_cache
from typing import Any, NamedTuple

GRAMMAR_NAME = "textproto.lark"
# The tables Lark computes from the grammar, stored with the grammar's hash: start-up then needs
# neither Lark nor the LALR construction. Stale tables (grammar edited) are rebuilt in memory;
# `python -m amct_lang.syntax.grammar` rewrites the file and a test keeps it current.
TABLES_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tables.json")


def grammar_path() -> str:
    """The grammar: inside the installed package, or at the top of a source checkout."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (os.path.join(here, "grammar", GRAMMAR_NAME),
                      os.path.join(os.path.dirname(here), "grammar", GRAMMAR_NAME)):
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"{GRAMMAR_NAME} not found next to {here}")


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def grammar_text() -> str:
    return _read(grammar_path())


def build_lark(strict: bool = False):  # type: ignore[no-untyped-def]
    from lark import Lark

    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        strict=strict,
        cache=not strict,
        keep_all_tokens=True,
    )


class Tables(NamedTuple):
    # states[s][symbol] -> shift/goto target (>= 0) or ~rule_index (< 0) for a reduction
    states: tuple[dict[str, int], ...]
    # rules[i] = (lhs, number of symbols, handler name)
    rules: tuple[tuple[str, int, str], ...]
    start_state: int
    end_state: int
    terminals: frozenset[str]
    token_regex: re.Pattern[str]
    # token_regex group number -> token kind
    group_kinds: tuple[str, ...]


# Order matters where shapes overlap: '.5' is a NUMBER, '.' alone a DOT. Whitespace (WS) is
# consumed as a prefix of every match rather than matched on its own: half the matches.
_TOKEN_ORDER = ("COMMENT", "STRING", "NUMBER", "IDENT")
# Lexical fallbacks that are not in the grammar: they produce diagnostics.
_FALLBACKS = (
    ("BADSTRING", r"""["'][^\n]*"""),
    ("BAD", r"."),
    # Whitespace at the very end of the text: without this the WS prefix would backtrack and
    # leave its last character to BAD.
    ("EOF", r"\Z"),
)


def grammar_hash() -> str:
    """Identifies the tables: the grammar plus the lexer settings of this module."""
    # a checksum, not a cryptographic hash: it only detects edits (zlib imports in no time)
    blob = (grammar_text() + repr((_TOKEN_ORDER, _FALLBACKS))).encode("utf-8")
    return f"{zlib.crc32(blob):08x}-{len(blob)}"


@lru_cache(maxsize=1)
def tables() -> Tables:
    """The parse tables: from tables.json when it matches the grammar, else built with Lark."""
    data = None
    try:
        data = json.loads(_read(TABLES_PATH))
    except (OSError, ValueError):
        pass
    if data is None or data.get("grammar_sha256") != grammar_hash():
        data = compute_tables()
    return Tables(
        states=tuple(data["states"]),
        rules=tuple(tuple(r) for r in data["rules"]),  # type: ignore[misc]
        start_state=data["start_state"],
        end_state=data["end_state"],
        terminals=frozenset(data["terminals"]),
        token_regex=re.compile(data["token_regex"]),
        group_kinds=tuple(data["group_kinds"]),
    )


def compute_tables() -> dict[str, Any]:
    """Run Lark's LALR construction on the grammar and extract plain, JSON-able tables."""
    from lark.lexer import PatternStr
    from lark.parsers.lalr_analysis import Shift

    lark = build_lark()
    parse_table = lark.parser.parser.parser.parse_table  # the LALR automaton
    rule_index: dict[object, int] = {}
    rules: list[tuple[str, int, str]] = []
    states: list[dict[str, int]] = [dict() for _ in range(len(parse_table.states))]
    for state, actions in parse_table.states.items():
        row = states[state]
        for symbol, (action, arg) in actions.items():
            if action is Shift:
                row[symbol] = arg
            else:
                index = rule_index.get(arg)
                if index is None:
                    index = rule_index[arg] = len(rules)
                    lhs = str(arg.origin.name)
                    handler = str(arg.alias) if arg.alias else lhs
                    rules.append((lhs, len(arg.expansion), handler))
                row[symbol] = ~index

    terms = {t.name: t for t in lark.terminals}
    kinds: list[str] = []
    parts: list[str] = []
    for name in _TOKEN_ORDER:
        kinds.append(name)
        parts.append(f"({terms[name].pattern.to_regexp()})")
    for name, term in terms.items():
        if name not in _TOKEN_ORDER and name != "WS":
            pattern = term.pattern
            regexp = re.escape(pattern.value) if isinstance(pattern, PatternStr) else pattern.to_regexp()
            kinds.append(name)
            parts.append(f"({regexp})")
    for name, regexp in _FALLBACKS:
        kinds.append(name)
        parts.append(f"({regexp})")
    ws = terms["WS"].pattern.to_regexp().replace("+", "*")
    return {
        "grammar_sha256": grammar_hash(),
        "states": states,
        "rules": rules,
        "start_state": parse_table.start_states["start"],
        "end_state": parse_table.end_states["start"],
        "terminals": sorted(set(terms) | {"$END"}),
        "token_regex": f"{ws}(?:{'|'.join(parts)})",
        "group_kinds": [""] + kinds,
    }


def write_tables() -> None:
    with open(TABLES_PATH, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(compute_tables(), indent=None, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_tables()
