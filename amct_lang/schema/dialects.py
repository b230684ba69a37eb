"""The dialects: one grammar, one schema each. A dialect names its .proto file and top message."""

from __future__ import annotations

from typing import NamedTuple


class Dialect(NamedTuple):
    name: str
    proto: str  # file under schema/protos/
    message: str  # fully qualified top-level message
    summary: str


DIALECTS: dict[str, Dialect] = {
    d.name: d
    for d in (
        Dialect("calibration", "calibration.proto", "amct.calibration.AMCTConfig",
                "post-training quantization config of ATC/AOE (calibration_config.proto)"),
        Dialect("calibration-onnx", "calibration_onnx.proto", "amct.calibration_onnx.AMCTConfig",
                "post-training quantization config of amct_onnx / TensorFlow / Caffe / PyTorch"),
        Dialect("calibration-pytorch", "calibration_pytorch.proto", "amct.calibration_pytorch.AMCTConfig",
                "post-training quantization config of amct_pytorch (calibration_config_pytorch.proto)"),
        Dialect("distill", "distill.proto", "amct.distill.AMCTDistillConfig",
                "distillation config of amct_pytorch (distill_config_pytorch.proto)"),
        Dialect("retrain", "retrain.proto", "amct.retrain.AMCTRetrainConfig",
                "quantization-aware training / pruning config of amct_pytorch"),
        Dialect("kv-cache", "kv_cache.proto", "amct.kv_cache.AMCTQuantCaliConfig",
                "KV-cache calibration config of amct_pytorch"),
        Dialect("record", "record.proto", "amct.record.ScaleOffsetRecord",
                "scale/offset record file written and read by AMCT"),
    )
}

# The calibration dialects: one config family, one flavour per AMCT tool.
CALIBRATION_DIALECTS = ("calibration", "calibration-onnx", "calibration-pytorch")

# When several dialects cover a file's fields equally well, the first of these wins.
PREFERENCE = ("calibration", "calibration-onnx", "calibration-pytorch", "distill", "retrain", "kv-cache",
              "record")
