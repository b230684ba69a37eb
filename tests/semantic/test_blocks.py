"""The one block reader against protobuf: on generated documents that repeat singular blocks and
switch oneof members back and forth, what `View` sees is what `to_message()` (and
`text_format.Merge`) build."""

from __future__ import annotations

from typing import Any

from google.protobuf import text_format
from hypothesis import given, settings
from hypothesis import strategies as st

from amct_lang.analysis import analyze
from amct_lang.semantic.blocks import View, as_data
from amct_lang.semantic.types import float32

DIALECT = "calibration-onnx"

_SCALARS = {
    "arq_quantize": ["channel_wise: true", "channel_wise: false", "asymmetric: true", "quant_bits: 8"],
    "nuq_quantize": ["num_steps: 16", "num_steps: 32", "num_of_iteration: 0", "num_of_iteration: 3"],
    "ada_quantize": ["num_iteration: 5", "reg_param: 0.02", "channel_wise: true"],
    "ifmr_quantize": ["search_step: 0.02", "search_range_start: 0.8", "asymmetric: false", "dst_type: INT16",
                      "max_percentile: 0.9999"],
    "hfmg_quantize": ["num_of_bins: 1024", "asymmetric: true", "dst_type: INT8"],
    "dmq_balancer": ["migration_strength: 0.3"],
}


@st.composite
def algorithm(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(_SCALARS)))
    fields = draw(st.lists(st.sampled_from(_SCALARS[name]), max_size=3))
    return f"{name} {{ {' '.join(fields)} }}"


@st.composite
def calibration_config(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(algorithm(), min_size=0, max_size=5)))


@st.composite
def top_item(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["common", "common", "layer", "type", "scalar", "skip", "nuq"]))
    if kind == "common":
        return f"common_config {{ {draw(calibration_config())} }}"
    if kind == "layer":
        name = draw(st.sampled_from(["conv1", "fc"]))
        configs = " ".join(f"calibration_config {{ {draw(calibration_config())} }}"
                           for _ in range(draw(st.integers(1, 3))))
        return f'override_layer_configs {{ layer_name: "{name}" {configs} }}'
    if kind == "type":
        configs = " ".join(f"calibration_config {{ {draw(calibration_config())} }}"
                           for _ in range(draw(st.integers(1, 3))))
        return f'override_layer_types {{ layer_type: "Conv" {configs} }}'
    if kind == "skip":
        return f'skip_layers: "{draw(st.sampled_from(["a", "b"]))}"'
    if kind == "nuq":
        inner = draw(st.sampled_from(_SCALARS["nuq_quantize"]))
        return f'nuq_config {{ mapping_file: "m.json" nuq_quantize {{ {inner} }} }}'
    return draw(st.sampled_from(["activation_offset: false", "activation_offset: true", "do_fusion: false",
                                 "batch_num: 4"]))


def message_data(msg: Any) -> dict[str, Any]:
    """A protobuf message as the same plain data `as_data` gives (floats as float32)."""
    out: dict[str, Any] = {}
    for fd, value in msg.ListFields():
        if fd.message_type is not None:
            out[fd.name] = [message_data(v) for v in value] if _repeated(fd) else message_data(value)
        elif _repeated(fd):
            out[fd.name] = list(value)
        else:
            out[fd.name] = value
    return out


def _repeated(fd: Any) -> bool:
    flag = getattr(fd, "is_repeated", None)
    return bool(flag) if flag is not None else fd.label == fd.LABEL_REPEATED


def as_float32(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: as_float32(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_float32(v) for v in data]
    if isinstance(data, float):
        return float32(data)
    return data


@settings(max_examples=200, deadline=None)
@given(st.lists(top_item(), min_size=1, max_size=8))
def test_the_reader_sees_what_protobuf_builds(items: list[str]) -> None:
    text = "\n".join(items) + "\n"
    analysis = analyze(text, DIALECT)
    assert not [d for d in analysis.diagnostics if d.code.startswith(("SYN", "SCH00"))
                and d.code not in ("SCH005", "SCH006", "SCH007")], analysis.diagnostics
    seen = as_float32(as_data(View([analysis.root])))
    built = analysis.to_message()
    assert seen == as_float32(message_data(built))
    merged = analysis.schema.message_class(analysis.root.descriptor)()
    text_format.Merge(text, merged)
    assert merged == built


def test_a_later_member_clears_an_earlier_one_across_blocks() -> None:
    analysis = analyze("common_config { nuq_quantize { num_steps: 16 } }\n"
                       "common_config { arq_quantize { } }\n"
                       "common_config { nuq_quantize { num_of_iteration: 2 } }\n", DIALECT)
    common = View([analysis.root]).sub("common_config")
    assert common is not None
    assert common.oneof_member("wts_algo") == "nuq_quantize"
    nuq = common.sub("nuq_quantize")
    assert nuq is not None and set(nuq.fields) == {"num_of_iteration"}


def test_repeated_sub_blocks_merge_field_by_field() -> None:
    analysis = analyze("common_config { ifmr_quantize { search_step: 0.02 } }\n"
                       "common_config { ifmr_quantize { asymmetric: true } "
                       "ifmr_quantize { search_step: 0.03 } }\n", DIALECT)
    ifmr = View([analysis.root]).sub("common_config")
    assert ifmr is not None
    sub = ifmr.sub("ifmr_quantize")
    assert sub is not None and sub.value("asymmetric") is True
    assert float32(sub.value("search_step")) == float32(0.03)


def test_get_in_agrees_with_sub() -> None:
    analysis = analyze("common_config { ifmr_quantize { search_step: 0.02 } hfmg_quantize { } "
                       "ifmr_quantize { asymmetric: true } arq_quantize { channel_wise: true } }\n", DIALECT)
    common = View([analysis.root]).sub("common_config")
    assert common is not None
    for name in ("ifmr_quantize", "hfmg_quantize", "arq_quantize", "nuq_quantize"):
        sub = common.sub(name)
        for field in ("search_step", "asymmetric", "channel_wise", "num_of_bins"):
            expected = sub.fields.get(field) if sub is not None else None
            assert common.get_in(name, field) is expected
    assert common.get_in("ifmr_quantize", "search_step") is None  # cleared by hfmg_quantize
