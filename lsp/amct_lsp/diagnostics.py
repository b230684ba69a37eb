"""Diagnostics: pushed after edits, or pulled (textDocument/diagnostic) by clients that can.

The same Diagnostic objects as `amct-lang check`: same codes, messages and severities; ranges in
UTF-16, related places as relatedInformation.

When to check: a change to a document that is not being checked is checked at once (the analysis
of a 1k-line file takes milliseconds); changes that arrive while a check runs are coalesced and
checked DEBOUNCE seconds after the last of them. A result for a version that is no longer current
is dropped, never published. With `lint.run: onSave`, documents are checked when opened and saved.

Clients that pull get no pushes (they would show everything twice).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.diagnostics import Diagnostic, Severity
from amct_lang.ide.snapshot import Snapshot

from .convert import positions
from .settings import ON_SAVE

if TYPE_CHECKING:
    from .server import AmctLanguageServer

DEBOUNCE = 0.15
SOURCE = "amct-lang"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def to_lsp(server: AmctLanguageServer, snap: Snapshot, uri: str, d: Diagnostic) -> types.Diagnostic:
    pos = positions(snap)
    related = None
    if d.related and _related_supported(server):
        related = [types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=pos.range(r.start, r.end)), message=r.message)
            for r in d.related]
    return types.Diagnostic(range=pos.range(d.start, d.end), message=d.message,
                            severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
                            code=d.code, source=SOURCE, related_information=related)


def lsp_diagnostics(server: AmctLanguageServer, snap: Snapshot, uri: str) -> list[types.Diagnostic]:
    out = [to_lsp(server, snap, uri, d) for d in snap.diagnostics]
    if snap.model_note and snap.model_range is not None:
        start, end = snap.model_range
        out.insert(0, types.Diagnostic(range=positions(snap).range(start, end), message=snap.model_note,
                                       severity=types.DiagnosticSeverity.Warning, source=SOURCE))
    elif snap.model_note and snap.model_note not in server.notes_shown:
        server.notes_shown.add(snap.model_note)
        server.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Warning, message=f"{SOURCE}: {snap.model_note} (setting amctLang.model)"))
    return out


def _related_supported(server: AmctLanguageServer) -> bool:
    td = server.client_capabilities.text_document
    pd = td.publish_diagnostics if td is not None else None
    return bool(pd is not None and pd.related_information) or server.pull_diagnostics


# -- push ------------------------------------------------------------------------------------------
def request_check(server: AmctLanguageServer, uri: str, *, at_once: bool = False,
                  saved: bool = False) -> None:
    """Check the document now if idle, else coalesce: see the module docstring."""
    st = server.state(uri)
    loop = asyncio.get_running_loop()
    st.last_change = loop.time()
    if saved:
        st.saved = None  # taken by the next check
    if st.running or (st.timer is not None and not at_once):
        st.dirty = True
        if st.timer is not None:
            _arm(server, uri)
        return
    if st.timer is not None:
        st.timer.cancel()
        st.timer = None
    st.running = True
    st.dirty = False
    loop.create_task(_check(server, uri))


def _arm(server: AmctLanguageServer, uri: str) -> None:
    st = server.state(uri)
    loop = asyncio.get_running_loop()
    if st.timer is not None:
        st.timer.cancel()
    delay = max(0.0, st.last_change + DEBOUNCE - loop.time())

    def fire() -> None:
        st.timer = None
        if server.states.get(uri) is st:
            request_check(server, uri, at_once=True)

    st.timer = loop.call_later(delay, fire)


async def _check(server: AmctLanguageServer, uri: str) -> None:
    st = server.state(uri)
    try:
        doc = server.document(uri)
        if doc is None:
            return
        version = doc.version
        snap = await server.snapshot(uri)
        doc = server.document(uri)
        if snap is None or doc is None or doc.version != version or server.states.get(uri) is not st:
            return  # stale: a newer version is on its way
        if st.saved is None:
            st.saved = snap
        if not server.pull_diagnostics and (server.settings.lint_run != ON_SAVE or snap is st.saved):
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, diagnostics=lsp_diagnostics(server, snap, uri), version=version))
    except Exception as exc:  # noqa: BLE001 - one failed check must not stop the next ones
        server.failed(f"checking {uri}", exc)
    finally:
        st.running = False
        if st.dirty and server.states.get(uri) is st:
            st.dirty = False
            _arm(server, uri)


def settings_changed(server: AmctLanguageServer) -> None:
    for uri, st in list(server.states.items()):
        st.saved = None
        if not server.pull_diagnostics:
            request_check(server, uri, at_once=True, saved=True)
    if server.pull_diagnostics:
        ws = server.client_capabilities.workspace
        if ws is not None and ws.diagnostics is not None and ws.diagnostics.refresh_support:
            server.workspace_diagnostic_refresh(None)


# -- pull ------------------------------------------------------------------------------------------
def _result_id(server: AmctLanguageServer, snap: Snapshot) -> str:
    return f"{server.generation}-{hash(snap.text) & 0xFFFFFFFF:08x}"


def register(server: AmctLanguageServer) -> None:
    @server.handle(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        request_check(server, params.text_document.uri, at_once=True, saved=True)

    @server.handle(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        if server.settings.lint_run != ON_SAVE:
            request_check(server, params.text_document.uri)

    @server.handle(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        request_check(server, params.text_document.uri, at_once=True, saved=True)

    @server.handle(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.forget(uri)
        if not server.pull_diagnostics:
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.handle(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
        identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False))
    async def pull(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        snap: Snapshot | None
        st = server.states.get(uri)
        if server.settings.lint_run == ON_SAVE and st is not None and st.saved is not None:
            snap = st.saved
        else:
            snap = await server.snapshot(uri)
            st = server.states.get(uri)
            if st is not None and st.saved is None:
                st.saved = snap
        if snap is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = _result_id(server, snap)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=lsp_diagnostics(server, snap, uri),
                                                         result_id=result_id)
