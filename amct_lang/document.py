"""The typed document: syntax tree bound to the schema, values converted as protobuf would.

Binding follows Python's text_format.Merge (what AMCT runs) token for token: values are converted
by text_format's own ParseInteger/ParseFloat/ParseBool/ParseEnum and text_encoding.CUnescape, so
a value we accept is exactly the value AMCT gets. Where Merge silently accepts something
surprising (a singular field twice, two members of a oneof, a missing required field) we say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from .diagnostics import Diagnostic, Fix, Related, Severity
from .schema import Schema, dialects_with_field, is_repeated, is_required
from .schema.amct_pytorch import missing_required
from .syntax.nodes import Comment, Field, ListValue, Message, Scalar, SyntaxTree
from .syntax.strings import c_unescape

FD = FieldDescriptor
_INT_TYPES = {
    FD.TYPE_INT32: (True, False, "int32"), FD.TYPE_SINT32: (True, False, "sint32"),
    FD.TYPE_SFIXED32: (True, False, "sfixed32"), FD.TYPE_INT64: (True, True, "int64"),
    FD.TYPE_SINT64: (True, True, "sint64"), FD.TYPE_SFIXED64: (True, True, "sfixed64"),
    FD.TYPE_UINT32: (False, False, "uint32"), FD.TYPE_FIXED32: (False, False, "fixed32"),
    FD.TYPE_UINT64: (False, True, "uint64"), FD.TYPE_FIXED64: (False, True, "fixed64"),
}
_RANGES = {
    (True, False): (-(2**31), 2**31 - 1), (True, True): (-(2**63), 2**63 - 1),
    (False, False): (0, 2**32 - 1), (False, True): (0, 2**64 - 1),
}
TYPE_NAMES = {
    FD.TYPE_DOUBLE: "double", FD.TYPE_FLOAT: "float", FD.TYPE_BOOL: "bool", FD.TYPE_STRING: "string",
    FD.TYPE_BYTES: "bytes", FD.TYPE_ENUM: "enum", FD.TYPE_MESSAGE: "message",
    **{t: v[2] for t, v in _INT_TYPES.items()},
}
# Names users confuse that edit distance alone ranks badly.
CONFUSIONS = {
    "fmr_quantize": "ifmr_quantize", "ifmr": "ifmr_quantize", "arq": "arq_quantize",
    "nuq": "nuq_quantize", "skip_layer": "skip_layers", "skip_layer_type": "skip_layer_types",
    "override_layer_config": "override_layer_configs", "override_layer_type": "override_layer_types",
    "override_layers_configs": "override_layer_configs", "channelwise": "channel_wise",
    "per_channel": "channel_wise", "symmetric": "asymmetric", "offset": "activation_offset",
    "bn_fusion": "do_fusion", "fusion": "do_fusion", "num_step": "num_steps",
    "num_iteration": "num_of_iteration", "num_of_iterations": "num_of_iteration",
    "quant_skip_layer": "quant_skip_layers", "batch_size": "batch_num",
}
MAX_DEPTH = 64
MAX_DIAGNOSTICS = 100  # per file; a file with more is most likely checked against the wrong schema


def type_name(field: FieldDescriptor) -> str:
    if field.type == FD.TYPE_MESSAGE:
        return field.message_type.name
    if field.type == FD.TYPE_ENUM:
        return field.enum_type.name
    return TYPE_NAMES.get(field.type, "value")


def did_you_mean(name: str, candidates: list[str]) -> str | None:
    """The field or value `name` most likely means: a known confusion, else amct_lang.suggest."""
    from .suggest import closest

    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    confused = CONFUSIONS.get(name.lower())
    if confused in candidates:
        return confused
    return closest(name, candidates)


class Entry:
    """One value given to a field: `value` is a Python scalar (enum: its number) or BoundMessage."""

    __slots__ = ("field", "node", "item", "value")

    def __init__(self, field: FieldDescriptor, node: Field, item: Scalar | Message, value: Any) -> None:
        self.field = field
        self.node = node
        self.item = item
        self.value = value

    @property
    def start(self) -> int:
        return self.item.start

    @property
    def end(self) -> int:
        return self.item.end

    def __repr__(self) -> str:
        return f"Entry({self.field.name}={self.value!r})"


class BoundMessage:
    """A message in the document, with its entries in source order."""

    __slots__ = ("descriptor", "node", "entries")

    def __init__(self, descriptor: Descriptor, node: Message | None) -> None:
        self.descriptor = descriptor
        self.node = node
        self.entries: list[Entry] = []

    def all(self, name: str) -> list[Entry]:
        return [e for e in self.entries if e.field.name == name]

    def last(self, name: str) -> Entry | None:
        for e in reversed(self.entries):
            if e.field.name == name:
                return e
        return None

    def has(self, name: str) -> bool:
        return any(e.field.name == name for e in self.entries)

    def get(self, name: str) -> Any:
        """The effective value as AMCT sees it: last given, else the schema default."""
        entry = self.last(name)
        if entry is not None:
            return entry.value
        field = self.descriptor.fields_by_name[name]
        if field.type == FD.TYPE_MESSAGE:
            return None
        return field.default_value

    def messages(self, name: str) -> list[BoundMessage]:
        return [e.value for e in self.entries if e.field.name == name and isinstance(e.value, BoundMessage)]

    def walk(self) -> Iterator[BoundMessage]:
        """This message and every message below it, depth first."""
        stack = [self]
        while stack:
            msg = stack.pop()
            yield msg
            stack.extend(reversed([e.value for e in msg.entries if isinstance(e.value, BoundMessage)]))

    def __repr__(self) -> str:
        return f"BoundMessage({self.descriptor.name}, {self.entries!r})"


class Binder:
    def __init__(self, schema: Schema, dialect: str, text: str,
                 comments: list[Comment] | None = None) -> None:
        self.schema = schema
        self.dialect = dialect
        self.text = text
        self.comments = comments or []
        self.diagnostics: list[Diagnostic] = []
        self._indent: str | None = None

    @property
    def room(self) -> bool:
        """Whether another diagnostic will be kept (fixes are made only for those)."""
        return len(self.diagnostics) < MAX_DIAGNOSTICS

    @property
    def indent(self) -> str:
        """The file's indentation step, read once (for inserted fields)."""
        if self._indent is None:
            from .schema_fixes import indent_unit

            self._indent = indent_unit(self.text)
        return self._indent

    def error(self, code: str, message: str, start: int, end: int, severity: Severity = Severity.ERROR,
              related: tuple[Related, ...] = (), fixes: tuple[Fix, ...] = ()) -> None:
        count = len(self.diagnostics)
        if count < MAX_DIAGNOSTICS:
            self.diagnostics.append(Diagnostic(code, message, start, end, severity, related, fixes))
        elif count == MAX_DIAGNOSTICS:
            self.diagnostics.append(Diagnostic(
                "SCH000", f"more than {MAX_DIAGNOSTICS} schema problems; the rest are not shown", start, end,
                Severity.ERROR))

    # -- messages ------------------------------------------------------------------------------
    def bind_message(self, descriptor: Descriptor, node: Message | None, fields: list[Field],
                     depth: int, top: bool = False) -> BoundMessage:
        bound = BoundMessage(descriptor, node)
        layout = _layout(descriptor)
        infos = layout.fields
        seen: dict[str, Field] = {}
        oneof_seen: dict[str, Field] = {}
        for f in fields:
            name_tok = f.name
            if name_tok.missing:
                continue
            info = infos.get(name_tok.text)
            if info is None:
                self.unknown_field(descriptor, f, top, fields)
                continue
            fd, repeated, is_message, oneof = info
            if not repeated:
                first = seen.get(fd.name)
                if first is not None:
                    what = "merged field by field into the first" if is_message else "the last value wins"
                    self.error("SCH006", f"'{fd.name}' is given more than once; AMCT keeps it silently "
                               f"({what}). Keep one", name_tok.start, name_tok.end, Severity.WARNING,
                               (Related(first.name.start, first.name.end, "first given here"),),
                               self.fixes("duplicate", first, f, oneof is not None))
                else:
                    seen[fd.name] = f
            if oneof is not None:
                other = oneof_seen.get(oneof)
                if other is not None and other.name.text != fd.name:
                    self.error("SCH007", f"'{fd.name}' and '{other.name.text}' are both members of oneof "
                               f"'{oneof}'; AMCT silently keeps only the last one given. Keep one",
                               name_tok.start, name_tok.end, Severity.WARNING,
                               (Related(other.name.start, other.name.end, "other member given here"),),
                               self.fixes("oneof_rival", other, f))
                oneof_seen[oneof] = f
            value = f.value
            if isinstance(value, ListValue):
                if not repeated:
                    self.error("SCH002", f"'{fd.name}' is not repeated: give one value, not a list",
                               value.start, value.end)
                    continue
                if f.colon is None and not is_message:
                    # only a list of messages may omit the colon (the parser allows it for `[]`)
                    self.error("SYN001", f"expected ':' after field name '{fd.name}': a list of "
                               f"{type_name(fd)} values needs it ('{fd.name}: [...]')",
                               value.start, value.start + 1)
                    continue
                for item in value.items:
                    self.bind_value(bound, fd, f, item, is_message, depth)
            else:
                self.bind_value(bound, fd, f, value, is_message, depth)
        if layout.required:
            self.check_required(bound, node, fields, layout.required)
        return bound

    def fixes(self, kind: str, *args: Any) -> tuple[Fix, ...]:
        """The fixes of one diagnostic (amct_lang.schema_fixes), made only when it will be kept."""
        if not self.room:
            return ()
        from . import schema_fixes

        if kind in ("duplicate",):
            return schema_fixes.duplicate(self.text, self.comments, *args)
        if kind == "oneof_rival":
            return schema_fixes.oneof_rival(self.text, *args)
        return getattr(schema_fixes, kind)(*args)  # type: ignore[no-any-return]

    def unknown_field(self, descriptor: Descriptor, f: Field, top: bool, siblings: list[Field]) -> None:
        name = f.name.text
        if f.name.kind == "EXTENSION":
            self.error("SCH001", f"extension {name} is not allowed: {descriptor.name} has no extensions",
                       f.name.start, f.name.end)
            return
        message = f"unknown field '{name}' in {descriptor.name}"
        hint = did_you_mean(name, list(descriptor.fields_by_name))
        fixes: tuple[Fix, ...] = ()
        if hint:
            message += f"; did you mean '{hint}'?"
            fixes = self.fixes("rename", f.name.start, f.name.end, hint, siblings,
                               is_repeated(descriptor.fields_by_name[hint]))
        others = dialects_with_field(self.schema, descriptor, name, self.dialect)
        if others:
            message += (f"; '{name}' is a field of the {' / '.join(others)} dialect, but this file is "
                        f"checked as {self.dialect}")
        self.error("SCH001", message, f.name.start, f.name.end, fixes=fixes)

    def check_required(self, bound: BoundMessage, node: Message | None, fields: list[Field],
                       required: tuple[FieldDescriptor, ...]) -> None:
        given = {f.name.text for f in fields}
        for fd in required:
            if fd.name not in given:
                if node is None:
                    start = end = 0
                    fixes: tuple[Fix, ...] = ()
                else:
                    start, end = node.open.start, node.open.end
                    fixes = self.fixes("add_required", self.text, start, end, fd, self.indent)
                consequence = missing_required(self.dialect, bound.descriptor.name, fd.name)
                self.error("SCH005", f"required field '{fd.name}' ({type_name(fd)}) is missing in "
                           f"{bound.descriptor.name}; {consequence}",
                           start, end, fixes=fixes)

    # -- fields --------------------------------------------------------------------------------
    def bind_value(self, bound: BoundMessage, fd: FieldDescriptor, f: Field, item: Scalar | Message,
                   is_message: bool, depth: int) -> None:
        if is_message:
            if not isinstance(item, Message):
                if not item.missing:
                    self.error("SCH002", f"'{fd.name}' is a message ({fd.message_type.name}): write "
                               f"'{fd.name} {{ ... }}'", item.start, item.end)
                return
            if depth >= MAX_DEPTH:
                self.error("SCH002", f"messages nested deeper than {MAX_DEPTH} levels", item.start, item.end)
                return
            child = self.bind_message(fd.message_type, item, item.fields, depth + 1)
            bound.entries.append(Entry(fd, f, item, child))
            return
        if isinstance(item, Message):
            self.error("SCH002", f"'{fd.name}' is {_a(type_name(fd))}, not a message: write "
                       f"'{fd.name}: value'", item.start, item.end)
            return
        if item.missing:
            return
        if f.colon is None:
            # `name 5` already has a syntax error; nothing more to say
            return
        converted = self.convert(fd, item)
        if converted is not _INVALID:
            bound.entries.append(Entry(fd, f, item, converted))

    # -- scalars -------------------------------------------------------------------------------
    def convert(self, fd: FieldDescriptor, item: Scalar) -> Any:
        tokens = item.tokens
        tok = tokens[0]
        kind = tok.kind
        text = tok.text
        ftype = fd.type
        if ftype == FD.TYPE_STRING or ftype == FD.TYPE_BYTES:
            if kind != "STRING":
                bare = kind in ("IDENT", "NUMBER") and len(tokens) == 1
                fixes = self.fixes("add_quotes", item.start, item.end, text) if bare else ()
                self.error("SCH002", f"'{fd.name}' is a string: write it in quotes, \"{text}\"",
                           item.start, item.end, fixes=fixes)
                return _INVALID
            return self.string_value(fd, tokens)
        if kind == "STRING":
            fixes = self.fixes("remove_quotes", fd, item.start, item.end, text) if len(tokens) == 1 else ()
            self.error("SCH002", f"'{fd.name}' is {_a(type_name(fd))}, not a string: remove the quotes"
                       + (f" ({_allowed(fd)})" if ftype in (FD.TYPE_ENUM, FD.TYPE_BOOL) else ""),
                       item.start, item.end, fixes=fixes)
            return _INVALID
        if len(tokens) != 1:  # pragma: no cover - only strings concatenate
            return _INVALID
        if ftype == FD.TYPE_FLOAT or ftype == FD.TYPE_DOUBLE:
            return self.float_value(fd, tok)
        if ftype in _INT_TYPES:
            return self.int_value(fd, tok)
        if ftype == FD.TYPE_BOOL:
            try:
                return text_format.ParseBool(text)
            except ValueError:
                self.malformed_or(tok, "SCH002", f"'{fd.name}' is a bool: write true or false "
                                  f"(also accepted: True, t, 1 / False, f, 0), not '{text}'",
                                  lambda: self.fixes("bool_choices", tok.start, tok.end, text))
                return _INVALID
        if ftype == FD.TYPE_ENUM:
            try:
                return text_format.ParseEnum(fd, text)
            except ValueError:
                names = [v.name for v in fd.enum_type.values]
                if kind == "NUMBER" and _is_number(text):
                    self.error("SCH004", f"no value of enum {fd.enum_type.name} has number {text}; "
                               f"{_allowed(fd)}", tok.start, tok.end,
                               fixes=self.fixes("enum_choices", tok.start, tok.end, names, None))
                    return _INVALID
                hint = did_you_mean(text, names)
                self.malformed_or(tok, "SCH004", f"'{text}' is not a value of enum {fd.enum_type.name}; "
                                  + (f"did you mean '{hint}'? " if hint else "") + _allowed(fd),
                                  lambda: self.fixes("enum_choices", tok.start, tok.end, names, hint))
                return _INVALID
        return _INVALID  # pragma: no cover - no other field types in proto2 text

    def malformed_or(self, tok: Any, code: str, message: str,
                     fixes: Callable[[], tuple[Fix, ...]] | None = None) -> None:
        if tok.kind == "NUMBER" and not _is_number(tok.text):
            self.malformed(tok)
        else:
            self.error(code, message, tok.start, tok.end, fixes=fixes() if fixes is not None else ())

    def malformed(self, tok: Any) -> None:
        text = tok.text
        if text in ("-", "+"):
            after = _DETACHED.match(self.text, tok.end)
            if after:
                number = after.group(1)
                msg = (f"the sign must be attached to the number: write {text}{number}, not {text} {number} "
                       "(AMCT's parser reads a lone sign as a broken number)")
            else:
                msg = f"'{text}' alone is not a number: write the number right after the sign"
        else:
            msg = f"malformed number '{text}'"
            head = text.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
            if head and head != text and _is_number(head):
                msg += f": a number directly followed by letters; separate them ('{head} {text[len(head):]}')"
        self.error("SYN004", msg, tok.start, tok.end)

    def float_value(self, fd: FieldDescriptor, tok: Any) -> Any:
        text = tok.text
        try:
            return text_format.ParseFloat(text)
        except ValueError:
            pass
        if tok.kind == "IDENT":
            self.error("SCH002", f"'{fd.name}' is {_a(type_name(fd))}: write a number, not '{text}'",
                       tok.start, tok.end)
        elif _is_int(text):
            self.error("SCH003", f"'{text}': hexadecimal and octal forms are not allowed for "
                       f"{type_name(fd)} fields; write a decimal number", tok.start, tok.end)
        else:
            self.malformed(tok)
        return _INVALID

    def int_value(self, fd: FieldDescriptor, tok: Any) -> Any:
        signed, long, tname = _INT_TYPES[fd.type]
        text = tok.text
        if tok.kind == "IDENT":
            self.error("SCH002", f"'{fd.name}' is an integer ({tname}): write a whole number, not '{text}'",
                       tok.start, tok.end)
            return _INVALID
        try:
            value = parse_int(text)
        except ValueError:
            if _is_number(text):
                self.error("SCH002", f"'{fd.name}' is an integer ({tname}): '{text}' is not a whole number",
                           tok.start, tok.end)
            else:
                self.malformed(tok)
            return _INVALID
        low, high = _RANGES[(signed, long)]
        if not low <= value <= high:
            if value < 0 and not signed:
                msg = f"'{fd.name}' is unsigned ({tname}): a negative value is not allowed"
            else:
                msg = f"{text} is out of range for {tname} ({low}..{high})"
            self.error("SCH003", msg, tok.start, tok.end)
            return _INVALID
        return value

    def string_value(self, fd: FieldDescriptor, tokens: list[Any]) -> Any:
        chunks: list[bytes] = []
        for tok in tokens:
            body = tok.text[1:-1]
            if not _terminated(tok.text) or _NOT_UTF8.search(body):
                return _INVALID  # unterminated or undecodable bytes: already a syntax error
            if "\\" not in body:
                chunks.append(body.encode("utf-8", "surrogatepass"))
                continue
            try:
                chunks.append(c_unescape(body))  # CUnescape's results, in linear time
            except Exception as exc:  # noqa: BLE001 - any failure of unescaping is the user's escape
                self.error("SYN006", f"invalid escape sequence in string: {exc}", tok.start, tok.end)
                return _INVALID
        raw = b"".join(chunks)
        if fd.type == FD.TYPE_BYTES:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.error("SCH008", f"string is not valid UTF-8 (byte {exc.start}: {exc.reason}); AMCT rejects "
                       "it. Use \\u escapes or UTF-8 text", tokens[0].start, tokens[-1].end)
            return _INVALID


_INVALID = object()
# what follows a detached sign: whitespace and comments, then the number it was meant for
_DETACHED = re.compile(r"(?:\s|#[^\n]*)*([0-9.][\w.+-]*|(?i:inf\w*|nan)\b)")
_NOT_UTF8 = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8 (see syntax/parser.py)


def _terminated(literal: str) -> bool:
    """Whether a string token ends with its (unescaped) opening quote."""
    if len(literal) < 2 or literal[-1] != literal[0]:
        return False
    body = literal[1:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 0


class _Layout:
    """What binding needs of a message type, read from its descriptor once."""

    __slots__ = ("fields", "required")

    def __init__(self, descriptor: Descriptor) -> None:
        # name -> (descriptor, repeated, is a message, oneof name)
        self.fields: dict[str, tuple[FieldDescriptor, bool, bool, str | None]] = {
            fd.name: (fd, is_repeated(fd), fd.type == FD.TYPE_MESSAGE,
                      fd.containing_oneof.name if fd.containing_oneof is not None else None)
            for fd in descriptor.fields
        }
        self.required = tuple(fd for fd in descriptor.fields if is_required(fd))


_LAYOUTS: dict[str, _Layout] = {}


def _layout(descriptor: Descriptor) -> _Layout:
    layout = _LAYOUTS.get(descriptor.full_name)
    if layout is None:
        layout = _LAYOUTS[descriptor.full_name] = _Layout(descriptor)
    return layout


def _a(noun: str) -> str:
    """The noun with its indefinite article: 'an int32', 'a float', 'a uint32'."""
    return ("an " if noun[:1].lower() in "aeio" else "a ") + noun


def _allowed(fd: FieldDescriptor) -> str:
    if fd.type == FD.TYPE_BOOL:
        return "allowed: true, false"
    return "allowed: " + ", ".join(v.name for v in fd.enum_type.values)


_C_OCTAL = re.compile(r"(-?)0(\d+)$")


def parse_int(text: str) -> int:
    """An integer as text_format reads it before its range check: int(text, 0), C octal '017'."""
    m = _C_OCTAL.match(text)
    return int(m.group(1) + "0o" + m.group(2) if m else text, 0)


def _is_int(text: str) -> bool:
    try:
        parse_int(text)
        return True
    except ValueError:
        return False


def _is_number(text: str) -> bool:
    if _is_int(text):
        return True
    try:
        text_format.ParseFloat(text)
        return True
    except ValueError:
        return False


def bind(tree: SyntaxTree, schema: Schema, dialect: str) -> tuple[BoundMessage, list[Diagnostic]]:
    binder = Binder(schema, dialect, tree.text, tree.comments)
    root = binder.bind_message(schema.top(dialect), None, tree.fields, 0, top=True)
    return root, binder.diagnostics


def to_message(root: BoundMessage, schema: Schema) -> Any:
    """The protobuf message AMCT would load (as text_format.Merge builds it)."""
    msg = schema.message_class(root.descriptor)()
    _fill(msg, root)
    return msg


def _fill(msg: Any, bound: BoundMessage) -> None:
    for entry in bound.entries:
        fd = entry.field
        value = entry.value
        if fd.type == FD.TYPE_MESSAGE:
            if is_repeated(fd):
                _fill(getattr(msg, fd.name).add(), value)
            else:
                sub = getattr(msg, fd.name)
                sub.SetInParent()
                _fill(sub, value)
        elif is_repeated(fd):
            getattr(msg, fd.name).append(value)
        else:
            setattr(msg, fd.name, value)
