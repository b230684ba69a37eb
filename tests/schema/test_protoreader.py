"""Our .proto reader against protoc: the same FileDescriptorProto for every schema we ship, and a
doc comment on every message, field, enum and enum value."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from amct_lang.schema import DIALECTS, PROTO_DIR, load
from amct_lang.schema.protoreader import ProtoSyntaxError, read_proto

PROTOS = sorted(Path(PROTO_DIR).glob("*.proto"))


def _messages(messages: Any) -> Iterator[descriptor_pb2.DescriptorProto]:
    for m in messages:
        yield m
        yield from _messages(m.nested_type)


def _normalized(fdp: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    # protoc fills json_name and leaves `syntax` empty for proto2; neither matters to the pool
    out = descriptor_pb2.FileDescriptorProto()
    out.CopyFrom(fdp)
    out.ClearField("syntax")
    for m in _messages(out.message_type):
        for f in m.field:
            f.ClearField("json_name")
    return out


def _protoc(path: Path, tmp_path: Path) -> descriptor_pb2.FileDescriptorProto:
    out = tmp_path / (path.stem + ".pb")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{path.parent}",
                    f"--descriptor_set_out={out}", path.name], check=True, capture_output=True)
    fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    assert len(fds.file) == 1
    return fds.file[0]


def test_every_dialect_has_its_proto() -> None:
    assert {d.proto for d in DIALECTS.values()} == {p.name for p in PROTOS}


@pytest.mark.parametrize("path", PROTOS, ids=lambda p: p.name)
def test_same_descriptor_as_protoc(path: Path, tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools")
    ours = read_proto(path.read_text(encoding="utf-8"), path.name).proto
    theirs = _protoc(path, tmp_path)
    assert _normalized(ours) == _normalized(theirs), (
        f"{path.name}: ours\n{_normalized(ours)}\nprotoc\n{_normalized(theirs)}")


def _declarations() -> Iterator[tuple[str, Any]]:
    schema = load()
    for path in PROTOS:
        fd = schema.pool.FindFileByName(path.name)
        stack = list(fd.message_types_by_name.values())
        enums = list(fd.enum_types_by_name.values())
        while stack:
            m = stack.pop()
            yield m.full_name, m
            for f in m.fields:
                yield f.full_name, f
            stack.extend(m.nested_types)
            enums.extend(m.enum_types)
        for e in enums:
            yield e.full_name, e
            for v in e.values:
                yield f"{e.full_name}.{v.name}", v


@pytest.mark.parametrize("name,item", list(_declarations()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_declaration_is_documented(name: str, item: Any) -> None:
    doc = load().doc(item)
    assert doc.text.strip(), f"{name} has no doc comment in its .proto file"


def test_docs_keep_the_chinese_original() -> None:
    schema = load()
    top = schema.top("calibration")
    with_zh = [f.name for f in top.fields if schema.doc(f).zh]
    assert with_zh, "the calibration schema's fields should carry their Chinese originals"


# Inputs the reader must refuse, with the line of the problem in the message.
BAD_PROTOS = [
    ("message A { optional Missing x = 1; }", "unknown type"),
    ('syntax = "proto2";\nmessage A {\n  optional int32 x = 1\n}', ":4:"),
    ("message A { optional int32 x = 1; ", "end of file"),
    ("service S {}", "unexpected 'service'"),
    ("message A { int32 x = 1; }", "expected a field"),
]


@pytest.mark.parametrize("text,needle", BAD_PROTOS)
def test_reader_rejects_what_it_does_not_support(text: str, needle: str) -> None:
    with pytest.raises(ProtoSyntaxError, match=needle):
        read_proto(text, "bad.proto")


def test_trailing_comment_is_not_the_next_declarations_doc() -> None:
    text = ("message A {\n  // doc of x\n  optional int32 x = 1;\n  // stray note\n\n"
            "  optional int32 y = 2;\n}\n")
    parsed = read_proto(text, "t.proto")
    assert parsed.docs["A.x"].text == "doc of x"
    assert parsed.docs["A.y"].text == ""
