"""Writing one or many files all or nothing.

Every file is first written in full to a temporary file in its own target folder and synced to
disk; only when all of them are staged do they take their places, one rename each. When anything
fails, every staged file is removed, every file this call created is removed again, and every file
it replaced gets its old content back, so the caller sees either all new files or none.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PathLike = str | os.PathLike[str]

_STAGE_PREFIX = ".amct-lang-"
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is too large for this file system",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "its folder does not exist",
    errno.ENOTDIR: "its folder is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "it already exists",
}


class AtomicWriteError(OSError):
    """A set of files could not be written; none of them was changed.

    `path` is the file at fault (as the caller named it) and `reason` says why, in words fit for
    a user: "it already exists", "it is read-only", "the disk is full", ...
    """

    def __init__(self, path: PathLike, reason: str, code: int | None = None) -> None:
        super().__init__(code or 0, reason, os.fspath(path))
        self.path = os.fspath(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: cannot write: {self.reason}; no file was changed"


@dataclass
class _Target:
    name: str  # as the caller named it, for messages
    real: str  # where the bytes go: a symlink is followed to its target
    data: bytes
    mode: int  # permissions of the new file
    existed: bool
    staged: str | None = None  # the temporary file holding the new content
    backup: str | None = None  # a hard link to the replaced file, kept until all are in place
    placed: bool = False


def write_files_atomically(files: Mapping[str | os.PathLike[str], bytes], *, overwrite: bool = False,
                           protect: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write every `files[path]` to `path`, all or nothing.

    An existing file is replaced only with `overwrite` (its permissions are kept), never when it is
    read-only, and never when it is one of `protect` (the inputs of the run: an output must never
    replace an input, also not through a symlink or a hard link). Raises AtomicWriteError, with no
    file changed, when any file cannot be written.
    """
    targets = _plan(files, overwrite, _identities(protect))
    current = ""
    try:
        for target in targets:
            current = target.name
            _stage(target)
        for target in targets:
            current = target.name
            _place(target)
    except AtomicWriteError:
        _roll_back(targets)
        raise
    except OSError as exc:
        _roll_back(targets)
        raise _error(current, exc) from exc
    except BaseException:
        _roll_back(targets)
        raise
    for target in targets:
        _discard(target.backup)
    for folder in sorted({os.path.dirname(t.real) for t in targets}):
        _sync_folder(folder)


def _identities(paths: Iterable[PathLike]) -> set[object]:
    """What identifies a protected file: its real path, and (when it exists) its inode."""
    found: set[object] = set()
    for path in paths:
        real = os.path.realpath(os.fspath(path))
        found.add(real)
        try:
            info = os.stat(real)
        except OSError:
            continue
        found.add((info.st_dev, info.st_ino))
    return found


def _plan(files: Mapping[str | os.PathLike[str], bytes], overwrite: bool,
          protected: set[object]) -> list[_Target]:
    """Check every target before anything is written; the first problem ends the call."""
    new_mode = 0o666 & ~_umask()
    seen: dict[str, str] = {}
    targets = []
    for path, data in files.items():
        name = os.fspath(path)
        real = os.path.realpath(name)
        if real in seen:
            raise AtomicWriteError(name, f"it is the same file as {seen[real]}")
        seen[real] = name
        if real in protected:
            raise AtomicWriteError(name, "it is an input of this run", errno.EEXIST)
        folder = os.path.dirname(real)
        if not os.path.isdir(folder):
            raise AtomicWriteError(name, f"its folder {os.path.dirname(name) or '.'} does not exist",
                                   errno.ENOENT)
        try:
            info = os.stat(real)
        except FileNotFoundError:
            targets.append(_Target(name, real, bytes(data), new_mode, existed=False))
            continue
        except OSError as exc:
            raise _error(name, exc) from exc
        if stat.S_ISDIR(info.st_mode):
            raise AtomicWriteError(name, "it is a folder", errno.EISDIR)
        if (info.st_dev, info.st_ino) in protected:
            raise AtomicWriteError(name, "it is an input of this run", errno.EEXIST)
        if not overwrite:
            raise AtomicWriteError(name, "it already exists", errno.EEXIST)
        if not stat.S_ISREG(info.st_mode):
            raise AtomicWriteError(name, "it is not a regular file", errno.EINVAL)
        # the mode bits decide, also for root (who may write anything): a 0444 file is read-only
        # on purpose, and replacing another user's file would change its owner
        if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
            raise AtomicWriteError(name, "it is read-only", errno.EACCES)
        targets.append(_Target(name, real, bytes(data), stat.S_IMODE(info.st_mode), existed=True))
    return targets


def _stage(target: _Target) -> None:
    fd, target.staged = tempfile.mkstemp(prefix=_STAGE_PREFIX, suffix=".tmp",
                                         dir=os.path.dirname(target.real))
    with os.fdopen(fd, "wb") as out:
        out.write(target.data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target.staged, target.mode)


def _place(target: _Target) -> None:
    assert target.staged is not None
    if target.existed:
        # keep the old content reachable until every file is in place, to restore it on failure
        target.backup = _hard_link_beside(target.real)
        os.replace(target.staged, target.real)
    else:
        try:
            # a link fails when the name appeared since the check: a file is never clobbered
            os.link(target.staged, target.real)
        except FileExistsError:
            raise AtomicWriteError(target.name, "it already exists (it appeared while writing)",
                                   errno.EEXIST) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if os.path.lexists(target.real):  # a file system without hard links
                raise AtomicWriteError(target.name, "it already exists", errno.EEXIST) from None
            os.replace(target.staged, target.real)
        else:
            os.unlink(target.staged)
    target.staged = None
    target.placed = True


def _hard_link_beside(path: str) -> str | None:
    folder = os.path.dirname(path)
    for attempt in range(100):
        candidate = os.path.join(folder, f"{_STAGE_PREFIX}{os.getpid()}-{attempt}.bak")
        try:
            os.link(path, candidate)
            return candidate
        except FileExistsError:
            continue
        except OSError:
            return None  # no hard links here: a failure later cannot restore this file
    return None


def _roll_back(targets: list[_Target]) -> None:
    for target in reversed(targets):
        _discard(target.staged)
        target.staged = None
        if not target.placed:
            continue
        try:
            if target.existed and target.backup is not None:
                os.replace(target.backup, target.real)
                target.backup = None
            elif not target.existed:
                os.unlink(target.real)
        except OSError:
            pass  # nothing better to do while already failing
        target.placed = False
    for target in targets:
        _discard(target.backup)


def _discard(path: str | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """Make the renames durable; not every platform can open a folder, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _error(name: str, exc: OSError) -> AtomicWriteError:
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    return AtomicWriteError(name, reason, exc.errno)


_UMASK: list[int] = []


def _umask() -> int:
    """The process umask, read once (reading it means setting it, hence the cache)."""
    if not _UMASK:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK.append(current)
    return _UMASK[0]
