"""Writing a file back: all or nothing, with its permissions kept."""

from __future__ import annotations

import os
import stat
import tempfile


def write_atomic(path: str, text: str) -> None:
    """Replace the file at `path` (through a symlink: its target) with `text`.

    The new content goes to a temporary file in the same folder first and then takes the old
    file's place in one rename, so a crash or a full disk never leaves a half-written config.
    Undecodable bytes that were read as lone surrogates are written back unchanged.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=".amct-lang-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8", "surrogateescape"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
