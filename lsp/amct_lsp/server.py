"""The amct-lang language server: pygls' transport, and the table of what answers which method.

The state lives in one World (world.py): documents, settings, models, analyses. Every feature is
a plain function `handler(world, params)` in its own module (diagnostics.py, completion.py,
hover.py, ...) that turns amct_lang.ide results into LSP types; FEATURES below registers them.
A feature module is imported on its first use, so `initialize` is answered before the checker
is even loaded (it is loaded in the background right after).

No failure takes the server down or reaches the user as an "internal error": a handler that
raises is logged (window/logMessage, with the traceback on stderr) and its request answered with
an empty result; a request whose params cannot be read gets an "invalid params" error; an
unknown method gets "method not found" and no log.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcMethodNotFound,
    JsonRpcRequestCancelled,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method

from amct_lang.ide.semantic_tokens import TOKEN_TYPES

from .world import NAME, World

logger = logging.getLogger(__name__)
COMPLETION_TRIGGERS = [":", "#", '"', "'"]
FIX_ALL_KIND = "source.fixAll.amct-lang"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("amct-lang")
    except Exception:  # noqa: BLE001 - running from a source checkout
        return "0+source"


# method, module, function, options (None: no options), answer when the handler fails
FEATURES: list[tuple[str, str, str, Any, Any]] = [
    (types.INITIALIZE, "configuration", "initialize", None, None),
    (types.INITIALIZED, "configuration", "initialized", None, None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, "configuration", "did_change_configuration", None, None),
    (types.TEXT_DOCUMENT_DID_OPEN, "diagnostics", "did_open", None, None),
    (types.TEXT_DOCUMENT_DID_CHANGE, "diagnostics", "did_change", None, None),
    (types.TEXT_DOCUMENT_DID_SAVE, "diagnostics", "did_save", None, None),
    (types.TEXT_DOCUMENT_DID_CLOSE, "diagnostics", "did_close", None, None),
    (types.TEXT_DOCUMENT_DIAGNOSTIC, "diagnostics", "pull",
     types.DiagnosticOptions(identifier=NAME, inter_file_dependencies=False, workspace_diagnostics=False),
     types.RelatedFullDocumentDiagnosticReport(items=[])),
    (types.TEXT_DOCUMENT_COMPLETION, "completion", "completion",
     types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS), None),
    (types.TEXT_DOCUMENT_HOVER, "hover", "hover", None, None),
    (types.TEXT_DOCUMENT_CODE_ACTION, "code_actions", "code_action",
     types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]), None),
    (types.TEXT_DOCUMENT_FORMATTING, "formatting", "formatting", None, None),
    (types.TEXT_DOCUMENT_RANGE_FORMATTING, "formatting", "range_formatting", None, None),
    (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, "symbols", "document_symbol", None, None),
    (types.TEXT_DOCUMENT_FOLDING_RANGE, "folding", "folding_range", None, None),
    (types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, "semantic_tokens", "semantic_tokens_full",
     types.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=[]), None),
]
_NOTIFICATIONS = frozenset((types.INITIALIZED, types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                            types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE,
                            types.TEXT_DOCUMENT_DID_SAVE, types.TEXT_DOCUMENT_DID_CLOSE))


class AmctProtocol(LanguageServerProtocol):
    """pygls' protocol with these changes: positions are always UTF-16 (what LSP requires by
    default and what every client supports); open documents are kept by the World (documents.py);
    a request with unreadable params is answered; a late cancel is not worth a warning."""

    @property
    def world(self) -> World:
        return self._server.world  # type: ignore[attr-defined, no-any-return]

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Any:
        general = params.capabilities.general
        if general is not None:
            general.position_encodings = None  # keep the default, UTF-16
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        item = params.text_document
        self.world.open(item.uri, item.version, item.text)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        doc = self.world.document(params.text_document.uri)
        if doc is None:
            self.world.log(types.MessageType.Warning,
                           f"{NAME}: change to a document that is not open: {params.text_document.uri}")
            return
        for change in params.content_changes:
            doc.apply(change)
        doc.version = params.text_document.version
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None
        else:
            self.world.close(params.text_document.uri)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        # a cancel that crosses the answer on the wire is normal, not a warning
        future = self._request_futures.pop(msg_id, None)
        if future is not None:
            future.cancel()

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str):
                method = data["method"]
                logger.warning("invalid params for %s", method)
                self._send_response(data["id"], error=types.ResponseError(
                    code=JsonRpcInvalidParams.CODE, message=f"invalid params for {method}: {exc}"))
                self.world.log(types.MessageType.Error, f"{NAME}: invalid params for request {method}")
                # handle_message ignores a message of an unknown JSON-RPC version
                return JsonRPCNotification(method=method, jsonrpc="answered", params=None)
            raise


class AmctLanguageServer(LanguageServer):
    def __init__(self) -> None:
        self.world = World(self)  # first: the protocol reads it while pygls sets it up
        super().__init__(NAME, _version(), protocol_cls=AmctProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls calls this for failures outside our handlers: an unknown method or a cancelled
        request is the client's business; anything else is logged, not popped up."""
        if isinstance(error, (JsonRpcMethodNotFound, JsonRpcRequestCancelled)):
            return
        self.world.log(types.MessageType.Error,
                       f"{NAME}: error in the protocol layer ({source.__name__}): {error}")


def _lazy(module: str, function: str) -> Callable[..., Any]:
    """`module.function`, imported on its first call."""
    target: list[Callable[..., Any]] = []

    def call(world: World, params: Any) -> Any:
        if not target:
            target.append(getattr(importlib.import_module(f"{__package__}.{module}"), function))
        return target[0](world, params)

    return call


def add_feature(server: AmctLanguageServer, method: str, fn: Callable[[World, Any], Any], options: Any = None,
                fallback: Any = None) -> None:
    """Register `fn(world, params)` for `method`; a failure is logged and answered with `fallback`."""
    world = server.world
    if method in _NOTIFICATIONS or method == types.INITIALIZE or method.startswith("workspace/didChange"):
        def notification(params: Any) -> Any:
            try:
                return fn(world, params)
            except JsonRpcException:
                raise
            except Exception as exc:  # noqa: BLE001 - nobody to answer: the log is all
                world.failed(method, exc)
                return fallback
        server.feature(method, options)(notification)
        return

    async def request(params: Any) -> Any:
        try:
            result = fn(world, params)
            if asyncio.iscoroutine(result):
                result = await result
            return result
        except (asyncio.CancelledError, JsonRpcException):
            raise
        except Exception as exc:  # noqa: BLE001 - logged; the client gets an empty answer
            world.failed(method, exc)
            return fallback
    server.feature(method, options)(request)


def create_server() -> AmctLanguageServer:
    server = AmctLanguageServer()
    for method, module, function, options, fallback in FEATURES:
        add_feature(server, method, _lazy(module, function), options, fallback)
    return server


def run_stdio() -> None:
    _quiet_logging()
    server = create_server()
    try:
        asyncio.run(_serve_pipes(server))
    except _NotAPipe:
        server.start_io()  # stdin is a file or a terminal: pygls' thread-based reader
    except (KeyboardInterrupt, SystemExit, BrokenPipeError, ConnectionResetError):
        pass
    finally:
        try:
            server.shutdown()
        except Exception:  # noqa: BLE001 - going away: nothing left to tell
            pass


class _OneLine(logging.Formatter):
    """Log records as one line each: a client restart (closed pipes) is not worth a traceback."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return ""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.msg} ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            record.exc_info = None
            record.exc_text = None
        return super().format(record)


def _quiet_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("amct-lang lsp: %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("pygls").setLevel(logging.ERROR)  # its warnings are about the client's timing


class _NotAPipe(Exception):
    pass


async def _serve_pipes(server: AmctLanguageServer) -> None:
    """pygls' stdio loop on asyncio streams: its own reader hands every line to a thread and
    back, which costs more than checking a small file."""
    import os
    import stat

    from pygls.io_ import StdoutWriter, run_async

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError) as exc:
        raise _NotAPipe from exc
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        raise _NotAPipe  # a file, /dev/null or a terminal: the event loop cannot watch it
    loop = asyncio.get_running_loop()
    server.world.loop = loop
    reader = asyncio.StreamReader(limit=1 << 20)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    except (ValueError, OSError) as exc:
        raise _NotAPipe from exc
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    await run_async(stop_event=stop, reader=reader, protocol=server.protocol, logger=logger,
                    error_handler=server.report_server_error)
