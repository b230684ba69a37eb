"""Fixes the CAL/DST rules attach: what each one writes, and that applying it removes the diagnostic.

SAFE: `check --fix` applies them all (amct_lang.fix), the result is compared with the expected text.
OFFERED: one named fix (the editor's quick fix) is applied by hand and compared.
"""

from __future__ import annotations

import pytest

from amct_lang.analysis import analyze
from amct_lang.fix import apply_edits, fix

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
