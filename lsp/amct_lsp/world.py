"""The server's state in one place: open documents, settings, models, and one analysis
(Snapshot) per document version. Every LSP handler is a function of this World and its params.

Analyses run off the event loop (worker.py), one thread each, so the loop keeps answering about
every other document meanwhile. A newer text supersedes the analysis of an older one: a result
for text that is no longer current is never used, and an analysis that has already run for a
while is stopped. Requests wait for their document's analysis at most REQUEST_BUDGET seconds
(then answer with nothing); an analysis that runs ANALYSIS_BUDGET seconds is stopped and the file
gets one notice instead of diagnostics.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from .documents import Document
from .models import ModelChoice, Models
from .settings import Settings, parse_settings
from .worker import Job, JobStopped

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from amct_lang.ide.snapshot import Snapshot

NAME = "amct-lang"
T = TypeVar("T")
REQUEST_BUDGET = 1.5  # seconds a request waits for its document's analysis
ANALYSIS_BUDGET = 20.0  # seconds an analysis may run before it is stopped
SUPERSEDE_AFTER = 0.25  # an outdated analysis running longer than this is stopped, not waited out
logger = logging.getLogger(__name__)


class Analysis:
    """One analysis of one text of a document (pending, running or done)."""

    __slots__ = ("key", "text", "job", "over_budget", "timer")

    def __init__(self, key: tuple[int, int], text: str, job: Job[Snapshot]) -> None:
        self.key = key  # (document version, settings generation)
        self.text = text
        self.job = job
        self.over_budget = False
        self.timer: asyncio.TimerHandle | None = None


class DocState:
    """What the server keeps per open document beside its text: its current analysis and the
    state of its diagnostics (see diagnostics.py)."""

    __slots__ = ("uri", "analysis", "saved", "timer", "running", "dirty", "last_change", "published")

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.analysis: Analysis | None = None
        self.saved: Snapshot | None = None  # at the last open/save (lint.run onSave)
        self.timer: asyncio.TimerHandle | None = None
        self.running = False
        self.dirty = False
        self.last_change = 0.0
        self.published: int | None = None  # the version whose diagnostics were last sent


class World:
    def __init__(self, server: LanguageServer) -> None:
        self.server = server  # for what goes to the client: publishes, logs, messages
        self.settings = Settings()
        self.generation = 0  # bumped when settings change: every snapshot is stale
        self.docs: dict[str, Document] = {}  # open documents by URI
        self.states: dict[str, DocState] = {}
        self.models = Models()
        self.failures = 0
        self.pull_diagnostics = False  # the client pulls (textDocument/diagnostic): no pushes
        self.notes_shown: set[str] = set()  # model problems already shown as messages
        self.tasks: set[asyncio.Task[Any]] = set()  # running background tasks, kept referenced
        self.loop: asyncio.AbstractEventLoop | None = None
        self.warming: Job[None] | None = None

    # -- the client ----------------------------------------------------------------------------
    @property
    def capabilities(self) -> types.ClientCapabilities:
        return self.server.client_capabilities

    def markdown(self, formats: Sequence[types.MarkupKind] | None) -> bool:
        return types.MarkupKind.Markdown in (formats or [])

    def log(self, level: types.MessageType, message: str) -> None:
        """window/logMessage; from an analysis thread it is handed to the event loop, so two
        threads never write to stdout at once."""
        if threading.current_thread() is not threading.main_thread() and self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self.log, level, message)
            except RuntimeError:  # the loop is closed
                pass
            return
        try:
            self.server.window_log_message(types.LogMessageParams(type=level, message=message))
        except Exception:  # noqa: BLE001 - logging must never be what fails
            logger.exception("cannot send a log message")

    def show(self, level: types.MessageType, message: str) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=level, message=f"{NAME}: {message}"))

    def failed(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        logger.error("%s failed:\n%s", what, detail)
        self.log(types.MessageType.Error, f"{NAME}: {what} failed: {type(exc).__name__}: {exc}\n{detail}")

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """A background task, referenced until it ends (an unreferenced task can be collected)."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def warm_up(self) -> None:
        """Import the checker and the features and analyze a tiny text, in a thread: the first
        document then finds everything loaded and every cache built."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()

        def load() -> None:
            import importlib

            for module in ("diagnostics", "completion", "hover", "code_actions", "symbols", "folding",
                           "semantic_tokens", "formatting"):
                importlib.import_module(f"{__package__}.{module}")
            self.build("common_config {\n}\n", None, Settings(), None)

        self.warming = Job(self.loop, load, "amct-warm-up")

    # -- documents -----------------------------------------------------------------------------
    def document(self, uri: str) -> Document | None:
        """The open document, or None (requests about documents that are not open get nothing)."""
        return self.docs.get(uri)

    def open(self, uri: str, version: int, text: str) -> None:
        self.docs[uri] = Document(uri, version, text)

    def close(self, uri: str) -> None:
        self.docs.pop(uri, None)
        st = self.states.pop(uri, None)
        if st is None:
            return
        if st.timer is not None:
            st.timer.cancel()
        if st.analysis is not None:
            self._drop(st.analysis)

    def state(self, uri: str) -> DocState:
        st = self.states.get(uri)
        if st is None:
            st = self.states[uri] = DocState(uri)
        return st

    def root_path(self) -> Path | None:
        try:
            root = self.server.workspace.root_path
        except Exception:  # noqa: BLE001 - no workspace before initialize
            return None
        return Path(root) if root else None

    # -- analyses ------------------------------------------------------------------------------
    async def snapshot(self, uri: str, budget: float | None = REQUEST_BUDGET) -> Snapshot | None:
        """The analysis of the document's current text (shared by every request and by the
        diagnostics of that version). None when the document is not open, when its analysis
        takes longer than `budget` seconds (None: no limit), or was stopped."""
        loop = asyncio.get_running_loop()
        self.loop = loop
        deadline = None if budget is None else loop.time() + budget
        while True:
            doc = self.document(uri)
            if doc is None:
                return None
            entry = self._analysis_of(uri, doc)
            if entry.over_budget:
                return None
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                return await asyncio.wait_for(asyncio.shield(entry.job.future), remaining)
            except asyncio.TimeoutError:
                return None
            except JobStopped:
                st = self.states.get(uri)
                if st is None or st.analysis is entry:
                    return None  # stopped for good (over budget, closed)
                # superseded by a newer text: answer from that one

    def _analysis_of(self, uri: str, doc: Document) -> Analysis:
        st = self.state(uri)
        key = (doc.version, self.generation)
        entry = st.analysis
        if entry is not None and entry.text == doc.text and entry.key[1] == key[1]:
            entry.key = key  # a new version with the same text (undo, a no-op edit): same analysis
            return entry
        if entry is not None:
            self._drop(entry)
        entry = st.analysis = self._start(uri, doc.text, key)
        return entry

    def _start(self, uri: str, text: str, key: tuple[int, int]) -> Analysis:
        from pygls.uris import to_fs_path

        loop = asyncio.get_running_loop()
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        path = Path(fs_path) if fs_path else None
        settings, root = self.settings, self.root_path()
        job = Job(loop, lambda: self.build(text, path, settings, root), "amct-analysis")
        entry = Analysis(key, text, job)
        entry.timer = loop.call_later(ANALYSIS_BUDGET, self._over_budget, entry)
        job.future.add_done_callback(lambda _: entry.timer.cancel() if entry.timer is not None else None)
        return entry

    def _drop(self, entry: Analysis) -> None:
        """An analysis nobody will use: stop it if it has run long enough to matter."""
        if entry.timer is not None:
            entry.timer.cancel()
        if entry.job.running and entry.job.elapsed() >= SUPERSEDE_AFTER:
            entry.job.stop()

    def _over_budget(self, entry: Analysis) -> None:
        if entry.job.stop():
            entry.over_budget = True
            self.log(types.MessageType.Warning,
                     f"{NAME}: stopped checking a {len(entry.text):,}-character document after "
                     f"{ANALYSIS_BUDGET:.0f} s")

    def build(self, text: str, path: Path | None, settings: Settings, root: Path | None) -> Snapshot:
        """Runs in an analysis thread. Never raises: a failing rule costs the rules, not the file."""
        from amct_lang.analysis import analyze
        from amct_lang.ide.snapshot import Snapshot

        try:
            choice = self.models.for_document(text, path, settings.model, root)
        except Exception as exc:  # noqa: BLE001 - a broken model must not stop the checks
            self.failed("reading the model", exc)
            choice = ModelChoice(None, f"model not loaded: {type(exc).__name__}: {exc}")
        dialect = settings.dialect or None
        try:
            analysis = analyze(text, dialect, model=choice.model)
        except Exception as exc:  # noqa: BLE001 - a bug in one rule: keep syntax and schema checks
            self.failed("checking the document", exc)
            analysis = analyze(text, dialect, lint=False)
        snap = Snapshot(analysis, choice.model, choice.note, choice.header)
        snap.requested_dialect = dialect
        return snap

    async def off_loop(self, fn: Callable[[], T], budget: float = REQUEST_BUDGET) -> T | None:
        """`fn()` in a thread of its own, for features that analyze again (completion tries its
        items, fix-all re-checks in rounds): None, and the thread stopped, past `budget` seconds."""
        job = Job(asyncio.get_running_loop(), fn, "amct-feature")
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), budget)
        except (asyncio.TimeoutError, JobStopped):
            job.stop()
            return None
        except asyncio.CancelledError:  # the client cancelled the request
            job.stop()
            raise

    # -- settings ------------------------------------------------------------------------------
    def apply_settings(self, raw: Any) -> bool:
        """Take new settings; True when they changed."""
        settings, problems = parse_settings(raw, self.settings)
        for problem in problems:
            self.show(types.MessageType.Warning, problem)
        if settings == self.settings:
            return False
        self.settings = settings
        self.generation += 1
        return True
