"""C-style string unescaping with exactly the results of protobuf's text_format, in linear time.

Python protobuf's `text_encoding.CUnescape` (what text_format, and so AMCT, uses) first gives
every single-digit hex escape (`\\xf`) its missing zero, with a regular expression that starts a
match at every backslash of a run and re-reads the rest of the run each time: quadratic in the
length of a run of backslashes (40,000 of them: about 10 s). Here only the first backslash of a
run may start a match (a look-behind), and the run is read once (a possessive repeat); a match
starting later in the run could not succeed anyway, since it would be followed by the same
characters. The remaining steps are the same codec round trips as CUnescape's, each linear, so
the bytes, and the exceptions for bad escapes, are CUnescape's own.
"""

from __future__ import annotations

import re

# a run of backslashes (from its first one) before 'x' and exactly one hex digit
_SHORT_HEX = re.compile(r"(?<!\\)(\\++)x([0-9a-fA-F])(?![0-9a-fA-F])")


def _pad(m: re.Match[str]) -> str:
    # an odd run: the last backslash escapes the 'x'; an even run is backslashes, then text 'x'
    if len(m.group(1)) & 1:
        return m.group(1) + "x0" + m.group(2)
    return m.group(0)


def c_unescape(text: str) -> bytes:
    """The bytes of the body of a text-format string literal, as CUnescape gives them.

    Raises what CUnescape raises on a bad escape (UnicodeDecodeError for `\\x4` at the end,
    a truncated `\\u`, a trailing backslash; UnicodeEncodeError for a code point above 255
    written with an octal or `\\u` escape), so callers report the same mistakes."""
    if "\\" not in text:
        return text.encode("utf-8")
    result = _SHORT_HEX.sub(_pad, text)
    result = result.encode("raw_unicode_escape").decode("raw_unicode_escape")
    result = result.encode("utf-8").decode("unicode_escape")
    return result.encode("latin-1")
