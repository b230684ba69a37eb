"""Parser: trees, positions, and one diagnostic per mistake, at the right place."""

from __future__ import annotations

import pytest

from amct_lang.syntax import Field, ListValue, Message, Scalar, parse
from amct_lang.syntax.grammar import build_lark


def test_grammar_is_conflict_free_under_lark_strict_mode() -> None:
    build_lark(strict=True)  # raises on shift/reduce conflicts and regex collisions


def test_all_value_forms() -> None:
    text = 'a: 1 b { c: "x" \'y\' } d: [1, 2] e: [{}, <>] [x.y/z.W]: 1; f < g: -inf >, h: []'
    tree, diags = parse(text)
    assert diags == []
    names = [f.name.text for f in tree.fields]
    assert names == ["a", "b", "d", "e", "[x.y/z.W]", "f", "h"]
    b = tree.fields[1].value
    assert isinstance(b, Message) and b.open.text == "{"
    c = b.fields[0].value
    assert isinstance(c, Scalar) and [t.text for t in c.tokens] == ['"x"', "'y'"]
    d = tree.fields[2].value
    assert isinstance(d, ListValue) and [i.tokens[0].text for i in d.items] == ["1", "2"]  # type: ignore[union-attr]
    assert tree.fields[4].sep is not None and tree.fields[4].sep.text == ";"
    assert tree.fields[5].sep is not None and tree.fields[5].sep.text == ","


def test_ranges_point_into_the_text() -> None:
    text = "# head\nname : 'v'  # tail\nblock {\n  x: 1\n}\n"
    tree, diags = parse(text)
    assert diags == []
    f = tree.fields[0]
    assert text[f.name.start:f.name.end] == "name"
    assert text[f.value.start:f.value.end] == "'v'"
    block = tree.fields[1].value
    assert isinstance(block, Message)
    assert text[block.start:block.end] == "{\n  x: 1\n}"
    assert [c.text for c in tree.comments] == ["# head", "# tail"]
    assert tree.lines.line_col(block.fields[0].start) == (3, 2)


# (text, [(code, offset of the diagnostic's start)])
CASES = [
    ("a 1", [("SYN001", 2)]),
    ("a: {", [("SYN005", 4)]),
    ("a {} }", [("SYN005", 5)]),
    ("a: 1 2 b: 3", [("SYN001", 5)]),
    ("x { y: } z: 1", [("SYN001", 7)]),
    ('a: "abc', [("SYN003", 3)]),
    ("a: 1 @ b: 2", [("SYN002", 5)]),
    ("a: [1 2]", [("SYN001", 6)]),
    ("a: 1;;", [("SYN001", 5)]),
    ("\ufeffa: 1", [("SYN002", 0)]),
    # two independent mistakes, both reported in one pass
    ("a 1\nb: 2\nc {\n d 3\n}\n", [("SYN001", 2), ("SYN001", 16)]),
    # a missing '}' is reported right after the last token, as text_format does...
    ("a { b: 1\n  c: 2\n", [("SYN005", 15)]),
    # ...unless indentation says the block ended earlier: then right after its last token
    ("a { b: 1\nc: 2\n", [("SYN005", 8)]),
    # every unclosed block gets its own report
    ("a {\n  b {\n    c: 1\nd: 2\n", [("SYN005", 18), ("SYN005", 18)]),
    ("a {\n  b {\n    c: 1\n  d: 2\n", [("SYN005", 18), ("SYN005", 25)]),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_errors(text: str, expected: list[tuple[str, int]]) -> None:
    _, diags = parse(text)
    assert [(d.code, d.start) for d in diags] == expected


def test_missing_colon_message_names_the_field() -> None:
    _, diags = parse("search_step 0.01")
    assert diags[0].message == "expected ':' or '{' after field name 'search_step', found number 0.01"


def test_recovery_keeps_later_fields() -> None:
    tree, diags = parse("a: 1 2\nb: 3\nc { d: 4 }\n")
    assert len(diags) == 1
    assert [f.name.text for f in tree.fields] == ["a", "b", "c"]


def test_error_cap() -> None:
    _, diags = parse("a: 1 @\n" * 500)
    assert len(diags) == 101 and diags[-1].code == "SYN000"


def test_deep_nesting_does_not_crash() -> None:
    depth = 20000
    tree, diags = parse("a {" * depth + "}" * depth)
    assert diags == []
    node: Field = tree.fields[0]
    assert isinstance(node.value, Message)


def test_parser_never_raises_on_garbage() -> None:
    for text in ["{", "}", "[", "]", ":", ":::", "<<<>>>", "a: [", "a: [{", "[a", "[a.", "a: -", '"',
                 "a:\n\n\n", "\x00\x01", "a { b { c { ", "}}}}", "a: 1, b: 2,, c: 3"]:
        tree, diags = parse(text)
        for d in diags:
            assert 0 <= d.start <= d.end <= len(text)


def _tables_from_a_fresh_process(seed: str, tmp: str) -> str:
    """tables.json's text as a new interpreter computes it, without Lark's on-disk cache."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONHASHSEED=seed, TMPDIR=tmp)
    code = ("import sys; from amct_lang.syntax.grammar import tables_json; "
            "sys.stdout.write(tables_json(cache=False))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def test_shipped_tables_match_the_grammar(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """amct_lang/syntax/tables.json must be regenerated when the grammar changes
    (python -m amct_lang.syntax.grammar); the numbering of states and rules is canonical, so
    any process, whatever its hash seed or cache, writes the same bytes."""
    from amct_lang.syntax.grammar import TABLES_PATH

    with open(TABLES_PATH, encoding="utf-8", newline="") as handle:
        shipped = handle.read()
    first = _tables_from_a_fresh_process("1", str(tmp_path))
    second = _tables_from_a_fresh_process("4242", str(tmp_path))
    assert first == second, "the table builder depends on the hash seed"
    assert shipped == first, "tables.json is stale: run python -m amct_lang.syntax.grammar"
