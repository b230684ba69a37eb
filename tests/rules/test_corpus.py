"""Real-world config files (../shared/corpus/realworld, beside the repository): the checker must
judge them as AMCT does. Files AMCT accepts get no error; files it rejects get an error, the first
one on the line where AMCT stops. Every file of the corpus is classified here, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import shared_files

from amct_lang.analysis import analyze

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "realworld"
ACCEPTED = None

# file -> (None when AMCT accepts it, else the line of the first error; why)
VERDICTS: dict[str, tuple[int | None, str]] = {
    "hicann_amct_test_amc_ptq_malformed.cfg": (
        13, "a stray closing brace: text_format.Merge stops there"),
    "hicann_amct_test_compressed_complete.cfg": (
        ACCEPTED, "retrain/prune config of AMCT PyTorch's own tests"),
    "hicann_amct_test_distill.cfg": (
        ACCEPTED, "the base distillation config of AMCT PyTorch's tests"),
    "hicann_amct_test_distill_minimal.cfg": (
        ACCEPTED, "only data_dump; everything else takes its default"),
    "hicann_amct_test_distill_repeated_override.cfg": (
        22, "the second distill_override_layers entry for conv3: AMCT raises 'Please delete repeated items "
            "in distill_override_layers' (its test expects a ValueError)"),
    "hicann_amct_test_distill_sample_repeated_skip.cfg": (
        ACCEPTED, "repeated quant_skip_layers/quant_skip_layer_types items: AMCT's DistillProtoConfig logs a "
                  "warning and drops them, and AMCT's test_distill_proto.py loads this file as its valid "
                  "sample (quant skip layers ['conv1']); a warning here (DST006)"),
    "hicann_amct_test_dmq_balancer.cfg": (
        ACCEPTED, "dmq_balancer in common_config (calibration-onnx)"),
    "hicann_amct_test_dmq_balancer_not_support.cfg": (
        17, "migration_strength 0.1 for Linear layers is outside [0.2, 0.8]: AMCT raises 'The "
            "dmq_balancer_param must be in range [0.2, 0.8]' (its test_dmq_balancer_config_not_support_value "
            "expects a ValueError)"),
    "hicann_amct_test_kv_cache_config_00.cfg": (
        ACCEPTED, "KV-cache calibration config (kv-cache dialect)"),
    "hicann_amct_test_net_001.cfg": (
        ACCEPTED, "a type override for Linear; no header, both calibration dialects fit, so PyTorch types "
                  "are known types"),
    "hicann_amct_test_precision_mode_fp16.cfg": (
        ACCEPTED, "fakequant_precision_mode alone (calibration-onnx)"),
    "hicann_amct_test_ptq_a16w8.cfg": (
        ACCEPTED, "INT16 activations, which AMCT PyTorch supports for Conv/Linear; without a header the file "
                  "fits both calibration dialects, so INT16 is a warning (CAL006)"),
    "hicann_amct_test_ptq_a8w4.cfg": (
        ACCEPTED, "4-bit ARQ weights (quant_bits, calibration-onnx)"),
    "hicann_amct_test_ptq_rnn_a16w8.cfg": (
        ACCEPTED, "INT16 for Linear and Conv1d type overrides, both INT16-capable in AMCT PyTorch"),
    "hicann_amct_test_qat_rnn_a8w4.cfg": (
        ACCEPTED, "QAT config (retrain dialect)"),
    "modelzoo_pytorch_dbnet_mobilenetv3_poc_quant.cfg": (
        ACCEPTED, "skip_layers only, all distinct"),
    "modelzoo_pytorch_efficientnetv2_poc_quant.cfg": (
        ACCEPTED, "batch_num and joint_quant (an information, CAL019)"),
    "modelzoo_pytorch_resnet50_infer_poc_quant.cfg": (
        ACCEPTED, "joint_quant only"),
    "modelzoo_pytorch_resnet50_mlperf_quant.cfg": (
        ACCEPTED, "skip_layers with TensorFlow node names"),
    "modelzoo_pytorch_resnet50_mmlab_poc_quant.cfg": (
        ACCEPTED, "batch_num and joint_quant"),
    "modelzoo_pytorch_retinanet_resnet18_amct.cfg": (
        ACCEPTED, "skip_fusion_layers with do_fusion: false has no effect: a warning (CAL013)"),
    "modelzoo_pytorch_yolov5_quantize_config.cfg": (
        10, "two configurations pasted into one file: the second skip_layers list repeats Conv_0, and "
            "AMCT raises 'Please delete repeated items in skip_layers'"),
    "samples_amct_caffe_resnet50_nuq_quant.cfg": (
        ACCEPTED, "nuq_config and a Pooling type override (Caffe types)"),
    "samples_amct_onnx_resnet101_nuq_quant.cfg": (
        ACCEPTED, "nuq_config only"),
    "samples_amct_pytorch_resnet101_compressed.cfg": (
        ACCEPTED, "retrain and prune config"),
    "samples_amct_pytorch_resnet101_retrain.cfg": (
        ACCEPTED, "retrain config"),
    "samples_amct_tf_ascend_yolov3_calibration.cfg": (
        ACCEPTED, "common_config with the documented values"),
    "samples_amct_tf_resnet50v1_nuq_quant.cfg": (
        ACCEPTED, "nuq_config only"),
    "samples_amct_tf_resnet50v1_sample_int8_retrain.cfg": (
        ACCEPTED, "retrain config"),
    "samples_amct_tf_resnet50v1_sample_mix_compression.cfg": (
        ACCEPTED, "retrain and prune config"),
    "samples_amct_tf_yolov3_yolo_quant.cfg": (
        ACCEPTED, "common_config with the documented values"),
    "samples_atc_resnet101_onnx_compression_opt.cfg": (
        2, "an ATC --compression_optimize_config file, not a simple config: protobuf's parser stops at "
           "the unknown field on line 2"),
}

FILES = shared_files("corpus/realworld/*.cfg")
CORPUS = FILES[0].parent if FILES else CORPUS
needs_corpus = pytest.mark.skipif(
    not FILES, reason="../shared/corpus not found: needs ../shared beside the repository")


@needs_corpus
def test_every_corpus_file_is_classified() -> None:
    assert sorted(p.name for p in FILES) == sorted(VERDICTS)


@needs_corpus
@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_corpus_file(name: str) -> None:
    line, why = VERDICTS[name]
    analysis = analyze((CORPUS / name).read_text(encoding="utf-8"))
    errors = [d for d in analysis.diagnostics if d.is_error]
    lines = analysis.tree.lines
    shown = "\n".join(f"  {lines.line_col(d.start)[0] + 1}: {d.code} {d.message}" for d in errors)
    if line is ACCEPTED:
        assert not errors, f"AMCT accepts {name} ({why}), but:\n{shown}"
    else:
        assert errors, f"AMCT rejects {name} ({why}), but it got no error"
        first = min(errors, key=lambda d: d.start)
        assert analysis.tree.lines.line_col(first.start)[0] + 1 == line, f"expected line {line}:\n{shown}"
