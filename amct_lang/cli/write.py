"""Writing a config back in place: all or nothing, with its permissions kept."""

from __future__ import annotations

from ..atomic import write_files_atomically


def write_atomic(path: str, text: str) -> None:
    """Replace the file at `path` (through a symlink: its target) with `text`.

    Raises AtomicWriteError (an OSError) with the file unchanged when it cannot be replaced,
    also when it is read-only. Undecodable bytes that were read as lone surrogates are written
    back unchanged.
    """
    write_files_atomically({path: text.encode("utf-8", "surrogateescape")}, overwrite=True)
