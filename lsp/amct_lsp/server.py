"""The amct-lang language server: documents, settings, analysis, and the features registered on it.

Thin by design: every feature lives in its own module (diagnostics.py, completion.py, hover.py,
...) that turns the results of amct_lang.ide into LSP types. This module keeps the open documents
and one Snapshot (analysis) per document version, shared by the diagnostics and every request of
that version; big files (and any that needs a model read) are analyzed in a worker thread so
requests stay answered meanwhile. No failure takes the server down: every handler is wrapped so an
exception is logged to the client (window/logMessage) and answered with an error, a failing rule
costs the rules of that check and not the check, and a request whose params cannot even be read
still gets an error response.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from amct_lang.analysis import analyze
from amct_lang.ide.snapshot import Snapshot

from .documents import Document
from .models import ModelChoice, Models
from .settings import Settings, parse_settings

NAME = "amct-lang"
# Texts up to this size are analyzed on the event loop (a 1k-line config is ~30 kB and takes a
# few ms); bigger ones, and any that needs a model read, in the analysis thread.
INLINE_LIMIT = 64_000
logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("amct-lang")
    except Exception:  # noqa: BLE001 - running from a source checkout
        return "0+source"


class AmctProtocol(LanguageServerProtocol):
    """pygls' protocol with two changes: positions are always UTF-16 (what LSP requires by
    default and what every client supports), and a request with unreadable params is answered."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Any:
        general = params.capabilities.general
        if general is not None:
            general.position_encodings = None  # keep the default, UTF-16
        return (yield from super().lsp_initialize(params))

    # Documents are kept by the server (documents.py), not by pygls' workspace.
    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        item = params.text_document
        self._server.docs[item.uri] = Document(item.uri, item.version, item.text)  # type: ignore[attr-defined]
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        doc = self._server.docs.get(params.text_document.uri)  # type: ignore[attr-defined]
        if doc is None:
            self._server.log(types.MessageType.Warning,  # type: ignore[attr-defined]
                             f"{NAME}: change to a document that is not open: {params.text_document.uri}")
            return
        for change in params.content_changes:
            doc.apply(change)
        doc.version = params.text_document.version
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        self._server.docs.pop(params.text_document.uri, None)  # type: ignore[attr-defined]
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str):
                method = data["method"]
                logger.warning("invalid params for %s", method)
                self._send_response(data["id"], error=types.ResponseError(
                    code=JsonRpcInvalidParams.CODE, message=f"invalid params for {method}: {exc}"))
                self._server.log(types.MessageType.Error, f"invalid params for request {method}")  # type: ignore[attr-defined]
                # handle_message ignores a message of an unknown JSON-RPC version
                return JsonRPCNotification(method=method, jsonrpc="answered", params=None)
            raise


class DocState:
    """What the server keeps per open document beside its text: the current snapshot and the
    state of its diagnostics (see diagnostics.py)."""

    __slots__ = ("uri", "key", "text", "future", "saved", "timer", "running", "dirty", "last_change")

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.key: tuple[Any, ...] | None = None
        self.text: str | None = None
        self.future: asyncio.Future[Snapshot] | None = None
        self.saved: Snapshot | None = None  # at the last open/save (lint.run onSave)
        self.timer: asyncio.TimerHandle | None = None
        self.running = False
        self.dirty = False
        self.last_change = 0.0


class AmctLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(NAME, _version(), protocol_cls=AmctProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.generation = 0  # bumped when settings change: every snapshot is stale
        self.states: dict[str, DocState] = {}
        self.docs: dict[str, Document] = {}  # open documents by URI
        self.models = Models()
        # One thread: analyses run one at a time, off the event loop.
        self.analyzer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amct-analysis")
        self.failures = 0
        self.pull_diagnostics = False  # the client pulls (textDocument/diagnostic): no pushes
        self.notes_shown: set[str] = set()  # model problems already shown as messages
        self.loop: asyncio.AbstractEventLoop | None = None  # the event loop, once running

    # -- logging -------------------------------------------------------------------------------
    def log(self, level: types.MessageType, message: str) -> None:
        """window/logMessage; from the analysis thread it is handed to the event loop, so two
        threads never write to stdout at once."""
        if threading.current_thread() is not threading.main_thread() and self.loop is not None:
            self.loop.call_soon_threadsafe(self.log, level, message)
            return
        try:
            self.window_log_message(types.LogMessageParams(type=level, message=message))
        except Exception:  # noqa: BLE001 - logging must never be what fails
            logger.exception("cannot send a log message")

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls calls this for failures outside request handlers: log, don't pop up."""
        self.log(types.MessageType.Error, f"{NAME}: internal error ({source.__name__}): {error}")

    def failed(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        logger.error("%s failed:\n%s", what, detail)
        self.log(types.MessageType.Error, f"{NAME}: {what} failed: {type(exc).__name__}: {exc}\n{detail}")

    def guard(self, what: str) -> Callable[[F], F]:
        """Wrap a handler: an exception is logged and re-raised, so pygls answers a request with
        an error; for a notification there is nobody to answer, the log is all."""

        def wrap(fn: F) -> F:
            if inspect.iscoroutinefunction(fn):
                @functools.wraps(fn)
                async def run_async(*args: Any) -> Any:
                    try:
                        return await fn(*args)
                    except (asyncio.CancelledError, JsonRpcException):
                        raise
                    except Exception as exc:
                        self.failed(what, exc)
                        raise
                return run_async  # type: ignore[return-value]

            @functools.wraps(fn)
            def run(*args: Any) -> Any:
                try:
                    return fn(*args)
                except JsonRpcException:
                    raise
                except Exception as exc:
                    self.failed(what, exc)
                    raise
            return run  # type: ignore[return-value]

        return wrap

    def handle(self, method: str, options: Any = None) -> Callable[[F], F]:
        """Register a feature handler, guarded."""

        def register(fn: F) -> F:
            self.feature(method, options)(self.guard(method)(fn))
            return fn

        return register

    # -- documents -----------------------------------------------------------------------------
    def document(self, uri: str) -> Document | None:
        """The open document, or None (requests about documents that are not open get nothing)."""
        return self.docs.get(uri)

    def state(self, uri: str) -> DocState:
        st = self.states.get(uri)
        if st is None:
            st = self.states[uri] = DocState(uri)
        return st

    def forget(self, uri: str) -> None:
        st = self.states.pop(uri, None)
        if st is not None and st.timer is not None:
            st.timer.cancel()

    def root_path(self) -> Path | None:
        try:
            root = self.workspace.root_path
        except Exception:  # noqa: BLE001 - no workspace before initialize
            return None
        return Path(root) if root else None

    async def snapshot(self, uri: str) -> Snapshot | None:
        """The analysis of the document's current text (shared by every request and by the
        diagnostics of that version)."""
        doc = self.document(uri)
        if doc is None:
            return None
        self.loop = asyncio.get_running_loop()
        st = self.state(uri)
        text = doc.text
        key = (doc.version, self.generation)
        if st.future is not None and st.key is not None and st.key != key and st.text == text \
                and key[1] == st.key[1]:
            st.key = key  # a new version with the same text (undo, a no-op edit): same analysis
        if st.future is None or st.key != key or st.text != text or \
                (st.future.done() and st.future.exception() is not None):
            fs_path = to_fs_path(uri) if uri.startswith("file:") else None
            path = Path(fs_path) if fs_path else None
            loop = asyncio.get_running_loop()
            st.key, st.text = key, text
            if len(text) <= INLINE_LIMIT and not self.settings.model and "amct-model" not in text:
                # a few milliseconds: cheaper here than a round trip through the thread
                st.future = loop.create_future()
                st.future.set_result(self.build(text, path, self.settings))
            else:
                st.future = loop.run_in_executor(self.analyzer, self.build, text, path, self.settings)
        return await asyncio.shield(st.future)

    def build(self, text: str, path: Path | None, settings: Settings) -> Snapshot:
        """Runs in the analysis thread. Never raises: a failing rule costs the rules, not the file."""
        try:
            choice = self.models.for_document(text, path, settings.model, self.root_path())
        except Exception as exc:  # noqa: BLE001 - a broken model must not stop the checks
            self.failed("reading the model", exc)
            choice = ModelChoice(None, f"model not loaded: {type(exc).__name__}: {exc}")
        dialect = settings.dialect or None
        try:
            analysis = analyze(text, dialect, model=choice.model)
        except Exception as exc:  # noqa: BLE001 - a bug in one rule: keep syntax and schema checks
            self.failed("checking the document", exc)
            analysis = analyze(text, dialect, lint=False)
        return Snapshot(analysis, choice.model, choice.note, choice.header)

    def apply_settings(self, raw: Any) -> bool:
        """Take new settings; True when they changed."""
        settings, problems = parse_settings(raw, self.settings)
        for problem in problems:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning,
                                                             message=f"{NAME}: {problem}"))
        if settings == self.settings:
            return False
        self.settings = settings
        self.generation += 1
        return True


def create_server() -> AmctLanguageServer:
    server = AmctLanguageServer()
    from . import (
        code_actions,
        completion,
        configuration,
        diagnostics,
        folding,
        formatting,
        hover,
        semantic_tokens,
        symbols,
    )

    for module in (configuration, diagnostics, completion, hover, code_actions, formatting, symbols, folding,
                   semantic_tokens):
        module.register(server)
    return server


def run_stdio() -> None:
    server = create_server()
    try:
        asyncio.run(_serve_pipes(server))
    except _NotAPipe:
        server.start_io()  # stdin is a file or a terminal: pygls' thread-based reader
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


class _NotAPipe(Exception):
    pass


async def _serve_pipes(server: AmctLanguageServer) -> None:
    """pygls' stdio loop on asyncio streams: its own reader hands every line to a thread and
    back, which costs more than checking a small file."""
    import os
    import stat
    import sys

    from pygls.io_ import StdoutWriter, run_async

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError) as exc:
        raise _NotAPipe from exc
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        raise _NotAPipe  # a file, /dev/null or a terminal: the event loop cannot watch it
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    except (ValueError, OSError) as exc:
        raise _NotAPipe from exc
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    await run_async(stop_event=stop, reader=reader, protocol=server.protocol, logger=logger,
                    error_handler=server.report_server_error)
