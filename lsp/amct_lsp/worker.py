"""Analyses off the event loop: one thread per analysis, stoppable.

The event loop must stay free to answer (a hover on a small file while a big or pathological one
is checked); so every analysis runs in a thread of its own, and its result comes back as an
asyncio future. A thread cannot be killed, but it can be interrupted: `Job.stop` raises `Stopped`
inside it (CPython's PyThreadState_SetAsyncExc), at the next bytecode. That is safe here because
what runs is the pure core (no files written, no locks held across calls) and the job's thread
ends right after, so the exception can never land in other work. Where the interpreter has no
such call, a stopped job just runs to its end and its result is ignored.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

try:
    _set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    _set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
    _set_async_exc.restype = ctypes.c_int
except (AttributeError, TypeError):  # not CPython
    _set_async_exc = None  # type: ignore[assignment]


class Stopped(BaseException):
    """Raised inside a job's thread to stop it (a BaseException: the core's `except Exception`
    guards must not swallow it)."""


class JobStopped(Exception):
    """What a stopped job's future holds."""


class Job(Generic[T]):
    """`fn()` running in its own thread; `future` (of the loop that started it) gets its result.
    Create, stop and await it on the loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fn: Callable[[], T], name: str) -> None:
        self.future: asyncio.Future[T] = loop.create_future()
        self.started = time.monotonic()
        self._loop = loop
        self._fn = fn
        self._ident: int | None = None  # the thread, while `fn` runs
        threading.Thread(target=self._run, name=name, daemon=True).start()

    @property
    def running(self) -> bool:
        return not self.future.done()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def stop(self) -> bool:
        """Interrupt the job: its future gets JobStopped at once, its thread `Stopped` at its next
        bytecode. False when it had already finished. No lock: the future is settled here, on
        the loop's thread, so whatever the thread does afterwards is ignored."""
        if self.future.done():
            return False
        ident = self._ident
        if ident is not None and _set_async_exc is not None:
            _set_async_exc(ident, Stopped)
        self.future.set_exception(JobStopped())
        return True

    def _run(self) -> None:
        try:
            self._ident = threading.get_ident()
            try:
                result = self._fn()
            except Stopped:
                return
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the job
                self._ident = None
                self._deliver(None, exc)
            else:
                self._ident = None
                self._deliver(result, None)
        except Stopped:  # arrived just after `fn` returned: the future is settled already
            pass

    def _deliver(self, result: T | None, error: BaseException | None) -> None:
        def settle() -> None:
            if self.future.done():
                return
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)  # type: ignore[arg-type]

        try:
            self._loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the loop is closed: the server is going away
            pass
