"""Hypothesis strategy for the formatter's property tests: valid documents built from the schema.

Every spelling the formatter must keep is drawn: both quote styles, escapes, adjacent strings,
hex and octal integers, float forms (`1.`, `.5`, `1e-3`, `1.5f`, `inf`), bool and enum spellings,
`{}`/`<>`, optional colons before blocks, `,`/`;` separators, scalar and message lists, repeated
fields given line by line, unknown fields, and whitespace or comments between any two tokens.
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import strategies as st

from amct_lang.schema import DIALECTS, is_repeated, load

FD = FieldDescriptor
MAX_DEPTH = 4

_FLOATS = ["1.0", "0.5", ".5", "1.", "1e-3", "-2.5", "1.5f", "3", "-0", "0.999999", "inf", "-inf", "nan",
           "1E2", "2F"]
_BOOLS = ["true", "false", "True", "False", "t", "f", "1", "0"]
_STRING_BODIES = ["", "conv1", "a b", "层", "é", "x\\ny", "q\\\"q", "s\\'s", "\\x41", "\\101", "\\u00e9",
                  "back\\\\slash", "layer/0.weight", "#not a comment"]
_INT32_MAX = 2**31 - 1


@st.composite
def _string(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        body = draw(st.sampled_from(_STRING_BODIES))
        quote = draw(st.sampled_from(['"', "'"]))
        if quote == "'":
            body = body.replace('\\"', '"')
        else:
            body = body.replace("\\'", "'")
        parts.append(quote + body + quote)
    return " ".join(parts)


def _int(draw: st.DrawFn, unsigned: bool) -> str:
    value = draw(st.integers(0 if unsigned else -1000, 1000))
    form = draw(st.sampled_from(["dec", "hex", "oct"])) if value >= 0 else "dec"
    if form == "hex":
        return hex(value)
    if form == "oct" and value > 0:
        return "0" + oct(value)[2:]
    return str(value)


def _scalar(draw: st.DrawFn, fd: FieldDescriptor) -> str:
    t = fd.type
    if t in (FD.TYPE_STRING, FD.TYPE_BYTES):
        return draw(_string())
    if t in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return draw(st.sampled_from(_FLOATS))
    if t == FD.TYPE_BOOL:
        return draw(st.sampled_from(_BOOLS))
    if t == FD.TYPE_ENUM:
        value = draw(st.sampled_from(list(fd.enum_type.values)))
        return value.name if draw(st.booleans()) else str(value.number)
    unsigned = t in (FD.TYPE_UINT32, FD.TYPE_UINT64, FD.TYPE_FIXED32, FD.TYPE_FIXED64)
    return _int(draw, unsigned)


def _fields(draw: st.DrawFn, descriptor: Descriptor, depth: int, out: list[str]) -> None:
    fields = list(descriptor.fields)
    for _ in range(draw(st.integers(0, 5 if depth == 0 else 3))):
        if draw(st.integers(0, 19)) == 0:  # a field the schema does not know
            out += ["not_a_field", ":", draw(st.sampled_from(["1", '"x"', "ENUM_NAME"]))]
            _sep(draw, out)
            continue
        fd = draw(st.sampled_from(fields))
        if fd.type == FD.TYPE_MESSAGE:
            if depth >= MAX_DEPTH:
                continue
            if is_repeated(fd) and draw(st.integers(0, 3)) == 0:
                out += [fd.name, ":", "["]
                for k in range(draw(st.integers(1, 2))):
                    if k:
                        out.append(",")
                    _block(draw, fd.message_type, depth, out)
                out.append("]")
            else:
                out.append(fd.name)
                if draw(st.booleans()):
                    out.append(":")
                _block(draw, fd.message_type, depth, out)
        elif is_repeated(fd) and draw(st.booleans()):
            out += [fd.name, ":", "["]
            for k in range(draw(st.integers(0, 4))):
                if k:
                    out.append(",")
                out.append(_scalar(draw, fd))
            out.append("]")
        else:
            out += [fd.name, ":", _scalar(draw, fd)]
        _sep(draw, out)


def _block(draw: st.DrawFn, descriptor: Descriptor, depth: int, out: list[str]) -> None:
    angle = draw(st.integers(0, 4)) == 0
    out.append("<" if angle else "{")
    _fields(draw, descriptor, depth + 1, out)
    out.append(">" if angle else "}")


def _sep(draw: st.DrawFn, out: list[str]) -> None:
    sep = draw(st.sampled_from(["", "", "", ",", ";"]))
    if sep:
        out.append(sep)


_GAPS = [" ", " ", " ", "\n", "\n", "\n\n", "\n\n\n", "\t", "  # c{n}\n", "\n# c{n}\n", "\n\n  # c{n}  \n\n",
         " #c{n}\n# d{n}\n"]


@st.composite
def documents(draw: st.DrawFn, dialect: str | None = None) -> str:
    """A syntactically valid document of `dialect` (drawn when None)."""
    name = dialect or draw(st.sampled_from(sorted(DIALECTS)))
    tokens: list[str] = []
    _fields(draw, load().top(name), 0, tokens)
    out = [draw(st.sampled_from(["", "", "# head\n", "\n\n# head\n\n"]))]
    for k, token in enumerate(tokens):
        if k:
            out.append(draw(st.sampled_from(_GAPS)).format(n=k))
        out.append(token)
    out.append(draw(st.sampled_from(["", "\n", "\n\n", "  # tail\n", "\n# tail"])))
    return "".join(out)
