"""Fixes the CAL/DST rules attach: what each one writes, and that applying it removes the diagnostic.

SAFE: `check --fix` applies them all (amct_lang.fix), the result is compared with the expected text.
OFFERED: one named fix (the editor's quick fix) is applied by hand and compared.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amct_lang.analysis import analyze
from amct_lang.fix import apply_edits, fix, line_edits

ONNX = "# amct-dialect: calibration-onnx\n"
ATC = "# amct-dialect: calibration\n"
DISTILL = "# amct-dialect: distill\n"

# (name, text, text after all safe fixes)
SAFE = [
    ("repeated items of a second list",
     ONNX + 'skip_layers: ["Conv_0", "Conv_3", "Conv_7"]\nskip_layers: ["Conv_0", "Conv_3", "Conv_9"]\n',
     ONNX + 'skip_layers: ["Conv_0", "Conv_3", "Conv_7"]\nskip_layers: ["Conv_9"]\n'),
    ("repeated items at the end and in the middle of one list",
     ONNX + 'skip_fusion_layers: ["a", "b", "a", "c", "b"]\n',
     ONNX + 'skip_fusion_layers: ["a", "b", "c"]\n'),
    ("a list made only of repeats",
     ATC + 'skip_layer_types: "Pooling"\nskip_layer_types: ["Pooling", "Pooling"]\n',
     ATC + 'skip_layer_types: "Pooling"\nskip_layer_types: []\n'),
    ("a repeated line goes, its neighbour's comment stays",
     DISTILL + 'quant_skip_layers: "conv1"  # first\nquant_skip_layers: "conv1"\nbatch_num: 2\n',
     DISTILL + 'quant_skip_layers: "conv1"  # first\nbatch_num: 2\n'),
    ("a repeat sharing its line with a comment",
     DISTILL + 'quant_skip_layers: "conv1"\nquant_skip_layers: "conv1"  # again\n',
     DISTILL + 'quant_skip_layers: "conv1"\n# again\n'),
    ("an empty IFMR block in tensor_quantize",
     ATC + 'tensor_quantize {\n  layer_name: "pool1"\n  input_index: 0\n  ifmr_quantize { }\n}\n',
     ATC + 'tensor_quantize {\n  layer_name: "pool1"\n  input_index: 0\n}\n'),
]


@pytest.mark.parametrize("name, text, expected", SAFE, ids=[c[0] for c in SAFE])
def test_safe_fixes(name: str, text: str, expected: str) -> None:
    result = fix(analyze(text), analyze)
    assert result.text == expected
    assert not result.analysis.has_errors


# (code, text, title of the fix, text after it)
OFFERED = [
    ("CAL002", ATC + "common_config { nuq_quantize { num_steps: 20 } }\n", "Replace with 16",
     ATC + "common_config { nuq_quantize { num_steps: 16 } }\n"),
    ("CAL002", ATC + "common_config { nuq_quantize { num_steps: 20 } }\n", "Replace with 32",
     ATC + "common_config { nuq_quantize { num_steps: 32 } }\n"),
    ("CAL003", ATC + "common_config { nuq_quantize { num_of_iteration: 9 } }\n",
     "Replace with 1 (the default)",
     ATC + "common_config { nuq_quantize { num_of_iteration: 1 } }\n"),
    ("CAL006", ATC + "common_config { ifmr_quantize { dst_type: INT16 } }\n", "Replace with INT8",
     ATC + "common_config { ifmr_quantize { dst_type: INT8 } }\n"),
    ("CAL007", ATC + "common_config { ifmr_quantize { max_percentile: 99.9999 } }\n",
     "Replace with 0.999999 (a fraction, not a percentage)",
     ATC + "common_config { ifmr_quantize { max_percentile: 0.999999 } }\n"),
    ("CAL004", ONNX + "common_config { arq_quantize { asymmetric: true } }\n", "Replace with false",
     ONNX + "common_config { arq_quantize { asymmetric: false } }\n"),
    ("CAL015", ATC + 'override_layer_types { layer_type: "MatMulV2" calibration_config { arq_quantize { '
     'channel_wise: true } } }\n', "Replace with false",
     ATC + 'override_layer_types { layer_type: "MatMulV2" calibration_config { arq_quantize { '
     'channel_wise: false } } }\n'),
    ("CAL016", ATC + "skip_layer_types: 'conv2d'\n", "Replace with 'Conv2D'",
     ATC + "skip_layer_types: 'Conv2D'\n"),
    ("CAL016", ONNX + 'skip_layer_types: "linear"\n', "Replace with 'Linear'",
     ONNX + 'skip_layer_types: "Linear"\n'),
    ("CAL001", ATC + "version: 2\n", "Replace with 1", ATC + "version: 1\n"),
    ("CAL005", ATC + "common_config {\n  weight_compress_only: true\n  ifmr_quantize { }\n}\n",
     "Remove ifmr_quantize", ATC + "common_config {\n  weight_compress_only: true\n}\n"),
    ("DST001", DISTILL + "batch_num: 0\n", "Replace with 1", DISTILL + "batch_num: 1\n"),
    ("DST002", DISTILL + "distill_weight_quant_config { arq_distill { dst_type: INT4 } }\n",
     "Replace with INT8",
     DISTILL + "distill_weight_quant_config { arq_distill { dst_type: INT8 } }\n"),
    ("DST003",
     DISTILL + "distill_data_quant_config { ulq_quantize { clip_max_min { clip_max: 6 clip_min: 6 } } }\n",
     "Replace with -6",
     DISTILL + "distill_data_quant_config { ulq_quantize { clip_max_min { clip_max: 6 clip_min: -6 } } }\n"),
    ("DST007", DISTILL + 'distill_override_layer_types { layer_type: "Linear" distill_weight_quant_config { '
     'ulq_distill { channel_wise: true } } }\n', "Replace with false",
     DISTILL + 'distill_override_layer_types { layer_type: "Linear" distill_weight_quant_config { '
     'ulq_distill { channel_wise: false } } }\n'),
    ("DST010", DISTILL + 'quant_skip_layer_types: "conv2d"\n', "Replace with 'Conv2d'",
     DISTILL + 'quant_skip_layer_types: "Conv2d"\n'),
]


@pytest.mark.parametrize("code, text, title, expected", OFFERED, ids=[f"{c[0]}-{c[2]}" for c in OFFERED])
def test_offered_fixes(code: str, text: str, title: str, expected: str) -> None:
    found = [d for d in analyze(text).diagnostics if d.code == code]
    assert len(found) == 1, found
    fixes = {f.title: f for f in found[0].fixes}
    assert title in fixes, f"offered: {list(fixes)}"
    assert not fixes[title].safe, "replacing a value changes what AMCT does: not a safe fix"
    fixed = apply_edits(text, fixes[title].edits)
    assert fixed == expected
    assert not [d for d in analyze(fixed).diagnostics if d.code == code]


def test_no_fix_where_none_is_obvious() -> None:
    text = ATC + 'override_layer_configs { layer_name: "a" calibration_config { } }\n' \
                 'override_layer_configs { layer_name: "a" calibration_config { } }\n'
    (repeat,) = [d for d in analyze(text).diagnostics if d.code == "CAL011"]
    assert repeat.fixes == ()  # which of two overrides to keep is the author's call


# -- the schema diagnostics carry their fixes from the core ------------------------------------------
# (name, text, text after `check --fix`)
SCHEMA_SAFE = [
    ("quotes around a bool", ATC + 'activation_offset: "true"\n', ATC + "activation_offset: true\n"),
    ("quotes around an enum", ONNX + 'common_config { ifmr_quantize { dst_type: "INT8" } }\n',
     ONNX + "common_config { ifmr_quantize { dst_type: INT8 } }\n"),
    ("a bare string", ATC + "skip_layers: conv1\n", ATC + 'skip_layers: "conv1"\n'),
    ("a scalar given twice keeps the last", ATC + "do_fusion: true\ndo_fusion: false\n",
     ATC + "do_fusion: false\n"),
    ("two blocks merged into one, on their own lines",
     ATC + "common_config {\n  arq_quantize { channel_wise: true }\n}\n"
     "common_config {\n  ifmr_quantize { search_step: 0.02 }\n}\n",
     ATC + "common_config {\n  arq_quantize { channel_wise: true }\n  ifmr_quantize { search_step: 0.02 }"
     "\n}\n"),
    ("two one-line blocks merged",
     ATC + "common_config { arq_quantize { } }\ncommon_config { ifmr_quantize { search_step: 0.02 } }\n",
     ATC + "common_config { arq_quantize { } ifmr_quantize { search_step: 0.02 } }\n"),
    ("three blocks merged in rounds",
     ATC + "common_config { arq_quantize { } }\ncommon_config { ifmr_quantize { } }\n"
     "common_config { weight_compress_only: false }\n",
     ATC + "common_config { arq_quantize { } ifmr_quantize { } weight_compress_only: false }\n"),
]


@pytest.mark.parametrize("name, text, expected", SCHEMA_SAFE, ids=[c[0] for c in SCHEMA_SAFE])
def test_schema_safe_fixes(name: str, text: str, expected: str) -> None:
    analysis = analyze(text)
    result = fix(analysis, analyze)
    assert result.text == expected
    if "quote" not in name and "bare" not in name:  # AMCT rejected the value with quotes
        assert result.analysis.to_message() == analysis.to_message()  # safe: AMCT reads the same
    assert not [d for d in result.analysis.diagnostics if d.code.startswith("SCH")]


def test_a_merge_that_would_move_a_comment_is_only_offered() -> None:
    text = ATC + "common_config { arq_quantize { } }\ncommon_config {\n  # tuned\n  ifmr_quantize { }\n}\n"
    (dup,) = [d for d in analyze(text).diagnostics if d.code == "SCH006"]
    assert [(f.title, f.safe) for f in dup.fixes] == [("Merge into the first 'common_config' block", False)]
    assert fix(analyze(text), analyze).text == text


def test_rename_is_not_offered_onto_a_field_already_given() -> None:
    text = ATC + "comon_config { }\ncommon_config { }\n"
    (unknown,) = [d for d in analyze(text).diagnostics if d.code == "SCH001"]
    assert unknown.fixes == ()
    text = ATC + "comon_config { }\n"
    (unknown,) = [d for d in analyze(text).diagnostics if d.code == "SCH001"]
    assert [f.title for f in unknown.fixes] == ["Rename to 'common_config'"]
    assert not unknown.fixes[0].safe


def test_missing_required_field_is_offered_with_the_files_indent() -> None:
    text = ATC + "override_layer_types {\n    layer_type: \"Conv2D\"\n}\n"
    found = [d for d in analyze(text).diagnostics if d.code == "SCH005"]
    assert found, analyze(text).diagnostics
    (add,) = found[0].fixes
    assert apply_edits(text, add.edits) == (ATC + "override_layer_types {\n    calibration_config {\n    }\n"
                                            "    layer_type: \"Conv2D\"\n}\n")


# -- check --fix and the editor's fix-all agree on every fixture ---------------------------------------
_TESTS = Path(__file__).resolve().parents[1]
FIXTURES = sorted([*(_TESTS / "rules" / "fixtures").glob("*.cfg"),
                   *(_TESTS / "model" / "fixtures").glob("*.cfg"),
                   *(_TESTS.parent / "examples").rglob("*.cfg")])


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_check_fix_and_editor_fix_all_agree(path: Path) -> None:
    from amct_lang.ide.code_actions import fix_all
    from amct_lang.ide.snapshot import snapshot

    text = path.read_text(encoding="utf-8")
    by_cli = fix(analyze(text), analyze).text
    action = fix_all(snapshot(text))
    by_editor = text if action is None else apply_edits(text, list(action.edits))
    assert by_editor == by_cli


@given(st.lists(st.sampled_from(["a\n", "b\n", "}\n", "c {\n", "", "d"]), max_size=30),
       st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["", "x\n", "}\n", "a\n"])), max_size=6))
def test_line_edits_turn_one_text_into_the_other(lines: list[str], changes: list[tuple[int, str]]) -> None:
    old = "".join(lines)
    new_lines = list(lines)
    for at, line in changes:
        if at < len(new_lines) and not line:
            del new_lines[at]
        else:
            new_lines.insert(min(at, len(new_lines)), line)
    new = "".join(new_lines)
    edits = line_edits(old, new)
    assert apply_edits(old, list(edits)) == new
    assert all(a.end <= b.start for a, b in zip(edits, edits[1:], strict=False))


def test_line_edits_keep_far_apart_changes_apart() -> None:
    old = "".join(f"line {i}\n" for i in range(1000))
    new = old.replace("line 10\n", "line ten\n").replace("line 990\n", "")
    edits = line_edits(old, new)
    assert [e.new_text for e in edits] == ["line ten\n", ""]


def test_fix_all_grows_linearly_with_the_file() -> None:
    """Fix-all on a file twice as big takes about twice as long (a ratio measured side by side,
    never an absolute time): the line diff behind it was quadratic."""
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import big_config

    from amct_lang.ide.code_actions import fix_all
    from amct_lang.ide.snapshot import snapshot

    def text(blocks: int) -> str:
        # the same 40 fixes in both: one round each (a rule reports 100 findings at the most)
        return big_config(blocks) + "".join(f'skip_layers: "x{i}"\nskip_layers: "x{i}"\n' for i in range(40))

    def cost(blocks: int) -> float:
        snap = snapshot(text(blocks))
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            action = fix_all(snap)
            best = min(best, time.process_time() - start)
        assert action is not None and action.title.startswith("Fix 40 problems")
        return best

    small, big = cost(300), cost(1200)
    assert big / small < 4 * 1.6, f"4x the input took {big / small:.1f}x the time"
