"""Diagnostics: pushed after edits, or pulled (textDocument/diagnostic) by clients that can.

The same Diagnostic objects as `amct-lang check`: same codes, messages and severities; ranges in
UTF-16, related places as relatedInformation.

When to check: a change to a document that is not being checked is checked at once (the analysis
of a 1k-line file takes milliseconds); changes that arrive while a check runs are coalesced and
checked DEBOUNCE seconds after the last of them. A result for a version that is no longer current
is dropped, never published (checked right before sending). An analysis stopped for taking too
long gets one information diagnostic saying so. With `lint.run: onSave`, documents are checked
when opened and saved.

Clients that pull get no pushes (they would show everything twice).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.diagnostics import Diagnostic, Severity

from .convert import positions
from .ruledocs import rule_link
from .settings import ON_SAVE

if TYPE_CHECKING:
    from amct_lang.ide.snapshot import Snapshot

    from .world import DocState, World

DEBOUNCE = 0.15
SOURCE = "amct-lang"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def to_lsp(world: World, snap: Snapshot, uri: str, d: Diagnostic) -> types.Diagnostic:
    pos = positions(snap)
    related = None
    if d.related and _related_supported(world):
        related = [types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=pos.range(r.start, r.end)), message=r.message)
            for r in d.related]
    link = rule_link(d.code) if _code_links(world) else None
    return types.Diagnostic(range=pos.range(d.start, d.end), message=d.message,
                            severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
                            code=d.code, source=SOURCE, related_information=related,
                            code_description=types.CodeDescription(href=link) if link else None)


def lsp_diagnostics(world: World, snap: Snapshot, uri: str) -> list[types.Diagnostic]:
    out = [to_lsp(world, snap, uri, d) for d in snap.diagnostics]
    if snap.model_note and snap.model_range is not None:
        start, end = snap.model_range
        out.insert(0, types.Diagnostic(range=positions(snap).range(start, end), message=snap.model_note,
                                       severity=types.DiagnosticSeverity.Warning, source=SOURCE))
    elif snap.model_note and snap.model_note not in world.notes_shown:
        world.notes_shown.add(snap.model_note)
        world.show(types.MessageType.Warning, f"{snap.model_note} (setting amctLang.model)")
    return out


def _code_links(world: World) -> bool:
    td = world.capabilities.text_document
    pd = td.publish_diagnostics if td is not None else None
    return bool(pd is not None and pd.code_description_support) or world.pull_diagnostics


def _related_supported(world: World) -> bool:
    td = world.capabilities.text_document
    pd = td.publish_diagnostics if td is not None else None
    return bool(pd is not None and pd.related_information) or world.pull_diagnostics


# -- push ------------------------------------------------------------------------------------------
def request_check(world: World, uri: str, *, at_once: bool = False,
                  saved: bool = False) -> None:
    """Check the document now if idle, else coalesce: see the module docstring."""
    st = world.state(uri)
    loop = asyncio.get_running_loop()
    st.last_change = loop.time()
    if saved:
        st.saved = None  # taken by the next check
    if st.running or (st.timer is not None and not at_once):
        st.dirty = True
        if st.timer is not None:
            _arm(world, uri)
        return
    if st.timer is not None:
        st.timer.cancel()
        st.timer = None
    st.running = True
    st.dirty = False
    world.spawn(_check(world, uri))


def _arm(world: World, uri: str) -> None:
    st = world.state(uri)
    loop = asyncio.get_running_loop()
    if st.timer is not None:
        st.timer.cancel()
    delay = max(0.0, st.last_change + DEBOUNCE - loop.time())

    def fire() -> None:
        st.timer = None
        if world.states.get(uri) is st:
            request_check(world, uri, at_once=True)

    st.timer = loop.call_later(delay, fire)


async def _check(world: World, uri: str) -> None:
    st = world.state(uri)
    try:
        doc = world.document(uri)
        if doc is None:
            return
        version = doc.version
        snap = await world.snapshot(uri, budget=None)
        doc = world.document(uri)
        if doc is None or doc.version != version or world.states.get(uri) is not st:
            return  # stale: a newer version is on its way
        if snap is None:  # stopped: over the time budget
            if st.analysis is not None and st.analysis.over_budget and not world.pull_diagnostics:
                _publish(world, st, uri, version, [too_slow(doc.text)])
            return
        if st.saved is None:
            st.saved = snap
        if not world.pull_diagnostics and (world.settings.lint_run != ON_SAVE or snap is st.saved):
            _publish(world, st, uri, version, lsp_diagnostics(world, snap, uri))
    except Exception as exc:  # noqa: BLE001 - one failed check must not stop the next ones
        world.failed(f"checking {uri}", exc)
    finally:
        st.running = False
        if st.dirty and world.states.get(uri) is st:
            st.dirty = False
            _arm(world, uri)


def _publish(world: World, st: DocState, uri: str, version: int, items: list[types.Diagnostic]) -> None:
    """Send, unless the document moved on while the items were converted."""
    doc = world.document(uri)
    if doc is None or doc.version != version or world.states.get(uri) is not st:
        return
    st.published = version
    world.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=uri, diagnostics=items, version=version))


def too_slow(text: str) -> types.Diagnostic:
    from .world import ANALYSIS_BUDGET

    return types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        message=f"{SOURCE} stopped checking this file after {ANALYSIS_BUDGET:.0f} s "
                f"({len(text):,} characters): no diagnostics for it",
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE)


def settings_changed(world: World) -> None:
    for uri, st in list(world.states.items()):
        st.saved = None
        if not world.pull_diagnostics:
            request_check(world, uri, at_once=True, saved=True)
    if world.pull_diagnostics:
        ws = world.capabilities.workspace
        if ws is not None and ws.diagnostics is not None and ws.diagnostics.refresh_support:
            world.server.workspace_diagnostic_refresh(None)


# -- pull ------------------------------------------------------------------------------------------
def _result_id(world: World, snap: Snapshot) -> str:
    return f"{world.generation}-{hash(snap.text) & 0xFFFFFFFF:08x}"


def did_open(world: World, params: types.DidOpenTextDocumentParams) -> None:
    request_check(world, params.text_document.uri, at_once=True, saved=True)


def did_change(world: World, params: types.DidChangeTextDocumentParams) -> None:
    if world.settings.lint_run != ON_SAVE:
        request_check(world, params.text_document.uri)


def did_save(world: World, params: types.DidSaveTextDocumentParams) -> None:
    request_check(world, params.text_document.uri, at_once=True, saved=True)


def did_close(world: World, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    world.close(uri)
    if not world.pull_diagnostics:
        world.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


PULL_OPTIONS = types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False,
                                       workspace_diagnostics=False)


async def pull(world: World, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    uri = params.text_document.uri
    snap: Snapshot | None
    st = world.states.get(uri)
    if world.settings.lint_run == ON_SAVE and st is not None and st.saved is not None:
        snap = st.saved
    else:
        snap = await world.snapshot(uri, budget=None)
        st = world.states.get(uri)
        if st is not None and st.saved is None:
            st.saved = snap
    if snap is None:
        doc = world.document(uri)
        over = st is not None and st.analysis is not None and st.analysis.over_budget
        return types.RelatedFullDocumentDiagnosticReport(items=[too_slow(doc.text)] if over and doc else [])
    result_id = _result_id(world, snap)
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=lsp_diagnostics(world, snap, uri),
                                                     result_id=result_id)
