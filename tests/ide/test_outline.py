"""Document symbols, folding ranges and semantic tokens: one table of cases per feature."""

from __future__ import annotations

import pytest

from amct_lang.ide.folding import folding_ranges
from amct_lang.ide.semantic_tokens import semantic_tokens
from amct_lang.ide.snapshot import snapshot
from amct_lang.ide.symbols import Symbol, symbols


def _outline(syms: list[Symbol], depth: int = 0) -> list[str]:
    out = []
    for s in syms:
        out.append("  " * depth + f"{s.name} {s.kind}" + (f" {s.detail}" if s.detail else ""))
        out.extend(_outline(s.children, depth + 1))
    return out


SYMBOLS = [
    ("activation_offset: true\nskip_layers: [\"a\", \"b\"]\n",
     ["activation_offset bool true", "skip_layers list [2 items]", "  skip_layers[0] string \"a\"",
      "  skip_layers[1] string \"b\""]),
    ("override_layer_configs {\n  layer_name: \"conv1\"\n"
     "  calibration_config { arq_quantize { channel_wise: true } }\n}\n",
     ["override_layer_configs block \"conv1\"", "  layer_name string \"conv1\"", "  calibration_config block",
      "    arq_quantize block", "      channel_wise bool true"]),
    # broken: the unclosed block still shows with what it holds
    ("common_config {\n  ifmr_quantize {\n    search_step: 0.01\n    dst_type: INT8\n",
     ["common_config block", "  ifmr_quantize block", "    search_step number 0.01",
      "    dst_type enum INT8"]),
    ("override_layer_types: [{ layer_type: \"Conv\" }, { layer_type: \"Gemm\" }]\n",
     ["override_layer_types list [2 items]", "  override_layer_types[0] block \"Conv\"",
      "    layer_type string \"Conv\"",
      "  override_layer_types[1] block \"Gemm\"", "    layer_type string \"Gemm\""]),
]


@pytest.mark.parametrize(("text", "expected"), SYMBOLS)
def test_symbols(text: str, expected: list[str]) -> None:
    syms = symbols(snapshot(text))
    assert _outline(syms) == expected

    def ranges_nest(items: list[Symbol], lo: int, hi: int) -> None:
        for s in items:
            assert lo <= s.start <= s.name_start <= s.name_end <= s.end <= hi
            ranges_nest(s.children, s.start, s.end)

    ranges_nest(syms, 0, len(text))


FOLDING = [
    ("common_config {\n  arq_quantize {\n    channel_wise: true\n  }\n}\n",
     [(0, 3, "region"), (1, 2, "region")]),
    ("a: 1\n# one\n# two\n# three\nb: 2  # trailing\n", [(1, 3, "comment")]),
    ("skip_layers: [\n  \"a\",\n  \"b\"\n]\n", [(0, 2, "region")]),
    ("common_config { arq_quantize { channel_wise: true } }\n", []),
    ("common_config {\n  arq_quantize {\n    channel_wise: true\n", [(0, 2, "region"), (1, 2, "region")]),
]


@pytest.mark.parametrize(("text", "expected"), FOLDING)
def test_folding(text: str, expected: list[tuple[int, int, str]]) -> None:
    lines = snapshot(text).lines
    folds = folding_ranges(snapshot(text))
    assert [(lines.line_col(f.start)[0], lines.line_col(f.end)[0], f.kind) for f in folds] == expected


TOKENS = [
    ("dst_type: INT8 channel_wise: true # c\n",
     [("dst_type", "property"), ("INT8", "enumMember"), ("channel_wise", "property"), ("true", "keyword"),
      ("# c", "comment")]),
    ("skip_layers: [\"a\", 'b'] x: [A, B] y: -inf z { w: 1.5 }\n",
     [("skip_layers", "property"), ('"a"', "string"), ("'b'", "string"), ("x", "property"),
      ("A", "enumMember"), ("B", "enumMember"), ("y", "property"), ("-inf", "number"), ("z", "property"),
      ("w", "property"), ("1.5", "number")]),
    # broken text still gets its tokens: the unterminated string, the value-less field
    ("layer_name: \"conv\nsearch_step:\n}}", [("layer_name", "property"), ('"conv', "string"),
                                             ("search_step", "property")]),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS)
def test_semantic_tokens(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[t.start:t.end], t.type) for t in semantic_tokens(snapshot(text))] == expected
