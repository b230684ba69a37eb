"""The student follows each layer's effective config: skips, layer and type overrides, defaults;
IFMR initial clips; the learning-rate groups."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the distillation executor needs torch (pip install torch)")

from torch import nn  # noqa: E402

from amct_lang.executor import quant  # noqa: E402
from amct_lang.executor.distill.run import prepare  # noqa: E402
from amct_lang.executor.distill.student import (  # noqa: E402
    CLIP_LR,
    SCALE_LR,
    QuantConv2d,
    QuantLinear,
    build_student,
    calibrate,
    param_groups,
)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(4, 4, 3, padding=1)
        self.act3 = nn.Tanh()
        self.fc = nn.Linear(4 * 36, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.conv1(x))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.act3(self.conv3(x))
        return self.fc(torch.flatten(x, 1))


CONFIG = """
batch_num: 2
distill_data_quant_config { ulq_quantize { dst_type: INT8 } }
distill_weight_quant_config { arq_distill { dst_type: INT8 } }
quant_skip_layers: "conv2"
distill_override_layers {
  layer_name: "conv3"
  distill_data_quant_config { ulq_quantize { clip_max_min { clip_max: 3.0 clip_min: -3.0 } dst_type: INT4 } }
  distill_weight_quant_config { arq_distill { channel_wise: false dst_type: INT4 } }
}
distill_override_layer_types {
  layer_type: "Linear"
  distill_data_quant_config { ulq_quantize { dst_type: INT4 fixed_min: false } }
  distill_weight_quant_config { ulq_distill { channel_wise: false dst_type: INT4 } }
}
"""
DATA = [torch.from_numpy(np.random.RandomState(i).randn(6, 1, 6, 6).astype(np.float32)) for i in range(3)]


def _prepared() -> tuple[nn.Module, object]:
    torch.manual_seed(0)
    model = Net().eval()
    return model, prepare(CONFIG, model, DATA)


def test_plans_follow_the_priorities() -> None:
    _, prep = _prepared()
    plans = {p.name: p for p in prep.plans}  # type: ignore[attr-defined]
    assert set(plans) == {"conv1", "conv3", "fc"}  # conv2 is in quant_skip_layers
    conv1, conv3, fc = plans["conv1"], plans["conv3"], plans["fc"]
    # the global blocks; conv1 reads the image, so fixed_min defaults to false
    assert (conv1.act_bits, conv1.weight_bits, conv1.weight_algo) == (8, 8, "arq_distill")
    assert conv1.channel_wise is True
    assert conv1.fixed_min is False and conv1.clip_max is None
    # the layer override: its clips, INT4, per-tensor ARQ
    assert (conv3.act_bits, conv3.weight_bits, conv3.channel_wise) == (4, 4, False)
    assert (conv3.clip_max, conv3.clip_min) == (3.0, -3.0)
    # the type override: ULQ weights, fixed_min given as false although the input follows a Tanh
    assert (fc.weight_algo, fc.act_bits, fc.fixed_min, fc.channel_wise) == ("ulq_distill", 4, False, False)


def test_relu_inputs_pin_clip_min_by_default() -> None:
    torch.manual_seed(0)
    prep = prepare("group_size: 1", Net().eval(), DATA)
    plans = {p.name: p for p in prep.plans}
    assert plans["conv2"].fixed_min is True  # after relu1
    assert plans["conv3"].fixed_min is True  # after relu2
    assert plans["fc"].fixed_min is False  # after a Tanh (through a flatten)


def test_student_modules_and_initial_clips() -> None:
    model, prep = _prepared()
    student = build_student(model, prep.plans)  # type: ignore[attr-defined]
    assert type(student.conv2) is nn.Conv2d and type(model.conv1) is nn.Conv2d  # the float model is untouched
    assert isinstance(student.conv1, QuantConv2d) and isinstance(student.fc, QuantLinear)
    conv3 = student.conv3.act_quant
    assert float(conv3.clip_max.detach()) == 3.0 and bool(conv3.calibrated)
    calibrate(student, DATA, prep.batch_num)  # type: ignore[attr-defined]
    # conv1's input is the data: IFMR (symmetric) over batch_num = 2 batches, clips at +127 / -128 steps
    act = student.conv1.act_quant
    stream = quant.IfmrStream(quant.IfmrParams(bits=8))
    for batch in DATA[:2]:
        stream.update(batch.numpy())
    scale = np.float32(stream.result().scale)
    assert float(act.clip_max.detach()) == float(np.float32(127) * scale)
    assert float(act.clip_min.detach()) == float(np.float32(-128) * scale)
    # the student runs, and its first layer's input is quantized on the 256-level grid
    with torch.no_grad():
        seen = []
        handle = student.conv1.register_forward_hook(lambda m, i, o: seen.append(m.act_quant(i[0])))
        student(DATA[0])
        handle.remove()
    levels = torch.unique(torch.round(seen[0] / act.scale)).numel()
    assert 20 < levels <= 256


def test_learning_rate_groups() -> None:
    model, prep = _prepared()
    student = build_student(model, prep.plans)  # type: ignore[attr-defined]
    groups = {g["lr"]: g["params"] for g in param_groups([student.conv1, student.conv3, student.fc], 1e-3)}
    ids = {lr: {id(p) for p in ps} for lr, ps in groups.items()}
    assert id(student.conv1.act_quant.clip_max) in ids[CLIP_LR]
    assert id(student.fc.act_quant.clip_min) in ids[CLIP_LR]  # fixed_min false: learned
    assert id(student.conv1.act_quant.clip_min) in ids[CLIP_LR]  # conv1 reads the image: learned too
    assert id(student.fc.weight_quant.scale) in ids[SCALE_LR]  # ulq_distill: a learned weight scale
    assert id(student.conv1.weight) in ids[1e-3] and id(student.fc.bias) in ids[1e-3]
    # ARQ's scale follows the weight: not a parameter
    assert all(id(student.conv1.weight_quant.scale) not in s for s in ids.values())


def test_export_of_mixed_layers_runs_like_the_student(tmp_path: object) -> None:
    """Skipped, INT8 per-channel, INT4 per-tensor and ULQ-weight layers in one QDQ model: onnxruntime
    computes what the student computes."""
    ort = pytest.importorskip("onnxruntime")
    from pathlib import Path

    from amct_lang.executor.distill.api import distill

    torch.manual_seed(0)
    model = Net().eval()
    prefix = str(Path(str(tmp_path)) / "net")
    result = distill(CONFIG, model, torch.cat(DATA), prefix, batch_size=6, epochs=2)
    session = ort.InferenceSession(prefix + "_fake_quant_model.onnx", providers=["CPUExecutionProvider"])
    x = torch.cat(DATA)
    got = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        expected = result.student(x).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    report = result.report["layers"]
    assert set(report) == {"conv1", "conv3", "fc"}
    assert report["fc"]["weight_algo"] == "ulq_distill" and len(report["fc"]["scale_w"]) == 1
    assert len(report["conv1"]["scale_w"]) == 4 and len(report["conv3"]["scale_w"]) == 1
