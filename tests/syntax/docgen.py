"""Hypothesis strategies for text-format documents built from a dialect's schema.

`documents(dialect)` draws a message of the dialect's top type (random fields, repeats, oneof
members, nested messages) and renders it with random layout: whitespace, CRLF, comments (ASCII
and not), separators, number spellings, string quoting and escapes, list forms and bracket
styles. The result is usually, not always, valid: values at and just past the range limits are
drawn on purpose. `mutated(dialect)` then edits such a document by characters or tokens.
"""

from __future__ import annotations

import re

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import strategies as st

from amct_lang.schema import is_repeated, is_required, load

FD = FieldDescriptor
_INT_BOUNDS = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1), FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1), FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1), FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1), FD.TYPE_FIXED64: (0, 2**64 - 1),
}
_PUNCT = set(":{}<>[],;")
LAYOUT = st.sampled_from([
    " ", " ", " ", "  ", "\n", "\n  ", "\t", "\r\n", "\r\n\t", " # note\n", "\n# 量化配置 ünï ☃\n",
    " #\n", "\n\n", "\x0c", " # amct-lint: disable=SCH006\n",
])
# characters a string value may contain (quotes and backslashes included on purpose)
_STRING_CHARS = st.sampled_from(
    list("abcXYZ019_-./ ") + ['"', "'", "\\", "\t", "é", "中", "\U0001f600", "\x00", "\x7f"])
_SEPARATORS = st.sampled_from(["", "", "", ",", ";"])


def _int_text(draw: st.DrawFn, value: int) -> str:
    style = draw(st.sampled_from(["dec", "dec", "dec", "hex", "HEX", "oct", "plus"]))
    sign = "-" if value < 0 else ""
    mag = abs(value)
    if style == "hex":
        return f"{sign}0x{mag:x}"
    if style == "HEX":
        return f"{sign}0X{mag:X}"
    if style == "oct" and mag:
        return f"{sign}0{mag:o}"
    if style == "plus" and value >= 0:
        return f"+{value}"
    return str(value)


def _integer(draw: st.DrawFn, fd: FieldDescriptor) -> str:
    low, high = _INT_BOUNDS[fd.type]
    value = draw(st.one_of(
        st.integers(0, 40),
        st.integers(low, high),
        st.sampled_from([low, high, low - 1, high + 1, -1, 2**31, 2**32, -(2**31) - 1]),
    ))
    return _int_text(draw, value)


def _float(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["repr", "repr", "fixed", "int", "suffix", "dot", "special"]))
    if kind == "special":
        word = draw(st.sampled_from(["inf", "infinity", "nan", "Inf", "NaN", "INFINITY", "infF"]))
        return draw(st.sampled_from(["", "-"])) + word
    if kind == "int":
        return _int_text(draw, draw(st.integers(-1000, 1000)))
    value = draw(st.floats(allow_nan=False, allow_infinity=False, width=draw(st.sampled_from([32, 64]))))
    if kind == "fixed":
        text = f"{value:.{draw(st.integers(0, 6))}f}"
    else:
        text = repr(value)
    if kind == "suffix" and "e" not in text:
        text += draw(st.sampled_from(["f", "F"]))
    if kind == "dot":
        text = text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text.split(".")[0] + "."
    return text


def _escape(draw: st.DrawFn, ch: str, quote: str) -> str:
    code = ord(ch)
    style = draw(st.sampled_from(["raw", "raw", "raw", "x", "oct", "u", "U"]))
    if ch in (quote, "\\") or ch in "\n\x00":
        style = "x" if style == "raw" else style
    if style == "raw":
        return ch
    if code < 0x80 and style == "x":
        return f"\\x{code:02x}"
    if code < 0x80 and style == "oct":
        return f"\\{code:03o}"
    if code <= 0xFFFF and style != "U":
        return f"\\u{code:04x}"
    if style in ("u", "U"):
        return f"\\U{code:08x}"
    # escape a non-ASCII character byte by byte (valid: the bytes form UTF-8 again)
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8"))


def _string(draw: st.DrawFn) -> list[str]:
    chars = draw(st.lists(_STRING_CHARS, max_size=8))
    pieces = draw(st.integers(1, 2))
    out = []
    for i in range(pieces):
        quote = draw(st.sampled_from(['"', "'"]))
        part = chars[i::pieces]
        out.append(quote + "".join(_escape(draw, c, quote) for c in part) + quote)
    return out


def _scalar(draw: st.DrawFn, fd: FieldDescriptor) -> list[str]:
    t = fd.type
    if t in _INT_BOUNDS:
        return [_integer(draw, fd)]
    if t in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return [_float(draw)]
    if t == FD.TYPE_BOOL:
        return [draw(st.sampled_from(["true", "True", "t", "1", "false", "False", "f", "0"]))]
    if t == FD.TYPE_ENUM:
        values = list(fd.enum_type.values)
        value = draw(st.sampled_from(values))
        return [draw(st.sampled_from([value.name, value.name, str(value.number)]))]
    return _string(draw)


def _message(draw: st.DrawFn, descriptor: Descriptor, depth: int) -> list[str]:
    open_, close = draw(st.sampled_from([("{", "}"), ("{", "}"), ("<", ">")]))
    return [open_, *_body(draw, descriptor, depth + 1), close]


def _value(draw: st.DrawFn, fd: FieldDescriptor, depth: int) -> list[str]:
    if fd.type == FD.TYPE_MESSAGE:
        return _message(draw, fd.message_type, depth)
    return _scalar(draw, fd)


def _field(draw: st.DrawFn, fd: FieldDescriptor, depth: int) -> list[str]:
    is_message = fd.type == FD.TYPE_MESSAGE
    if is_repeated(fd) and draw(st.integers(0, 3)) == 0:
        items = [_value(draw, fd, depth) for _ in range(draw(st.integers(0, 3)))]
        tokens = [fd.name, ":", "["]
        for i, item in enumerate(items):
            tokens += ([","] if i else []) + item
        return tokens + ["]"]
    colon = [":"] if not is_message or draw(st.booleans()) else []
    return [fd.name, *colon, *_value(draw, fd, depth)]


def _body(draw: st.DrawFn, descriptor: Descriptor, depth: int) -> list[str]:
    fields = list(descriptor.fields)
    if depth > 4:
        fields = [f for f in fields if f.type != FD.TYPE_MESSAGE]
    chosen = draw(st.lists(st.sampled_from(fields), max_size=4)) if fields else []
    for fd in fields:
        if is_required(fd) and fd not in chosen and draw(st.integers(0, 4)):
            chosen.insert(draw(st.integers(0, len(chosen))), fd)
    tokens: list[str] = []
    for fd in chosen:
        tokens += _field(draw, fd, depth)
        sep = draw(_SEPARATORS)
        if sep:
            tokens.append(sep)
    return tokens


def render(draw: st.DrawFn, tokens: list[str]) -> str:
    out: list[str] = []
    prev = ""
    for tok in tokens:
        if prev:
            gap = draw(LAYOUT)
            if (prev in _PUNCT or tok in _PUNCT) and draw(st.integers(0, 2)) == 0:
                gap = ""
            out.append(gap)
        out.append(tok)
        prev = tok
    head = draw(st.sampled_from(["", "", "# AMCT config\n", "# 配置文件\n\n"]))
    tail = draw(st.sampled_from(["", "\n", "\n", "\r\n", "  \n", "\n# end", " \t"]))
    return head + "".join(out) + tail


@st.composite
def documents(draw: st.DrawFn, dialect: str) -> str:
    """A document of `dialect`, rendered with random layout."""
    top = load().top(dialect)
    return render(draw, _body(draw, top, 0))


# What a mutation may insert: punctuation, quotes, signs, digits, letters, non-ASCII, escapes.
_INSERTS = st.sampled_from(list(":{}<>[],;\"'#\n\r -+.0123456789xefabnt_\\/") + ["é", "中", "\ufeff", "  "])
_TOKEN_SPAN = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[\w.+-]+|\S""")


@st.composite
def mutated(draw: st.DrawFn, dialect: str) -> str:
    """A schema document with one to three character or token edits."""
    text = draw(documents(dialect))
    for _ in range(draw(st.integers(1, 3))):
        spans = [m.span() for m in _TOKEN_SPAN.finditer(text)]
        op = draw(st.sampled_from(["del_char", "ins_char", "rep_char", "del_tok", "dup_tok", "swap_tok"]))
        if op.endswith("_tok") and spans:
            s, e = draw(st.sampled_from(spans))
            if op == "del_tok":
                text = text[:s] + text[e:]
            elif op == "dup_tok":
                text = text[:e] + " " + text[s:e] + text[e:]
            else:
                s2, e2 = draw(st.sampled_from(spans))
                if e <= s2:
                    text = text[:s] + text[s2:e2] + text[e:s2] + text[s:e] + text[e2:]
            continue
        i = draw(st.integers(0, len(text)))
        if op == "ins_char" or not text:
            text = text[:i] + draw(_INSERTS) + text[i:]
        elif op == "del_char":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + draw(_INSERTS) + text[i + 1:]
    return text


