"""Reading the files the user named; `-` is standard input.

A config is UTF-8 text. A file that is plainly something else (a binary, or text saved as UTF-16
or UTF-32) gets one message saying what it is and how to save it, instead of a flood of syntax
errors about its bytes.
"""

from __future__ import annotations

import codecs
import os
import sys


class InputError(Exception):
    """A file could not be read: a usage problem (exit code 2), not a finding."""


class Source:
    def __init__(self, path: str, text: str) -> None:
        self.path = path  # as shown to the user
        self.text = text


_SAVE_AS_UTF8 = ("save it as UTF-8 (in an editor: 'Save with Encoding' > UTF-8; in a shell: "
                 "iconv -f {codec} -t UTF-8 {name} > {name}.utf8)")
_BOMS = (  # the longer marks first: a UTF-32-LE mark starts like the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "UTF-32", "little-endian"),
    (codecs.BOM_UTF32_BE, "UTF-32", "big-endian"),
    (codecs.BOM_UTF16_LE, "UTF-16", "little-endian"),
    (codecs.BOM_UTF16_BE, "UTF-16", "big-endian"),
)
_SAMPLE = 8192  # bytes looked at to tell text from the rest
# bytes that do not occur in text: NUL and the C0 controls other than \t \n \v \f \r and ESC
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b")


def read_source(name: str) -> Source:
    if name == "-":
        data = sys.stdin.buffer.read()
        display = "<stdin>"
    else:
        if os.path.isdir(name):
            raise InputError(f"{name}: is a directory; name the .cfg files to check")
        try:
            with open(name, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise InputError(f"{name}: no such file") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
        display = name
    problem = not_a_utf8_config(data, "FILE" if name == "-" else name)
    if problem:
        raise InputError(f"{display}: {problem}")
    # Undecodable bytes survive as lone surrogates; the checker reports them where they are.
    return Source(display, data.decode("utf-8", errors="surrogateescape"))


def not_a_utf8_config(data: bytes, name: str = "FILE") -> str | None:
    """Why `data` is not a text config to check at all (None: it is text, maybe with mistakes)."""
    for bom, codec, order in _BOMS:
        if data.startswith(bom):
            return (f"is text in {codec} ({order}, with a byte-order mark), but configs are read as UTF-8; "
                    + _SAVE_AS_UTF8.format(codec=codec, name=name))
    sample = data[:_SAMPLE]
    if b"\x00" not in sample:
        return None
    utf16 = _utf16_without_bom(sample)
    if utf16 is not None:
        return (f"is text in {utf16} without a byte-order mark, but configs are read as UTF-8; "
                + _SAVE_AS_UTF8.format(codec=utf16, name=name))
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    # one byte in twenty a control byte (and more than a stray few): not a text file
    if controls >= 8 and controls * 20 >= len(sample):
        return "is a binary file, not a text config; name a .cfg file saved as UTF-8 text"
    return None  # a text file with a stray NUL: the checker points at it


def _utf16_without_bom(sample: bytes) -> str | None:
    """'UTF-16LE' / 'UTF-16BE' when the NUL bytes sit at every other place, as in UTF-16 text
    that is mostly ASCII."""
    even, odd = sample[0::2], sample[1::2]
    pairs = len(odd)
    if pairs < 2:
        return None
    for zeros, other, codec in ((odd, even, "UTF-16LE"), (even, odd, "UTF-16BE")):
        if zeros.count(0) * 10 >= pairs * 7 and other.count(0) * 10 <= pairs:
            try:
                sample[: pairs * 2].decode(codec.lower().replace("utf-16", "utf-16-"))
            except UnicodeDecodeError:
                continue
            return codec
    return None
