"""Every config feature of the calibration dialects, run end to end on small ONNX models."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from amct_lang.executor.ptq import PtqError, Result, quantize
from amct_lang.executor.ptq.writers import ASCEND_DOMAIN

from .onnx_models import mixed_net, residual_net, samples, write_case

HEAD = "# amct-dialect: calibration-onnx\nbatch_num: 2\n"


def run(tmp_path: Path, config: str, model: Any = None, **kw: Any) -> Result:
    model = model if model is not None else residual_net()
    shape = tuple(d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:])
    m, d, c = write_case(tmp_path / "case", model, {"x": samples(shape)}, config)
    return quantize(c, m, data=d, batch_size=4, **kw)


def ops(proto: Any) -> Counter[str]:
    return Counter(n.op_type for n in proto.graph.node)


def qdq_inputs(proto: Any, node_name: str) -> list[str]:
    """Which inputs of a node come from a DequantizeLinear."""
    producers = {o: n for n in proto.graph.node for o in n.output}
    node = next(n for n in proto.graph.node if n.name == node_name)
    return [t for t in node.input if t in producers and producers[t].op_type == "DequantizeLinear"]


def test_defaults_quantize_every_layer(tmp_path: Path) -> None:
    r = run(tmp_path, HEAD)
    assert list(r.record) == ["conv1", "conv2", "avgpool", "conv3", "fc"]
    assert r.record["conv1"].offset_d is not None and len(r.record["conv1"].scale_w) == 8  # channel-wise
    assert len(r.record["fc"].scale_w) == 1  # Gemm: per tensor by default
    assert ops(r.fake_quant_model)["BatchNormalization"] == 0  # do_fusion default true
    assert len(qdq_inputs(r.fake_quant_model, "conv1")) == 3  # activation, weight, int32 bias


def test_skip_layers_and_types(tmp_path: Path) -> None:
    r = run(tmp_path, HEAD + 'skip_layers: "conv2"\nskip_layer_types: "Gemm"\n')
    assert "conv2" not in r.record and "fc" not in r.record and "conv1" in r.record
    assert qdq_inputs(r.fake_quant_model, "conv2") == []
    assert {s["layer"] for s in r.report["summary"]["skipped"]} == {"conv2", "fc"}


def test_override_is_a_whole_block_with_the_asymmetric_exception(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        HEAD + "activation_offset: false\n"
        "common_config { arq_quantize { channel_wise: false } ifmr_quantize { asymmetric: true } }\n"
        'override_layer_configs { layer_name: "conv2" calibration_config { ifmr_quantize { '
        "search_range_start: 0.9 } } }\n"
        'override_layer_types { layer_type: "Conv2D" calibration_config { arq_quantize { } } }\n',
    )
    # conv2: its own block, no weight algorithm -> ARQ defaults (channel-wise); asymmetric from common
    assert len(r.record["conv2"].scale_w) == 8
    assert r.report["layers"][1]["config"]["activation.asymmetric"].startswith("true (common_config")
    # conv1, conv3: the Conv2D type override (an Ascend name) replaces common_config
    assert len(r.record["conv1"].scale_w) == 8
    # fc: common_config: per tensor, asymmetric activations
    assert len(r.record["fc"].scale_w) == 1 and r.record["fc"].offset_d != 0


def test_do_fusion_false_and_skip_fusion_layers(tmp_path: Path) -> None:
    kept = run(tmp_path / "a", HEAD + "do_fusion: false\n")
    assert ops(kept.fake_quant_model)["BatchNormalization"] == 1
    skipped = run(tmp_path / "b", HEAD + 'skip_fusion_layers: "conv1"\n')
    assert ops(skipped.fake_quant_model)["BatchNormalization"] == 1
    fused = run(tmp_path / "c", HEAD)
    assert fused.record["conv1"].scale_w != kept.record["conv1"].scale_w  # ARQ on the fused weights


def test_weight_compress_only_and_asymmetric_weights(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        "# amct-dialect: calibration\n"
        'override_layer_configs { layer_name: "conv3" calibration_config { '
        "arq_quantize { asymmetric: true channel_wise: true } weight_compress_only: true } }\n",
        batch_num=2,
    )
    rec = r.record["conv3"]
    assert rec.scale_d is None and rec.offset_d is None and any(o != 0 for o in rec.offset_w)
    assert len(qdq_inputs(r.fake_quant_model, "conv3")) == 1  # the weight only; the bias stays float
    assert all(o == 0 for o in r.record["conv1"].offset_w)  # the other layers: symmetric weights


def test_nuq_keeps_at_most_num_steps_levels(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        HEAD + 'override_layer_configs { layer_name: "conv3" calibration_config { '
        "nuq_quantize { num_steps: 16 num_of_iteration: 3 } } }\n",
    )
    layer = next(x for x in r.report["layers"] if x["name"] == "conv3")
    assert 1 < layer["weights"]["nuq_levels"] <= 16
    assert layer["weights"]["sqnr_db"] <= layer["weights"]["sqnr_uniform_db"]


def test_enable_auto_nuq_picks_weight_bound_layers(tmp_path: Path) -> None:
    cfg = "# amct-dialect: calibration\nenable_auto_nuq: true\n"
    r = run(tmp_path, cfg, model=mixed_net(), batch_num=2)
    assert any("enable_auto_nuq chose 1 weight-bound layer(s) for NUQ: mm" in n for n in r.notes)


def test_hfmg(tmp_path: Path) -> None:
    r = run(
        tmp_path,
        HEAD + "common_config { hfmg_quantize { num_of_bins: 1024 asymmetric: true } }\n",
        model=mixed_net(),
    )
    assert r.record["mm"].scale_d is not None and r.record["deconv"].offset_d is not None
    assert r.report["end_to_end"][0]["cosine"] > 0.99


def test_conv_transpose_and_matmul(tmp_path: Path) -> None:
    r = run(tmp_path, HEAD, model=mixed_net())
    assert len(r.record["deconv"].scale_w) == 3 and len(r.record["mm"].scale_w) == 1
    assert r.report["end_to_end"][0]["cosine"] > 0.99


def test_tensor_quantize_and_joint_quant(tmp_path: Path) -> None:
    entries = (
        'tensor_quantize { layer_name: "add" input_index: 0 }\n'
        'tensor_quantize { layer_name: "add" input_index: 1 }\n'
        'tensor_quantize { layer_name: "pool" input_index: 0 }\n'
    )
    separate = run(tmp_path / "a", HEAD + entries)
    joint = run(tmp_path / "b", HEAD + "joint_quant: true\n" + entries)
    for r in (separate, joint):
        assert {"add:0", "add:1", "pool:0"} <= set(r.record)
        assert (
            len(qdq_inputs(r.fake_quant_model, "add")) == 2
            and len(qdq_inputs(r.fake_quant_model, "pool")) == 1
        )
    assert joint.record["add:0"].scale_d == joint.record["add:1"].scale_d
    assert separate.record["add:0"].scale_d != separate.record["add:1"].scale_d


def test_ifmr_parameters_change_the_search(tmp_path: Path) -> None:
    base = run(tmp_path / "a", HEAD)
    tight = run(
        tmp_path / "b",
        HEAD + "common_config { ifmr_quantize { max_percentile: 0.9 min_percentile: 0.9 "
        "search_range_start: 0.5 search_range_end: 0.6 search_step: 0.05 } }\n",
    )
    assert tight.record["conv1"].scale_d < base.record["conv1"].scale_d


def test_deploy_and_fake_quant_compute_the_same(tmp_path: Path) -> None:
    r = run(tmp_path, HEAD)
    x = samples((3, 8, 8), n=4, seed=11)
    fake = ort.InferenceSession(r.fake_quant_model.SerializeToString(), providers=["CPUExecutionProvider"])
    deploy = ort.InferenceSession(r.deploy_model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(
        deploy.run(None, {"x": x})[0], fake.run(None, {"x": x})[0], rtol=1e-4, atol=1e-4
    )
    zps = [i for i in r.deploy_model.graph.initializer if i.name.endswith("input_zero_point")]
    assert zps and all(z.data_type == 2 for z in zps)  # uint8 activations


def test_ascend_layout_structure(tmp_path: Path) -> None:
    r = run(tmp_path, HEAD, deploy_format="ascend")
    m = r.deploy_model
    counts = ops(m)
    weighted = ["conv1", "conv2", "conv3", "fc"]
    assert counts["AscendQuant"] == counts["AscendDequant"] == len(weighted)
    assert {n.domain for n in m.graph.node if n.op_type.startswith("Ascend")} == {ASCEND_DOMAIN}
    producers = {o: n for n in m.graph.node for o in n.output}
    inits = {i.name: i for i in m.graph.initializer}
    for name in weighted:
        node = next(n for n in m.graph.node if n.name == name)
        assert producers[node.input[0]].op_type == "AscendQuant"
        assert inits[node.input[1]].data_type == 3  # int8 weights
        quant = producers[node.input[0]]
        attrs = {a.name: a for a in quant.attribute}
        assert attrs["scale"].f == pytest.approx(1 / r.record[name].scale_d, rel=1e-6)
        assert int(attrs["offset"].f) == r.record[name].offset_d
        consumers = [n for n in m.graph.node if node.output[0] in n.input]
        assert [c.op_type for c in consumers] == ["AscendDequant"]


def test_calibration_dialect_without_batch_num_takes_one_batch(tmp_path: Path) -> None:
    r = run(tmp_path, "# amct-dialect: calibration\nactivation_offset: false\n")
    assert r.report["summary"]["calibration_batches"] == 1
    assert all(rec.offset_d in (0, None) for rec in r.record.values())


def test_python_api_with_batches_in_memory(tmp_path: Path) -> None:
    x = samples((3, 8, 8))
    batches = ({"x": x[i : i + 4]} for i in range(0, 8, 4))
    r = quantize(HEAD, residual_net(), batches)
    assert set(r.record) >= {"conv1", "fc"} and r.files == []
    with pytest.raises(PtqError, match="gave 1 batch"):
        quantize(HEAD, residual_net(), [x[:4]])
