"""The effective config as its readers (rules, executors) use it: typed values, one computation per
analysis, and the answers of `to_message()` in the cases the rules used to get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from model.loading import test_model

from amct_lang.analysis import analyze
from amct_lang.model import ModelIndex
from amct_lang.semantic import (
    ARQ,
    IFMR,
    NUQ,
    ULQ,
    ARQDistill,
    CalibrationDataType,
    DataType,
    LayerStatus,
    ModelMismatch,
    SourceKind,
    effective_config,
    float32,
)


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> ModelIndex:
    return test_model("small_cnn", tmp_path_factory.mktemp("models"))


# -- the two reproductions: what the rules say agrees with what AMCT loads --------------------------
ONEOF_CLEARED = """
common_config { nuq_quantize { num_steps: 20 } }
common_config { arq_quantize { } }
common_config { nuq_quantize { num_of_iteration: 1 } }
"""


def test_a_cleared_oneof_member_is_not_checked() -> None:
    analysis = analyze(ONEOF_CLEARED)
    loaded = analysis.to_message().common_config.nuq_quantize
    assert not loaded.HasField("num_steps")  # the ARQ block cleared it
    assert "CAL002" not in [d.code for d in analysis.diagnostics]
    weights = analysis.semantic.config.layer("conv", "Conv").weights
    assert weights == NUQ(num_steps=32, num_of_iteration=1)
    assert weights.source("num_steps").kind is SourceKind.DEFAULT


ASYMMETRIC_INHERITED = """
common_config { ifmr_quantize { asymmetric: false } }
override_layer_types { layer_type: "Conv2D" calibration_config { arq_quantize { } } }
"""


def test_an_override_without_activation_block_keeps_commons_asymmetric(cnn: ModelIndex) -> None:
    analysis = analyze(ASYMMETRIC_INHERITED, model=cnn)
    assert "CAL014" not in [d.code for d in analysis.diagnostics]
    lc = effective_config(analysis).layers["conv1"]
    assert lc.block is not None and lc.block.kind is SourceKind.TYPE_OVERRIDE
    assert isinstance(lc.activation, IFMR) and lc.activation.asymmetric is False
    assert lc.activation.source("asymmetric").kind is SourceKind.COMMON
    # the config-only form gives the same answer
    same = analysis.semantic.config.layer(type_name="Conv2D")
    assert same.activation == lc.activation


def test_a_lost_setting_is_still_reported() -> None:
    text = ASYMMETRIC_INHERITED.replace("asymmetric: false", "asymmetric: false search_step: 0.02")
    [found] = [d for d in analyze(text).diagnostics if d.code == "CAL014"]
    assert "ifmr_quantize.search_step (0.02 in common_config)" in found.message
    assert "asymmetric" not in found.message


# -- typed values -----------------------------------------------------------------------------------
CALIBRATION = """
activation_offset: false
skip_layers: "proj"
common_config {
  arq_quantize { channel_wise: false }
  ifmr_quantize { search_step: 0.02 max_percentile: 0.9999 dst_type: INT8 }
}
override_layer_configs {
  layer_name: "fc"
  calibration_config { nuq_quantize { num_steps: 16 } }
}
tensor_quantize { layer_name: "add1" input_index: 1 }
"""


def test_values_are_as_amct_receives_them(cnn: ModelIndex) -> None:
    analysis = analyze(CALIBRATION, model=cnn)
    config = effective_config(analysis)
    assert config is analysis.effective  # computed once per analysis
    conv = config.layers["conv1"]
    assert conv.status is LayerStatus.QUANTIZED and conv.quant_enable
    assert conv.weights == ARQ(channel_wise=False)
    act = conv.activation
    assert isinstance(act, IFMR)
    assert act.search_step == float32(0.02) and act.search_step != 0.02
    assert act.max_percentile == float32(0.9999)
    assert act.dst_type is CalibrationDataType.INT8 and conv.dst_type is CalibrationDataType.INT8
    assert act.asymmetric is False and act.source("asymmetric").kind is SourceKind.ACTIVATION_OFFSET
    assert conv.bn_fusion is True
    fc = config.layers["fc"]
    assert fc.weights == NUQ(num_steps=16) and fc.source("weights").kind is SourceKind.LAYER_OVERRIDE
    assert isinstance(fc.activation, IFMR) and fc.activation.search_step == float32(0.01)  # whole block
    proj = config.layers["proj"]
    assert proj.status is LayerStatus.SKIPPED and proj.reason is not None
    assert proj.reason.kind is SourceKind.SKIP_LAYERS and not proj.quant_enable
    add = config.layers["add1"]
    assert add.status is LayerStatus.TENSOR_ONLY and [t.input_index for t in add.inputs] == [1]
    assert config.settings is not None and config.settings.activation_offset is False
    assert list(config.layers)[:2] == ["conv1", "conv2"]  # graph order


def test_match_patterns_read_the_typed_values(cnn: ModelIndex) -> None:
    config = effective_config(analyze(CALIBRATION, model=cnn))
    match config.layers["conv1"].weights:
        case ARQ(channel_wise=False, asymmetric=False):
            pass
        case _:
            pytest.fail("ARQ expected")


def test_a_model_of_the_wrong_kind_is_refused(cnn: ModelIndex) -> None:
    analysis = analyze("# amct-dialect: distill\nbatch_num: 2\n")
    with pytest.raises(ModelMismatch):
        effective_config(analysis, cnn)
    with pytest.raises(ValueError, match="needs a model"):
        effective_config(analysis)


DISTILL = """
# amct-dialect: distill
group_size: 2
distill_group { start_layer_name: "conv1" end_layer_name: "conv2" }
distill_data_quant_config { ulq_quantize { clip_max_min { clip_max: 6.0 clip_min: -6.0 } dst_type: INT4 } }
quant_skip_layers: "fc"
"""


def test_distill_values(tmp_path: Path) -> None:
    model = test_model("torch:ResidualNet", tmp_path)
    analysis = analyze(DISTILL, model=model)
    config = effective_config(analysis)
    assert config.layers["fc"].status is LayerStatus.SKIPPED
    lc = config.layers["conv2"]
    assert lc.activation is not None and lc.activation.fixed_min is True  # type: ignore[attr-defined]
    assert lc.activation.source("fixed_min").kind is SourceKind.MODEL  # after relu1
    assert isinstance(lc.activation, ULQ) and lc.activation.dst_type is DataType.INT4
    assert lc.activation.clip_max_min is not None and lc.activation.clip_max_min.clip_max == 6.0
    assert not lc.activation.init_by_ifmr
    assert isinstance(lc.weights, ARQDistill) and lc.weights.dst_type is DataType.INT8
    settings = config.settings
    assert settings is not None and settings.group_size == 2  # type: ignore[union-attr]
    assert [(g.start_layer_name, g.end_layer_name) for g in settings.distill_groups] == [  # type: ignore[union-attr]
        ("conv1", "conv2")]


def test_resolution_never_raises_on_generated_documents(cnn: ModelIndex) -> None:
    """Blocks in any combination, incomplete ones included (a missing layer_type, an override
    without its config, a tensor_quantize without input_index): resolution answers, never raises."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from .test_blocks import top_item

    extra = st.sampled_from([
        'override_layer_types { layer_type: "Gemm" }', "override_layer_types { calibration_config { } }",
        'override_layer_configs { layer_name: "fc" }', 'tensor_quantize { layer_name: "add1" }',
        'tensor_quantize { layer_name: "nope" input_index: 3 ifmr_quantize { asymmetric: true } }',
        'skip_layer_types: "Conv2D"', 'skip_layers: "conv1"', 'skip_fusion_layers: "conv1"',
        'override_layer_types { layer_type: "Conv2D" calibration_config { hfmg_quantize { } } }'])

    @settings(max_examples=120, deadline=None)
    @given(st.lists(st.one_of(top_item(), extra), min_size=1, max_size=8))
    def check(items: list[str]) -> None:
        analysis = analyze("# amct-dialect: calibration-onnx\n" + "\n".join(items) + "\n", model=cnn)
        config = analysis.effective
        assert config is not None and set(config.layers) >= {"conv1", "fc"}
        for lc in config.layers.values():
            for part in (lc.weights, lc.activation):
                if part is not None:
                    list(part.items())
        only = analysis.semantic.config
        for type_name in ("Conv", "Conv2D", "Gemm", "AveragePool", "Unknown", None):
            only.layer("fc", type_name)

    check()


def test_calibration_pytorch_resolves_on_a_torch_model(tmp_path: Path) -> None:
    model = test_model("torch:ResidualNet", tmp_path)
    text = ('# amct-dialect: calibration-pytorch\nskip_layers: "fc"\n'
            "common_config { arq_quantize { } ifmr_quantize { search_step: 0.02 } }\n")
    config = effective_config(analyze(text, model=model))
    conv = config.layers["conv1"]
    assert isinstance(conv.weights, ARQ) and conv.weights.channel_wise is True
    assert "asymmetric" not in [name for name, _, _ in conv.weights.items()]  # not in this dialect's ARQ
    assert config.layers["fc"].status is LayerStatus.SKIPPED


def test_a_rule_that_raises_costs_only_its_own_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    import amct_lang.rules.runner as runner

    def explode(ctx: object) -> object:
        raise OverflowError("float too large")

    patched = [r._replace(check=explode) if r.code == "CAL002" else r for r in runner.all_rules()]
    monkeypatch.setattr(runner, "all_rules", lambda: iter(patched))
    analysis = analyze('common_config { nuq_quantize { num_steps: 20 } }\n'
                       'skip_layers: "a"\nskip_layers: "a"\n')
    codes = {d.code: d for d in analysis.diagnostics}
    assert "failed on the file (OverflowError" in codes["CAL002"].message
    assert codes["CAL002"].severity.value == "warning"
    assert "CAL011" in codes  # the other rules still ran
