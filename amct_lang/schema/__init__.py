"""Schemas as data: the dialects' .proto files, loaded once into one protobuf DescriptorPool."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, EnumValueDescriptor, FieldDescriptor

from .dialects import DIALECTS, PREFERENCE, Dialect
from .protoreader import Doc, read_proto

PROTO_DIR = Path(__file__).resolve().parent / "protos"


class Schema:
    """All dialects' descriptors and the documentation of every message, field and enum value."""

    def __init__(self) -> None:
        self.pool = descriptor_pool.DescriptorPool()
        self.docs: dict[str, Doc] = {}
        for dialect in DIALECTS.values():
            path = PROTO_DIR / dialect.proto
            parsed = read_proto(path.read_text(encoding="utf-8"), dialect.proto)
            self.pool.Add(parsed.proto)
            self.docs.update(parsed.docs)
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


__all__ = ["DIALECTS", "PREFERENCE", "Dialect", "Doc", "Schema", "is_repeated", "is_required", "load"]
