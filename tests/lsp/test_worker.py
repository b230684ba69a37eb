"""Analyses in stoppable threads (lsp/amct_lsp/worker.py): a result arrives on the loop, a
failure too, and a stopped job's thread really ends (it does not run on in the background)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from amct_lsp.worker import Job, JobStopped


def _spin(stop_after: float, seen: list[str]) -> int:
    deadline = time.monotonic() + stop_after
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
    finally:
        seen.append(threading.current_thread().name)
    return n


def test_result_failure_and_stop() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert await Job(loop, lambda: 6 * 7, "t-result").future == 42
        with pytest.raises(ZeroDivisionError):
            await Job(loop, lambda: 1 // 0, "t-failure").future

        seen: list[str] = []
        job = Job(loop, lambda: _spin(30.0, seen), "t-stopped")
        await asyncio.sleep(0.2)
        started = time.monotonic()
        assert job.stop()
        with pytest.raises(JobStopped):
            await job.future
        while not seen and time.monotonic() - started < 5:
            await asyncio.sleep(0.01)
        assert seen == ["t-stopped"], "the thread was still running 5 s after stop()"
        assert not job.stop()  # once is enough

    asyncio.run(main())
