"""Read the project's .proto files into descriptors, keeping their doc comments.

The schemas are data: AMCT's proto2 subset (messages, nested enums/messages, oneofs, optional/
required/repeated scalar and message fields, [default = ...]) is read here into a
FileDescriptorProto and loaded into a protobuf DescriptorPool, so validation, completion, hover
and conversion all use real protobuf descriptors. `//` lines directly above a declaration are its
documentation; a line starting with `zh:` holds the Chinese original.
"""

from __future__ import annotations

import re

from google.protobuf import descriptor_pb2

from .docs import Doc

FDP = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "double": FDP.TYPE_DOUBLE, "float": FDP.TYPE_FLOAT, "int64": FDP.TYPE_INT64,
    "uint64": FDP.TYPE_UINT64, "int32": FDP.TYPE_INT32, "fixed64": FDP.TYPE_FIXED64,
    "fixed32": FDP.TYPE_FIXED32, "bool": FDP.TYPE_BOOL, "string": FDP.TYPE_STRING,
    "bytes": FDP.TYPE_BYTES, "uint32": FDP.TYPE_UINT32, "sfixed32": FDP.TYPE_SFIXED32,
    "sfixed64": FDP.TYPE_SFIXED64, "sint32": FDP.TYPE_SINT32, "sint64": FDP.TYPE_SINT64,
}
_LABELS = {"optional": FDP.LABEL_OPTIONAL, "required": FDP.LABEL_REQUIRED, "repeated": FDP.LABEL_REPEATED}
_TOKEN = re.compile(r'\s*(?:(//[^\n]*)|("(?:[^"\\]|\\.)*")|([A-Za-z_][\w.]*)|(-?[0-9][\w.+-]*)|(\S))')


class ProtoSyntaxError(ValueError):
    pass




class ProtoFile:
    def __init__(self, proto: descriptor_pb2.FileDescriptorProto, docs: dict[str, Doc]) -> None:
        self.proto = proto
        # fully qualified name ("pkg.Msg", "pkg.Msg.field", "pkg.Enum.VALUE") -> doc
        self.docs = docs


class _Reader:
    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self.toks: list[tuple[str, str, int]] = []  # (kind, text, line)
        line = 1
        last_end = 0
        for m in _TOKEN.finditer(text):
            line += text.count("\n", last_end, m.start(m.lastindex or 0))
            last_end = m.start(m.lastindex or 0)
            group = m.lastindex
            value = m.group(group or 0)
            if group == 1:
                self.toks.append(("comment", value[2:].strip(), line))
            elif group == 2:
                self.toks.append(("string", value, line))
            elif group == 3:
                self.toks.append(("ident", value, line))
            elif group == 4:
                self.toks.append(("number", value, line))
            else:
                self.toks.append(("symbol", value, line))
        self.i = 0
        self.docs: dict[str, Doc] = {}

    # token helpers -------------------------------------------------------------------------
    def _doc(self) -> Doc:
        """Consume the comment lines directly above the next declaration."""
        lines: list[tuple[str, int]] = []
        while self.i < len(self.toks) and self.toks[self.i][0] == "comment":
            lines.append((self.toks[self.i][1], self.toks[self.i][2]))
            self.i += 1
        if self.i < len(self.toks) and lines:
            # only the block of comments that ends on the line right above the declaration
            decl_line = self.toks[self.i][2]
            block: list[str] = []
            expect = decl_line - 1
            for text, ln in reversed(lines):
                if ln != expect:
                    break
                block.append(text)
                expect -= 1
            lines = [(t, 0) for t in reversed(block)]
        doc = Doc()
        english: list[str] = []
        for text, _ in lines:
            if text.startswith("zh:"):
                doc.zh = (doc.zh + " " + text[3:].strip()).strip()
            else:
                english.append(text)
        doc.text = "\n".join(english).strip()
        return doc

    def _peek(self) -> str:
        self._skip_comments()
        return self.toks[self.i][1] if self.i < len(self.toks) else ""

    def _skip_comments(self) -> None:
        while self.i < len(self.toks) and self.toks[self.i][0] == "comment":
            self.i += 1

    def _next(self) -> tuple[str, str, int]:
        self._skip_comments()
        if self.i >= len(self.toks):
            raise ProtoSyntaxError(f"{self.name}: unexpected end of file")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _expect(self, value: str) -> None:
        kind, text, line = self._next()
        if text != value:
            raise ProtoSyntaxError(f"{self.name}:{line}: expected {value!r}, found {text!r}")

    # grammar -------------------------------------------------------------------------------
    def read(self) -> ProtoFile:
        fdp = descriptor_pb2.FileDescriptorProto(name=self.name)
        package = ""
        while True:
            doc = self._doc()
            if self.i >= len(self.toks):
                break
            kind, word, line = self._next()
            if word == "syntax":
                self._expect("=")
                fdp.syntax = self._next()[1].strip('"')
                self._expect(";")
            elif word == "package":
                package = self._next()[1]
                fdp.package = package
                self._expect(";")
            elif word == "message":
                self._message(fdp.message_type.add(), package, doc)
            elif word == "enum":
                self._enum(fdp.enum_type.add(), package, doc)
            else:
                raise ProtoSyntaxError(f"{self.name}:{line}: unexpected {word!r}")
        return ProtoFile(fdp, self.docs)

    def _message(self, msg: descriptor_pb2.DescriptorProto, scope: str, doc: Doc) -> None:
        msg.name = self._next()[1]
        full = f"{scope}.{msg.name}" if scope else msg.name
        self.docs[full] = doc
        self._expect("{")
        while True:
            doc = self._doc()
            kind, word, line = self._next()
            if word == "}":
                return
            if word == "message":
                self._message(msg.nested_type.add(), full, doc)
            elif word == "enum":
                self._enum(msg.enum_type.add(), full, doc)
            elif word == "oneof":
                index = len(msg.oneof_decl)
                msg.oneof_decl.add().name = self._next()[1]
                self.docs[f"{full}.{msg.oneof_decl[index].name}"] = doc
                self._expect("{")
                while True:
                    member_doc = self._doc()
                    if self._peek() == "}":
                        break
                    self._field(msg, full, FDP.LABEL_OPTIONAL, member_doc, oneof=index)
                self._expect("}")
            elif word in _LABELS:
                self._field(msg, full, _LABELS[word], doc)
            else:
                raise ProtoSyntaxError(f"{self.name}:{line}: expected a field, found {word!r}")

    def _field(self, msg: descriptor_pb2.DescriptorProto, scope: str, label: int, doc: Doc,
               oneof: int | None = None) -> None:
        f = msg.field.add()
        f.label = label  # type: ignore[assignment]
        type_name = self._next()[1]
        if type_name in _SCALARS:
            f.type = _SCALARS[type_name]  # type: ignore[assignment]
        else:
            f.type_name = type_name  # resolved against the scope below
        f.name = self._next()[1]
        self._expect("=")
        f.number = int(self._next()[1])
        if oneof is not None:
            f.oneof_index = oneof
        if self._peek() == "[":
            self._next()
            while True:
                option = self._next()[1]
                self._expect("=")
                value = self._next()[1]
                if option == "default":
                    f.default_value = value.strip('"')
                if self._peek() == ",":
                    self._next()
                    continue
                self._expect("]")
                break
        self._expect(";")
        self.docs[f"{scope}.{f.name}"] = doc


    def _enum(self, enum: descriptor_pb2.EnumDescriptorProto, scope: str, doc: Doc) -> None:
        enum.name = self._next()[1]
        full = f"{scope}.{enum.name}" if scope else enum.name
        self.docs[full] = doc
        self._expect("{")
        while True:
            doc = self._doc()
            word = self._next()[1]
            if word == "}":
                return
            value = enum.value.add(name=word)
            self._expect("=")
            value.number = int(self._next()[1], 0)
            self._expect(";")
            # enum values live in the enum's parent scope in protobuf, but are documented per enum
            self.docs[f"{full}.{word}"] = doc


def _resolve_types(fdp: descriptor_pb2.FileDescriptorProto) -> None:
    """Turn relative type names into fully qualified ones and set message/enum types."""
    kinds: dict[str, int] = {}

    def collect(prefix: str, messages: object, enums: object) -> None:
        for e in enums:  # type: ignore[attr-defined]
            kinds[f"{prefix}.{e.name}"] = FDP.TYPE_ENUM
        for m in messages:  # type: ignore[attr-defined]
            name = f"{prefix}.{m.name}"
            kinds[name] = FDP.TYPE_MESSAGE
            collect(name, m.nested_type, m.enum_type)

    root = f".{fdp.package}" if fdp.package else ""
    collect(root, fdp.message_type, fdp.enum_type)

    def fix(prefix: str, messages: object) -> None:
        for m in messages:  # type: ignore[attr-defined]
            scope = f"{prefix}.{m.name}"
            for f in m.field:
                if f.type_name and not f.type_name.startswith("."):
                    parts = scope.split(".")
                    for cut in range(len(parts), 0, -1):
                        candidate = ".".join(parts[:cut]) + "." + f.type_name
                        if candidate in kinds:
                            f.type_name = candidate
                            f.type = kinds[candidate]  # type: ignore[assignment]
                            break
                    else:
                        raise ProtoSyntaxError(f"{fdp.name}: unknown type {f.type_name!r} in {scope}")
            fix(scope, m.nested_type)

    fix(root, fdp.message_type)


def read_proto(text: str, name: str) -> ProtoFile:
    """Parse one .proto file of the supported subset. Raises ProtoSyntaxError on bad input."""
    result = _Reader(text, name).read()
    _resolve_types(result.proto)
    return result
