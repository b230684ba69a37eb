"""The typed effective config against the schema it stands for: every configured message type has
exactly the .proto's fields with the .proto's defaults as float32, the enums list the .proto's
members, and float32() rounds as protobuf's float fields do."""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amct_lang.schema import load
from amct_lang.schema.dialects import CALIBRATION_DIALECTS
from amct_lang.semantic.types import ENUMS, MESSAGES, Configured, float32

SCHEMA = load()
# the dialects whose layers the semantic model resolves
RESOLVED = (*CALIBRATION_DIALECTS, "distill")


def _every_message(dialect: str) -> list[Any]:
    """Each message type reachable from the dialect's top message, once."""
    out, stack, seen = [], [SCHEMA.top(dialect)], set()
    while stack:
        desc = stack.pop()
        if desc.full_name not in seen:
            seen.add(desc.full_name)
            out.append(desc)
            stack.extend(f.message_type for f in desc.fields if f.message_type is not None)
    return out


def _messages() -> list[tuple[str, object]]:
    """(dialect, descriptor) of every message type a typed class stands for, in every dialect."""
    return [(d, desc) for d in RESOLVED for desc in _every_message(d) if desc.name in MESSAGES]


MESSAGE_CASES = _messages()


@pytest.mark.parametrize(("dialect", "desc"), MESSAGE_CASES,
                         ids=[f"{d}:{m.name}" for d, m in MESSAGE_CASES])  # type: ignore[attr-defined]
def test_typed_class_has_the_proto_fields(dialect: str, desc: object) -> None:
    cls: type[Configured] = MESSAGES[desc.name]  # type: ignore[attr-defined]
    for fd in desc.fields:  # type: ignore[attr-defined]
        assert fd.name in cls.FIELDS, f"{cls.__name__} lacks {fd.name} ({dialect})"
        if fd.message_type is not None or not fd.has_default_value:
            continue
        default = getattr(cls, fd.name)
        expected = float32(fd.default_value) if fd.type == fd.TYPE_FLOAT else fd.default_value
        assert default == expected, f"{cls.__name__}.{fd.name}: {default!r} != {expected!r} ({dialect})"


def test_every_dialect_with_layer_configs_is_covered() -> None:
    covered = {d for d, _ in MESSAGE_CASES}
    assert {"calibration", "calibration-onnx", "distill"} <= covered


@pytest.mark.parametrize("dialect", RESOLVED)
def test_enums_match_the_proto(dialect: str) -> None:
    for desc in _every_message(dialect):
        for fd in desc.fields:
            if fd.enum_type is not None and fd.enum_type.name in ENUMS:
                enum = ENUMS[fd.enum_type.name]
                assert {v.name: v.number for v in fd.enum_type.values} == {m.name: m.value for m in enum}


@given(st.floats(allow_nan=False, width=64))
def test_float32_is_what_a_float_field_stores(x: float) -> None:
    msg = SCHEMA.message_class(SCHEMA.top("calibration").fields_by_name["common_config"].message_type
                               .fields_by_name["ifmr_quantize"].message_type)()
    msg.search_step = x
    assert float32(x) == msg.search_step or (math.isnan(float32(x)) and math.isnan(msg.search_step))


EDGES = [3.4028235e38, -3.4028235e38, 3.4028234663852886e38, 3.5e38, -1e39, 1e-45, 1.401298464324817e-45,
         -1e-45, 1e-46, 1.1754943508222875e-38, math.inf, -math.inf, 0.0, -0.0]


@pytest.mark.parametrize("x", EDGES)
def test_float32_at_the_edges(x: float) -> None:
    msg = SCHEMA.message_class(SCHEMA.top("calibration").fields_by_name["common_config"].message_type
                               .fields_by_name["ifmr_quantize"].message_type)()
    msg.search_step = x
    got = float32(x)
    assert got == msg.search_step
    assert struct.pack("<d", got) == struct.pack("<d", msg.search_step)  # also the sign of zero


def test_float32_nan() -> None:
    assert math.isnan(float32(math.nan))
