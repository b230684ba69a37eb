"""Fuzz and property tests of the core: analyze() never raises, finishes, and keeps every range
inside the document, whatever the input; the fast path and the LALR driver build the same tree.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from docgen import documents, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import own_examples, shared_files

from amct_lang.analysis import Analysis, analyze
from amct_lang.schema import DIALECTS
from amct_lang.syntax import ListValue, Message, Scalar, fastpath, parse
from amct_lang.syntax.parser import MAX_ERRORS, _Parser

# unknown escapes ("\\q") are kept by protobuf's unescaping, with a warning from Python's codec
pytestmark = pytest.mark.filterwarnings("ignore:invalid .*escape sequence:DeprecationWarning")

# the repository's own examples always; the seed examples and real-world corpus when ../shared is there
EXAMPLES = own_examples() + shared_files("examples/*.cfg", "corpus/realworld/*.cfg")
EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in EXAMPLES]
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- invariants -------------------------------------------------------------------------------
def nodes(fields: list[Any]) -> Iterator[Any]:
    """Every node and token of a tree, without recursion (trees may be 50k levels deep)."""
    stack: list[Any] = list(fields)
    while stack:
        f = stack.pop()
        yield f
        yield f.name
        if f.colon is not None:
            yield f.colon
        if f.sep is not None:
            yield f.sep
        values = [f.value]
        while values:
            v = values.pop()
            yield v
            if type(v) is Scalar:
                yield from v.tokens
            elif type(v) is Message:
                yield v.open
                yield v.close
                stack.extend(v.fields)
            elif type(v) is ListValue:
                yield v.open
                yield v.close
                values.extend(v.items)


def check_invariants(text: str, analysis: Analysis) -> None:
    n = len(text)
    assert analysis.tree.text == text
    for d in analysis.diagnostics:
        assert 0 <= d.start <= d.end <= n, d
        assert d.message and d.code, d
        for rel in d.related:
            assert 0 <= rel.start <= rel.end <= n, d
        for fix in d.fixes:
            for edit in fix.edits:
                assert 0 <= edit.start <= edit.end <= n, d
    for node in nodes(analysis.tree.fields):
        assert 0 <= node.start <= node.end <= n, node
    for c in analysis.tree.comments:
        assert 0 <= c.start < c.end <= n and text[c.start:c.end] == c.text
    syntax = [d for d in analysis.diagnostics if d.code.startswith("SYN")]
    assert len(syntax) <= MAX_ERRORS + 1 + text.count("\ufeff")


def check(text: str, dialect: str | None = None) -> Analysis:
    analysis = analyze(text, dialect)
    check_invariants(text, analysis)
    analysis.to_message()  # conversion never raises either, whatever was bound
    return analysis


# -- fuzzing ----------------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check(data.decode("utf-8", errors="surrogateescape"))


TOKENS = st.sampled_from([
    "a", "common_config", "skip_layers", "version", "batch_num", "1", "-1", "0x1f", "1.5f", "-inf", "nan",
    "true", "INT8", '"s"', "'t'", '"\\x41"', '"unterminated', ":", "{", "}", "<", ">", "[", "]", ",", ";",
    ".", "/", "-", "+", "#c\n", "\n", " ", "\t", "\r\n", "é", "中", "\ufeff", "\x00", "\\", "@", "=",
    "\udcff",
])


@FUZZ
@given(st.lists(TOKENS, max_size=60), st.sampled_from([None, *sorted(DIALECTS)]))
def test_token_soup(tokens: list[str], dialect: str | None) -> None:
    check("".join(tokens), dialect)


@FUZZ
@given(st.sampled_from(EXAMPLE_TEXTS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3),
                                                            TOKENS), min_size=1, max_size=6))
def test_mutated_examples(text: str, edits: list[tuple[int, int, str]]) -> None:
    for pos, cut, insert in edits:
        pos %= len(text) + 1
        text = text[:pos] + insert + text[pos + cut:]
    check(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_schema_documents(data: st.DataObject) -> None:
    dialect = data.draw(st.sampled_from(sorted(DIALECTS)))
    check(data.draw(mutated(dialect)), dialect)


# -- extreme shapes -----------------------------------------------------------------------------
DEPTH = 50_000
EXTREME = {
    "deep braces": "a {" * DEPTH + "}" * DEPTH,
    "deep known field": "common_config {" * DEPTH + "}" * DEPTH,
    "deep angles with colons": "common_config: <" * DEPTH + ">" * DEPTH,
    "deep and unclosed": "a {" * DEPTH,
    "deep unclosed lists": "a: [{" * DEPTH,
    "deep extension names": "[" * DEPTH,
    "stray closers": "}" * (2 * DEPTH),
    "bracket soup": "{[<:,;" * DEPTH,
    "one long line": "".join(f"skip_layers: 'x{i}' " for i in range(DEPTH)),
    "many errors": "a 1\n" * DEPTH,
    "undecodable": ("# \udcff\udcfe\n" * 1000) + "version: '\udcc3'",
}


@pytest.mark.parametrize("name", sorted(EXTREME))
def test_extreme_shapes(name: str) -> None:
    check(EXTREME[name])


def test_huge_valid_file() -> None:
    """About 5 MB of valid configuration: checked without error."""
    entry = ("override_layer_configs {{\n  layer_name: \"layer_{i}\"  # 第{i}层\n  calibration_config {{\n"
             "    arq_quantize {{ channel_wise: true }}\n    ifmr_quantize {{ search_range_start: 0.{d} }}\n"
             "  }}\n}}\n")
    count = 5_000_000 // len(entry.format(i=10000, d=1))
    text = "version: 1\n" + "".join(entry.format(i=i, d=i % 9 + 1) for i in range(count))
    assert len(text) > 4_900_000
    analysis = check(text, "calibration")
    assert [d for d in analysis.diagnostics if d.is_error] == []
    assert len(analysis.root.all("override_layer_configs")) == count


def test_huge_broken_file() -> None:
    """A large file full of mistakes: capped diagnostics, and it finishes."""
    rng = random.Random(7)
    lines = ["skip_layers: 'a'", "a 1", "version: {", "}", "]", "x: [1, 2", "common_config { b: }"]
    text = "\n".join(rng.choice(lines) for _ in range(100_000))
    check(text, "calibration")


# -- layout does not change the meaning -----------------------------------------------------------
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_crlf_bom_and_comments_keep_the_meaning(data: st.DataObject) -> None:
    dialect = data.draw(st.sampled_from(sorted(DIALECTS)))
    text = data.draw(documents(dialect)).replace("\r\n", "\n")
    plain = analyze(text, dialect, lint=False)
    codes = sorted(d.code for d in plain.diagnostics)

    crlf = text.replace("\n", "\r\n")
    a = analyze(crlf, dialect, lint=False)
    check_invariants(crlf, a)
    assert sorted(d.code for d in a.diagnostics) == codes
    if not plain.has_errors:
        assert a.to_message() == plain.to_message() or _same_bytes(a, plain)

    commented = "# 中文注释 ünï ☃\n" + text.replace("\n", "  # 注释 😀\n") + "\n# 结尾"
    c = analyze(commented, dialect, lint=False)
    check_invariants(commented, c)
    assert sorted(d.code for d in c.diagnostics) == codes

    bom = "\ufeff" + text
    b = analyze(bom, dialect, lint=False)
    check_invariants(bom, b)
    assert [d.code for d in b.diagnostics if d.start == 0 and d.code == "SYN002"] == ["SYN002"]


def _same_bytes(a: Analysis, b: Analysis) -> bool:
    # NaN != NaN: compare the serialized messages instead
    return bool(a.to_message().SerializePartialToString(deterministic=True)
                == b.to_message().SerializePartialToString(deterministic=True))


def test_comment_inside_string_stays_a_string() -> None:
    analysis = check("skip_layers: 'a # not a comment'  # comment\n", "calibration")
    assert [c.text for c in analysis.tree.comments] == ["# comment"]
    assert list(analysis.to_message().skip_layers) == ["a # not a comment"]


# -- fast path and LALR driver agree ------------------------------------------------------------
def dump(fields: list[Any]) -> list[Any]:
    """A structural dump of a tree: kinds, texts and ranges of every node, in order."""
    out: list[Any] = []
    for node in nodes(fields):
        out.append((type(node).__name__, node.start, node.end,
                    getattr(node, "kind", None), getattr(node, "text", None), getattr(node, "missing", None)))
    return out


def both_paths(text: str) -> tuple[list[Any], list[Any]]:
    lalr = _Parser(text)
    assert lalr.diagnostics == []
    slow = lalr.run()
    assert lalr.diagnostics == [], lalr.diagnostics
    fast = fastpath.read(text, _Parser(text).toks)
    return dump(fast), dump(slow)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_path_builds_the_lalr_tree(data: st.DataObject) -> None:
    dialect = data.draw(st.sampled_from(sorted(DIALECTS)))
    text = data.draw(documents(dialect))
    fast, slow = both_paths(text)
    assert fast == slow


VALID_TEXTS = [*(t for t in EXAMPLE_TEXTS if not parse(t)[1]), "", "# only a comment",
               "a [] b [{}, <>] c: [] [x.y/z.W] { } d: 'a' \"b\"; e < f: -1 >,"]


@pytest.mark.parametrize("text", VALID_TEXTS)
def test_fast_path_on_examples(text: str) -> None:
    fast, slow = both_paths(text)
    assert fast == slow


def test_fast_path_gives_way_on_errors() -> None:
    """An invalid text makes the fast path bail out; parse() then reports through the driver."""
    for text in ["a: [1, {}]", "a 1", "a: [1,]", "a { b: 1", "[a.b: 1"]:
        with pytest.raises(fastpath._Bail):
            fastpath.read(text, _Parser(text).toks)
        assert parse(text)[1]

