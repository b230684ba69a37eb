"""The calibration-pytorch dialect: exactly AMCT PyTorch's calibration_config_pytorch.proto, and how
a file is recognised as one."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor

from amct_lang.analysis import analyze
from amct_lang.schema import is_repeated, is_required, load

F = FieldDescriptor
# AMCT's calibration_config_pytorch.proto (package AMCTPytorchProto), message by message:
# field -> (number, type, repeated, default or None); plus each message's oneofs.
AMCT_PYTORCH: dict[str, dict[str, tuple[int, int, bool, Any]]] = {
    "AMCTConfig": {
        "batch_num": (1, F.TYPE_UINT32, False, 1), "activation_offset": (2, F.TYPE_BOOL, False, True),
        "skip_layers": (10, F.TYPE_STRING, True, None), "skip_layer_types": (11, F.TYPE_STRING, True, None),
        "fakequant_precision_mode": (21, F.TYPE_ENUM, False, None),
        "common_config": (50, F.TYPE_MESSAGE, False, None),
        "override_layer_types": (51, F.TYPE_MESSAGE, True, None),
        "override_layer_configs": (100, F.TYPE_MESSAGE, True, None),
        "do_fusion": (200, F.TYPE_BOOL, False, True),
        "skip_fusion_layers": (201, F.TYPE_STRING, True, None),
    },
    "OverrideLayerType": {"layer_type": (1, F.TYPE_STRING, False, None),
                          "calibration_config": (2, F.TYPE_MESSAGE, False, None)},
    "OverrideLayer": {"layer_name": (1, F.TYPE_STRING, False, None),
                      "calibration_config": (2, F.TYPE_MESSAGE, False, None)},
    "CalibrationConfig": {"arq_quantize": (13, F.TYPE_MESSAGE, False, None),
                          "ada_quantize": (15, F.TYPE_MESSAGE, False, None),
                          "ifmr_quantize": (100, F.TYPE_MESSAGE, False, None),
                          "hfmg_quantize": (101, F.TYPE_MESSAGE, False, None),
                          "dmq_balancer": (200, F.TYPE_MESSAGE, False, None)},
    "ARQuantize": {"channel_wise": (1, F.TYPE_BOOL, False, None),
    "quant_bits": (10, F.TYPE_UINT32, False, None)},
    "ADAquantize": {"num_iteration": (1, F.TYPE_UINT32, False, 10000),
    "reg_param": (2, F.TYPE_FLOAT, False, 0.01),
                    "beta_range_start": (3, F.TYPE_FLOAT, False, 20.0),
                    "beta_range_end": (4, F.TYPE_FLOAT, False, 2.0),
                    "warm_start": (5, F.TYPE_FLOAT, False, 0.2),
                    "channel_wise": (10, F.TYPE_BOOL, False, None)},
    "DMQBalancer": {"migration_strength": (1, F.TYPE_FLOAT, False, 0.5)},
    "FMRQuantize": {"search_range_start": (1, F.TYPE_FLOAT, False, 0.7),
                    "search_range_end": (2, F.TYPE_FLOAT, False, 1.3),
                    "search_step": (3, F.TYPE_FLOAT, False, 0.01),
                    "max_percentile": (4, F.TYPE_FLOAT, False, 0.999999),
                    "min_percentile": (5, F.TYPE_FLOAT, False, 0.999999),
                    "asymmetric": (6, F.TYPE_BOOL, False, None),
                    "dst_type": (10, F.TYPE_ENUM, False, 1)},
    "HFMGQuantize": {"num_of_bins": (1, F.TYPE_UINT32, False, 4096),
    "asymmetric": (2, F.TYPE_BOOL, False, None),
                     "dst_type": (10, F.TYPE_ENUM, False, 1)},
}
ONEOFS = {"CalibrationConfig": [{"arq_quantize", "ada_quantize"}, {"ifmr_quantize", "hfmg_quantize"},
                                {"dmq_balancer"}]}
REQUIRED = {("OverrideLayerType", "layer_type"), ("OverrideLayerType", "calibration_config"),
            ("OverrideLayer", "layer_name"), ("OverrideLayer", "calibration_config")}


def _message(name: str) -> Any:
    return load().pool.FindMessageTypeByName(f"amct.calibration_pytorch.{name}")


@pytest.mark.parametrize("name", sorted(AMCT_PYTORCH))
def test_message_has_exactly_amct_pytorchs_fields(name: str) -> None:
    message = _message(name)
    assert set(message.fields_by_name) == set(AMCT_PYTORCH[name])
    for field, (number, kind, repeated, default) in AMCT_PYTORCH[name].items():
        fd = message.fields_by_name[field]
        assert (fd.number, fd.type) == (number, kind), field
        assert is_repeated(fd) == repeated, field
        assert is_required(fd) == ((name, field) in REQUIRED), field
        if default is not None:
            assert fd.has_default_value and fd.default_value == pytest.approx(default, rel=1e-7), field
        elif fd.type not in (F.TYPE_MESSAGE,) and not repeated:
            assert not fd.has_default_value, field
    assert [set(f.name for f in o.fields) for o in message.oneofs] == ONEOFS.get(name, [])


def test_enums_are_amct_pytorchs() -> None:
    fake = load().pool.FindEnumTypeByName("amct.calibration_pytorch.FakequantPrecisionMode")
    assert {v.name: v.number for v in fake.values} == {"FORCE_FP16_QUANT": 1}
    for owner in ("FMRQuantize", "HFMGQuantize"):
        enum = _message(owner).enum_types_by_name["CalibrationDataType"]
        assert {v.name: v.number for v in enum.values} == {"INT8": 1, "INT16": 2}


@pytest.mark.parametrize(("text", "dialect"), [
    ('# amct-dialect: calibration-pytorch\ncommon_config { }\n', "calibration-pytorch"),
    ('skip_layer_types: "Conv2d"\n', "calibration-pytorch"),
    ('override_layer_types { layer_type: "Linear" calibration_config { } }\n', "calibration-pytorch"),
    ('skip_layer_types: "Conv2D"\n', "calibration"),
    # PyTorch-only fields without torch type names: the general flavour, calibration-onnx
    ('common_config { hfmg_quantize { num_of_bins: 1024 } }\n', "calibration-onnx"),
    # names torch types, but its override blocks are retrain's
    ('override_layer_types { layer_type: "Conv2d" retrain_data_quant_config { } }\n', "retrain"),
])
def test_dialect_choice(text: str, dialect: str) -> None:
    assert analyze(text).dialect.name == dialect


def test_a_file_mixing_flavours_is_told_which_dialect_has_the_field() -> None:
    result = analyze('skip_layer_types: "Conv2d"\ncommon_config { arq_quantize { asymmetric: false } }\n')
    assert result.dialect.name == "calibration-pytorch"
    (unknown,) = [d for d in result.diagnostics if d.code == "SCH001"]
    assert "calibration-onnx" in unknown.message and "checked as calibration-pytorch" in unknown.message
