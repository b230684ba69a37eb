"""Reading the files the user named; `-` is standard input."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


class InputError(Exception):
    """A file could not be read: a usage problem (exit code 2), not a finding."""


@dataclass
class Source:
    path: str  # as shown to the user
    text: str


def read_source(name: str) -> Source:
    if name == "-":
        data = sys.stdin.buffer.read()
        display = "<stdin>"
    else:
        path = Path(name)
        if path.is_dir():
            raise InputError(f"{name}: is a directory; name the .cfg files to check")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{name}: no such file") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
        display = name
    # Undecodable bytes survive as lone surrogates; the checker reports them where they are.
    return Source(display, data.decode("utf-8", errors="surrogateescape"))
