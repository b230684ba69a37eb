"""Reading the files the user named; `-` is standard input."""

from __future__ import annotations

import os
import sys


class InputError(Exception):
    """A file could not be read: a usage problem (exit code 2), not a finding."""


class Source:
    def __init__(self, path: str, text: str) -> None:
        self.path = path  # as shown to the user
        self.text = text


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
    # Undecodable bytes survive as lone surrogates; the checker reports them where they are.
    return Source(display, data.decode("utf-8", errors="surrogateescape"))
