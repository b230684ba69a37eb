"""Schemas as data: the dialects' .proto files, loaded once into one protobuf DescriptorPool."""

from __future__ import annotations

import json
import os
import zlib
from functools import lru_cache
from typing import Any

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, EnumValueDescriptor, FieldDescriptor

from .dialects import DIALECTS, PREFERENCE, Dialect
from .docs import Doc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "protos")
# The .proto files compiled to serialized descriptors plus their docs, keyed by a checksum of the
# sources: start-up then skips reading .proto syntax. Stale (a .proto edited): compiled anew in
# memory; `python -m amct_lang.schema` rewrites it and a test keeps it current.
COMPILED_PATH = os.path.join(HERE, "compiled.json")


def _sources() -> dict[str, str]:
    out = {}
    for dialect in DIALECTS.values():
        with open(os.path.join(PROTO_DIR, dialect.proto), encoding="utf-8") as handle:
            out[dialect.proto] = handle.read()
    return out


def _checksum(sources: dict[str, str]) -> str:
    blob = "\0".join(f"{name}\0{text}" for name, text in sorted(sources.items()))
    return f"{zlib.crc32(blob.encode('utf-8')):08x}-{len(blob)}"


def compile_sources(sources: dict[str, str] | None = None) -> dict[str, Any]:
    """Read the .proto files into serialized FileDescriptorProtos and a docs table."""
    from .protoreader import read_proto

    sources = sources if sources is not None else _sources()
    files: dict[str, str] = {}
    docs: dict[str, list[str]] = {}
    for name, text in sources.items():
        parsed = read_proto(text, name)
        # latin-1 maps bytes 1:1 onto code points: exact round trip through JSON
        files[name] = parsed.proto.SerializeToString(deterministic=True).decode("latin-1")
        docs.update({key: [doc.text, doc.zh] for key, doc in parsed.docs.items()})
    return {"checksum": _checksum(sources), "files": files, "docs": docs}


def write_compiled() -> None:
    with open(COMPILED_PATH, "w", encoding="utf-8") as handle:
        json.dump(compile_sources(), handle, ensure_ascii=False, sort_keys=True)
        handle.write("\n")


def _compiled() -> dict[str, Any]:
    sources = _sources()
    try:
        with open(COMPILED_PATH, encoding="utf-8") as handle:
            data: dict[str, Any] = json.load(handle)
        if data.get("checksum") == _checksum(sources):
            return data
    except (OSError, ValueError):
        pass
    return compile_sources(sources)


class Schema:
    """All dialects' descriptors and the documentation of every message, field and enum value."""

    def __init__(self) -> None:
        self.pool = descriptor_pool.DescriptorPool()
        compiled = _compiled()
        for dialect in DIALECTS.values():
            self.pool.AddSerializedFile(compiled["files"][dialect.proto].encode("latin-1"))
        self.docs: dict[str, Doc] = {key: Doc(text, zh) for key, (text, zh) in compiled["docs"].items()}
        self._top = {name: self.pool.FindMessageTypeByName(d.message) for name, d in DIALECTS.items()}

    def top(self, dialect: str) -> Descriptor:
        return self._top[dialect]

    def doc(self, item: Descriptor | FieldDescriptor | EnumValueDescriptor) -> Doc:
        if isinstance(item, EnumValueDescriptor):
            return self.docs.get(f"{item.type.full_name}.{item.name}", Doc())
        return self.docs.get(item.full_name, Doc())

    def message_class(self, descriptor: Descriptor) -> type:
        from google.protobuf import message_factory

        return message_factory.GetMessageClass(descriptor)  # type: ignore[no-any-return]


def is_repeated(field: FieldDescriptor) -> bool:
    # `label` is gone from newer protobuf releases; `is_repeated` is missing from older ones
    flag = getattr(field, "is_repeated", None)
    return bool(flag) if flag is not None else field.label == FieldDescriptor.LABEL_REPEATED


def is_required(field: FieldDescriptor) -> bool:
    flag = getattr(field, "is_required", None)
    return bool(flag) if flag is not None else field.label == FieldDescriptor.LABEL_REQUIRED


@lru_cache(maxsize=1)
def load() -> Schema:
    return Schema()


__all__ = ["DIALECTS", "PREFERENCE", "Dialect", "Doc", "Schema", "dialects_with_field", "is_repeated",
           "is_required", "load"]


def dialects_with_field(schema: Schema, descriptor: Descriptor, field: str, dialect: str) -> list[str]:
    """The other dialects whose message of the same name (the top message for the top message) has
    `field`: what tells a file that mixes flavours which dialect would accept a field."""
    top = descriptor is schema.top(dialect)
    out = []
    for name, other in DIALECTS.items():
        if name == dialect:
            continue
        if top:
            found: Descriptor | None = schema.top(name)
        else:
            package = other.message.rsplit(".", 1)[0]
            try:
                found = schema.pool.FindMessageTypeByName(f"{package}.{descriptor.name}")
            except KeyError:
                found = None
        if found is not None and field in found.fields_by_name:
            out.append(name)
    return out
