"""Differential tests: our checker against Python protobuf's text_format.Merge (what AMCT runs).

For every document and dialect: the same accept/reject, the same message when both accept, and
our first error on text_format's error line when both reject (see textformat_oracle.py for the
deliberate differences: required fields, undecodable bytes, two error positions).
Documents: the shipped examples and the real-world corpus against every dialect, a table of
hand-written edge cases (protobuf's text-format conformance list, adapted to our schemas), and
hypothesis documents generated from the schemas, plus mutations of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docgen import documents, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import own_examples, require_shared, shared_cases, shared_files
from textformat_oracle import assert_agree, ours, theirs

from amct_lang.schema import DIALECTS

# text_format unescapes with Python's codec, which warns about (and keeps) unknown escapes such
# as "\q"; we use the same function, so both accept them alike.
pytestmark = pytest.mark.filterwarnings("ignore:invalid .*escape sequence:DeprecationWarning")

CORPUS = shared_files("examples/*.cfg", "corpus/realworld/*.cfg")


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("path", own_examples() + shared_cases("examples/*.cfg", "corpus/realworld/*.cfg"),
                         ids=lambda p: p.name if p else "no-shared")
def test_corpus(path: Path, dialect: str) -> None:
    assert_agree(path.read_text(encoding="utf-8"), dialect)


def test_corpus_is_exercised() -> None:
    """The comparison above is not vacuous: both accept some files and both reject others."""
    require_shared("examples/*.cfg", "corpus/realworld/*.cfg")
    verdicts = {theirs(p.read_text(encoding="utf-8"), d).accepted for p in CORPUS for d in DIALECTS}
    assert verdicts == {True, False}


# -- hand-written edge cases ------------------------------------------------------------------
# A value written into a field of a given type: (dialect, template with {} for the value).
SLOTS = {
    "int32": ("calibration", "version: {}"),
    "uint32": ("calibration", "common_config {{ nuq_quantize {{ num_steps: {} }} }}"),
    "int64": ("record", "prune_record {{ producer {{ name: 'n' attr {{ i: {} }} }} }}"),
    "float": ("calibration", "common_config {{ ifmr_quantize {{ search_step: {} }} }}"),
    "floats": ("record", "prune_record {{ producer {{ name: 'n' attr {{ floats: {} }} }} }}"),
    "bool": ("calibration", "joint_quant: {}"),
    "enum": ("calibration", "common_config {{ ifmr_quantize {{ dst_type: {} }} }}"),
    "string": ("calibration", "skip_layers: {}"),
    "bytes": ("record", "prune_record {{ producer {{ name: 'n' attr {{ s: {} }} }} }}"),
}
NUMBERS = [
    "0", "1", "-1", "+1", "-0", "+0", "0x10", "0X1f", "-0x10", "0x", "0xg", "010", "-010", "08", "00",
    "1_000", "1__0", "_1", "1_", "0b1", "0o7", "1e5", "1E5", "1e", "1e+", "1e-3", "1e+3", "0e0", "1.5",
    "1.5f", "1.5F", "1F", "1f", "5f", "0f", "0.f", "1.5e5f", ".5", "1.", "-.5", "+.5", "-1.", "1.2.3",
    "inf", "-inf", "+inf", "infinity", "-Infinity", "INF", "iNf", "nan", "NaN", "-nan", "NAN", "infF",
    "inff", "nanf", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295",
    "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "18446744073709551615", "18446744073709551616", "0x7fffffff",
    "0x80000000", "-0x80000000", "-0x80000001", "0xffffffff", "0x100000000", "1e400", "-1e400",
    "3.4028235e38", "3.5e38", "1e-50", "0x1p3", "10bar", "1d", "1L", "1u", "1j", "- 1", "-", "+",
    "- inf", "-\t1", "-#c\n1", "1.0", "true", "t", "'1'", "[1]", "{}", "x",
]
BOOLS = ["true", "True", "t", "1", "false", "False", "f", "0", "TRUE", "FALSE", "tRue", "T", "F", "0x1",
         "0x0", "yes", "no", "2", "-1", "00", "01", "1.0", "'true'", "on"]
ENUMS = ["INT8", "INT16", "1", "2", "0", "3", "-1", "0x1", "01", "1.0", "+1", "-0", "int8", "Int8",
         "INT", "'INT8'", "INT8X", "1e0"]
STRINGS = [
    '""', "''", '"a"', "'a'", '"a\\nb"', '"\\t"', '"\\\\"', "'\\''", '"\\""', "'\"'", '"\'"', '"\\x41"',
    '"\\X41"', '"\\x4"', '"\\x414243"', '"\\101"', '"\\1234"', '"\\0"', '"\\08"', '"\\400"', '"\\777"',
    '"\\u00e9"', '"\\u00"', '"\\u12"', '"\\U0001F600"', '"\\U0001F60"', '"\\U00000041"', '"\\U00110000"',
    '"\\UFFFFFFFF"', '"\\ud800"', '"\\uD83D\\uDE00"', '"\\uDC00"', '"\\a\\b\\f\\v\\r\\?"', '"\\q"',
    '"\\x"', '"\\xg"', '"\\"', '"abc', "'abc", '"abc\\"', '"a" "b"', "'a' \"b\"", '"a"\n"b"',
    '"a" # c\n "b"', '"\\xff"', '"\\377"', '"\\xc3\\xa9"', '"\\xc3"', '"a\nb"', '"é"', '"中文"',
    '"😀"', "abc", "1", "true", '"a\tb"', '"a\rb"',
]
BYTES = ['"\\xff"', '"\\377\\000"', '"a"', '"\\u00e9"', '"é"', '"\\U0001F600"', '"\\ud800"', '"\\x"']


def _slot_cases() -> list[tuple[str, str]]:
    cases = []
    for slot in ("int32", "uint32", "int64", "float", "floats", "enum", "bool"):
        cases += [(slot, v) for v in NUMBERS]
    cases += [("bool", v) for v in BOOLS]
    cases += [("enum", v) for v in ENUMS]
    cases += [("string", v) for v in STRINGS]
    cases += [("bytes", v) for v in BYTES]
    return cases


@pytest.mark.parametrize("slot,value", _slot_cases())
def test_value_forms(slot: str, value: str) -> None:
    dialect, template = SLOTS[slot]
    assert_agree(template.format(value), dialect)


# Whole documents: (dialect, text). One line per case; add new ones here.
DOCUMENTS = [
    # separators
    ("calibration", "version: 1, joint_quant: true; do_fusion: false"),
    ("calibration", "version: 1;;"),
    ("calibration", "version: 1,;"),
    ("calibration", "version: 1 ,, joint_quant: true"),
    ("calibration", ", version: 1"),
    ("calibration", "common_config { arq_quantize {}; ifmr_quantize {}, }"),
    ("calibration", "common_config { arq_quantize {} ;; }"),
    # lists
    ("calibration", "skip_layers: []"),
    ("calibration", "skip_layers: [\"a\", \"b\"]"),
    ("calibration", "skip_layers: [\"a\",]"),
    ("calibration", "skip_layers: [,]"),
    ("calibration", "skip_layers: [\"a\" \"b\"]"),
    ("calibration", "skip_layers: [\"a\" \"b\", 'c']"),
    ("calibration", "skip_layers: [\"a\"; \"b\"]"),
    ("calibration", "skip_layers: \"a\" skip_layers: [\"b\"] skip_layers: \"c\""),
    ("calibration", "skip_layers [\"a\"]"),
    ("calibration", "skip_layers []"),
    ("calibration", "skip_layers: [\n  \"a\",\n  \"b\"\n"),
    ("calibration", "version: [1]"),
    ("calibration", "version: []"),
    ("calibration", "joint_quant: [true]"),
    ("calibration", "override_layer_types: []"),
    ("calibration", "override_layer_types []"),
    ("calibration", "override_layer_types: [{layer_type: 'Conv' calibration_config {}}, <layer_type: 'FC' "
                    "calibration_config <>>]"),
    ("calibration", "override_layer_types [{layer_type: 'Conv' calibration_config {}}]"),
    ("calibration", "override_layer_types: [{layer_type: 'Conv'}, 1]"),
    ("calibration", "override_layer_types: [1, {}]"),
    ("calibration", "override_layer_types: [{}] override_layer_types {layer_type: 'x'}"),
    ("calibration", "common_config: [{}]"),
    ("calibration", "common_config []"),
    # message forms
    ("calibration", "common_config {}"),
    ("calibration", "common_config <>"),
    ("calibration", "common_config: {}"),
    ("calibration", "common_config: <>"),
    ("calibration", "common_config { >"),
    ("calibration", "common_config < }"),
    ("calibration", "common_config: 1"),
    ("calibration", "common_config: 'x'"),
    ("calibration", "common_config"),
    ("calibration", "common_config:"),
    ("calibration", "common_config {"),
    ("calibration", "common_config {\n  arq_quantize {\n    channel_wise: true\n"),
    ("calibration", "common_config {\n  skip_layers: [\"a\",\n"),
    ("calibration", "common_config {}\n}\n"),
    ("calibration", "version {}"),
    ("calibration", "version: {}"),
    ("calibration", "version: <>"),
    ("calibration", "version"),
    ("calibration", "version:"),
    ("calibration", "version:\n"),
    ("calibration", "version 1"),
    ("calibration", "{}"),
    ("calibration", "}"),
    ("calibration", ":"),
    ("calibration", "[]"),
    # field names
    ("calibration", "[a.b]: 1"),
    ("calibration", "[a.b] {}"),
    ("calibration", "[type.googleapis.com/x.Y] {}"),
    ("calibration", "[a.b"),
    ("calibration", "[a..b]: 1"),
    ("calibration", "[]: 1"),
    ("calibration", "no_such_field: 1"),
    ("calibration", "no_such_field {}"),
    ("calibration", "Version: 1"),
    ("calibration", "version-x: 1"),
    ("calibration", "1: 1"),
    ("calibration", "é: 1"),
    ("calibration", "commmon_config {\n}\n"),
    ("calibration", "common_config {\n  ifmr {}\n}\n"),
    ("distill", "batch_num: 1"),
    ("distill", "version: 1"),
    # duplicates and oneofs: Merge keeps the last silently
    ("calibration", "version: 1 version: 2"),
    ("calibration", "joint_quant: true\njoint_quant: false\n"),
    ("calibration", "common_config { arq_quantize { channel_wise: true } }\n"
                    "common_config { ifmr_quantize { search_step: 0.5 } }\n"),
    ("calibration", "common_config { arq_quantize {} nuq_quantize { num_steps: 16 } }"),
    ("calibration", "common_config { nuq_quantize {} arq_quantize { channel_wise: false } }"),
    ("calibration", "common_config { arq_quantize { channel_wise: true } "
                    "arq_quantize { asymmetric: true } }"),
    ("distill", "distill_weight_quant_config { arq_distill {} ulq_distill { channel_wise: true } }"),
    # required fields are not checked by Merge (SCH005 is ours alone)
    ("calibration", "override_layer_configs {}"),
    ("calibration", "override_layer_configs { layer_name: 'conv1' }"),
    ("distill", "distill_group { start_layer_name: 'a' }"),
    # comments everywhere
    ("calibration", "# head\nversion # after the name\n: # after the colon\n1 # after the value\n"),
    ("calibration", "common_config # c\n{ # c\n arq_quantize # c\n { } # c\n} # c"),
    ("calibration", "skip_layers: [ # c\n 'a' # c\n , # c\n 'b' # c\n ] # c"),
    ("calibration", "skip_layers: 'a' # c\n 'b'"),
    ("calibration", "# 中文注释：量化配置\nversion: 1  # 版本\n"),
    ("calibration", "version: 1 # ünïcödé ☃ 😀\n"),
    ("calibration", "version: 1 #"),
    ("calibration", "#\n#\n#"),
    ("calibration", ""),
    ("calibration", "\n\n   \n"),
    # line endings, tabs, BOM, odd whitespace
    ("calibration", "version: 1\r\njoint_quant: true\r\n"),
    ("calibration", "version: 1\r\n"),
    ("calibration", "common_config {\r\n\tarq_quantize {\r\n\t\tchannel_wise: true\r\n\t}\r\n}\r\n"),
    ("calibration", "version: 1\rjoint_quant: true"),
    ("calibration", "version: 1\r\nversion: x\r\n"),
    ("calibration", "\tversion:\t1\t"),
    ("calibration", "version: 1   "),
    ("calibration", "version: 1\x0c\x0b"),
    ("calibration", "\ufeffversion: 1"),
    ("calibration", "version: 1\n\ufeff"),
    ("calibration", "version:\u00a01"),
    ("calibration", "version:\u30001"),
    ("calibration", "version: 1\x00"),
    ("calibration", "version: 1 @"),
    ("calibration", "version = 1"),
    ("calibration", "version: 1\nskip_layers: \"unterminated\njoint_quant: true\n"),
    # deep nesting within the schema, both bracket styles
    ("record", "prune_record < producer { name: 'a' attr < name: 'x' type: INTS ints: [1, -2, 0x3] > "
               "attr { type: FLOATS floats: [1.5, -inf, nan, 1e-3] } } selective_prune { name: 'b' } >"),
    ("record", "record { key: 'conv1' value { scale_d: 0.5 offset_d: -3 scale_w: [0.1, 0.2] "
               "shift_bit: [1, 2] } }"),
    ("record", "record { key: 'x' value { scale_d: 0.5 offset_d: 2147483648 } }"),
    ("record", "prune_record { producer { name: 'a' attr { s: 'bytes\\377\\000' "
               "strings: ['\\xff', 'b'] } } }"),
    ("distill", "distill_data_quant_config { ulq_quantize { clip_max_min { clip_max: 6 clip_min: -6 } "
                "fixed_min: true dst_type: INT4 } }"),
    ("distill", "distill_data_quant_config { ulq_quantize { dst_type: 0 } }"),
]


@pytest.mark.parametrize("dialect,text", DOCUMENTS)
def test_documents(dialect: str, text: str) -> None:
    assert_agree(text, dialect)


def test_edge_cases_cover_both_verdicts() -> None:
    verdicts = [theirs(t, d).accepted for d, t in DOCUMENTS]
    assert 20 < sum(verdicts) < len(verdicts) - 20


def test_required_fields_are_our_extra_check() -> None:
    """Merge accepts a missing required field (AMCT fails later); we report SCH005."""
    text = "override_layer_configs { layer_name: 'conv1' }"
    assert theirs(text, "calibration").accepted
    verdict, analysis = ours(text, "calibration")
    assert verdict.accepted and [d.code for d in analysis.diagnostics if d.is_error] == ["SCH005"]


# -- generated documents ----------------------------------------------------------------------
# 50 examples per dialect and property: 300 documents and 300 mutants per run.
GENERATED = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@GENERATED
@given(data=st.data())
def test_generated_documents(dialect: str, data: st.DataObject) -> None:
    assert_agree(data.draw(documents(dialect), label="document"), dialect)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@GENERATED
@given(data=st.data())
def test_mutated_documents(dialect: str, data: st.DataObject) -> None:
    assert_agree(data.draw(mutated(dialect), label="mutant"), dialect)
