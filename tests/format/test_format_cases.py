"""Formatter behaviour the golden files cannot show: refusals, line endings, nesting limits,
range formatting and edits."""

from __future__ import annotations

import pytest

from amct_lang.analysis import analyze
from amct_lang.diagnostics import Edit
from amct_lang.format import MAX_DEPTH, format_edits, format_range, format_text


def apply(text: str, edits: list[Edit]) -> str:
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[:e.start] + e.new_text + text[e.end:]
    return text


@pytest.mark.parametrize("text", [
    "activation_offset: true @\n",
    "common_config { arq_quantize { channel_wise: true }\n",
    'skip_layers: ["a",, "b"]\n',
    "activation_offset true\n",
])
def test_syntax_errors_are_refused_with_their_diagnostics(text: str) -> None:
    result = format_text(text)
    assert not result.ok and result.text is None
    assert "syntax error" in result.reason
    assert result.diagnostics and all(d.code.startswith("SYN") for d in result.diagnostics)
    assert format_edits(text) == [] and format_range(text, 0, len(text)) == []


def test_suppressed_syntax_errors_are_still_refused() -> None:
    text = "# amct-lint: disable-file=SYN\nactivation_offset: true @ joint_quant: false\n"
    assert analyze(text, lint=False).syntax_ok  # the diagnostics are hidden...
    result = format_text(text)
    assert not result.ok and "1 syntax error: fix it first" in result.reason  # ...but nothing is dropped
    assert [d.code for d in result.diagnostics] == ["SYN002"]  # and the user is shown which


def test_crlf_line_endings_are_kept() -> None:
    text = "# c\r\nactivation_offset : true\r\ncommon_config { arq_quantize { channel_wise: true } }\r\n"
    out = format_text(text).text
    assert out == ("# c\r\nactivation_offset: true\r\ncommon_config {\r\n    arq_quantize {\r\n"
                   "        channel_wise: true\r\n    }\r\n}\r\n")


def test_missing_final_newline_is_added() -> None:
    assert format_text("batch_num: 1").text == "batch_num: 1\n"


@pytest.mark.parametrize("depth, ok", [(MAX_DEPTH, True), (MAX_DEPTH + 1, False), (20000, False)])
def test_deep_nesting_is_formatted_or_refused_without_crashing(depth: int, ok: bool) -> None:
    text = "a {" * depth + "}" * depth
    result = format_text(text)
    assert result.ok is ok
    if ok:
        assert result.text is not None and result.text.count("\n") == 2 * depth - 1
    else:
        assert f"nested deeper than {MAX_DEPTH} levels" in result.reason


def test_a_header_comment_that_would_change_the_dialect_is_refused() -> None:
    text = "\n" * 12 + "# amct-dialect: record\nactivation_offset: true\n"
    result = format_text(text)
    assert not result.ok and "names the dialect" in result.reason


def test_format_edits_touch_only_changed_lines() -> None:
    text = "# keep\nbatch_num: 1\ngroup_size : 2\ndata_dump: true\n"
    edits = format_edits(text)
    assert edits == [Edit(text.index("group_size"), text.index("data_dump"), "group_size: 2\n")]
    assert format_edits("batch_num: 1\n") == []


TEXT = """# head
batch_num : 1

# about the group
distill_group { start_layer_name: "a" end_layer_name: "b" }  # tail
group_size : 2  data_dump : true
quant_skip_layers:["x","y"]
"""


def test_range_formatting_touches_only_the_fields_in_the_range() -> None:
    start = TEXT.index("end_layer_name")
    edits = format_range(TEXT, start, start)
    assert len(edits) == 1
    out = apply(TEXT, edits)
    assert out == """# head
batch_num : 1

# about the group
distill_group {
    start_layer_name: "a"
    end_layer_name: "b"
}  # tail
group_size : 2  data_dump : true
quant_skip_layers:["x","y"]
"""


def test_range_formatting_of_fields_sharing_a_line_and_of_a_comment() -> None:
    start = TEXT.index("data_dump")
    out = apply(TEXT, format_range(TEXT, start, start + 3))
    assert "group_size: 2\ndata_dump: true\nquant_skip_layers:[" in out
    assert "batch_num : 1" in out
    # a range inside a comment formats the field the comment belongs to
    start = TEXT.index("about")
    out = apply(TEXT, format_range(TEXT, start, start))
    assert "\n\n# about the group\ndistill_group {\n" in out and "group_size : 2" in out


def test_range_over_the_whole_text_is_whole_formatting() -> None:
    assert apply(TEXT, format_range(TEXT, 0, len(TEXT))) == format_text(TEXT).text


def test_analysis_input_gives_the_same_result_as_text() -> None:
    assert format_text(analyze(TEXT)).text == format_text(TEXT).text


def test_range_end_is_exclusive() -> None:
    text = "batch_num : 1\ngroup_size : 2\n"
    line_two = text.index("group_size")
    assert apply(text, format_range(text, 0, line_two)) == "batch_num: 1\ngroup_size : 2\n"
