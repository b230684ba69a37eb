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


def build_lark(strict: bool = False, cache: bool = True):  # type: ignore[no-untyped-def]
    from lark import Lark

    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        strict=strict,
        cache=cache and not strict,
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


def _rule_key(rule: Any) -> tuple[str, tuple[str, ...], str]:
    return (str(rule.origin.name), tuple(str(s.name) for s in rule.expansion), str(rule.alias or ""))


Automaton = tuple[list[dict[str, int]], list[tuple[str, int, str]], int, int]


def _canonical_automaton(parse_table: Any) -> Automaton:
    """Renumber Lark's LALR states and rules so the result does not depend on the process.

    Lark numbers states and rules in set-iteration order, which changes with PYTHONHASHSEED and
    with its on-disk cache. Here rules are sorted by (lhs, expansion, alias) and states are
    numbered breadth-first from the start state, following each state's symbols in sorted order.
    """
    from lark.parsers.lalr_analysis import Shift

    raw_states = parse_table.states
    all_rules = {
        _rule_key(arg): arg
        for actions in raw_states.values()
        for action, arg in actions.values()
        if action is not Shift
    }
    rule_index = {key: i for i, key in enumerate(sorted(all_rules))}
    rules = []
    for key in sorted(all_rules):
        lhs, expansion, alias = key
        rules.append((lhs, len(expansion), alias or lhs))

    start = parse_table.start_states["start"]
    order = [start]
    number = {start: 0}
    for old in order:  # the list grows while it is walked: breadth-first
        for symbol in sorted(raw_states[old]):
            action, arg = raw_states[old][symbol]
            if action is Shift and arg not in number:
                number[arg] = len(order)
                order.append(arg)
    # a state the start cannot reach is never used: it is left out

    states: list[dict[str, int]] = []
    for old in order:
        row: dict[str, int] = {}
        for symbol in sorted(raw_states[old]):
            action, arg = raw_states[old][symbol]
            row[symbol] = number[arg] if action is Shift else ~rule_index[_rule_key(arg)]
        states.append(row)
    return states, rules, 0, number[parse_table.end_states["start"]]


def compute_tables(cache: bool = True) -> dict[str, Any]:
    """Run Lark's LALR construction on the grammar and extract plain, JSON-able tables."""
    from lark.lexer import PatternStr

    lark = build_lark(cache=cache)
    states, rules, start_state, end_state = _canonical_automaton(lark.parser.parser.parser.parse_table)

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
        "start_state": start_state,
        "end_state": end_state,
        "terminals": sorted(set(terms) | {"$END"}),
        "token_regex": f"{ws}(?:{'|'.join(parts)})",
        "group_kinds": [""] + kinds,
    }


def tables_json(cache: bool = True) -> str:
    """The exact text of tables.json: the same bytes from any process."""
    return json.dumps(compute_tables(cache=cache), indent=None, sort_keys=True) + "\n"


def write_tables() -> None:
    with open(TABLES_PATH, "w", encoding="utf-8") as handle:
        handle.write(tables_json(cache=False))


if __name__ == "__main__":
    write_tables()
