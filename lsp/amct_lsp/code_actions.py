"""textDocument/codeAction: quick fixes (every Fix of every diagnostic in the range, suppression
comments) and fix-all (`source.fixAll.amct-lang`, what editors run on save)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide import code_actions as ide

from .convert import positions
from .diagnostics import to_lsp

if TYPE_CHECKING:
    from .world import World

FIX_ALL_KIND = "source.fixAll.amct-lang"  # also in server.py's options
_KINDS = {ide.QUICKFIX: types.CodeActionKind.QuickFix, ide.FIX_ALL: FIX_ALL_KIND}


def wanted(kind: str, only: list[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for `source.fixAll` includes `source.fixAll.amct-lang`."""
    if only is None:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


async def code_action(world: World, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    snap = await world.snapshot(uri)
    if snap is None:
        return None
    only = [str(k.value if hasattr(k, "value") else k) for k in params.context.only] \
        if params.context.only else None
    start, end = positions(snap).offsets(params.range)
    actions: list[ide.Action] = []
    if wanted(str(types.CodeActionKind.QuickFix.value), only):
        actions.extend(ide.code_actions(snap, start, end))
    if only is not None and wanted(FIX_ALL_KIND, only):
        fix = await world.off_loop(lambda: ide.fix_all(snap))  # re-checks in rounds: off the loop
        if fix is not None:
            actions.append(fix)
    out = []
    for action in actions:
        edits = [types.TextEdit(range=positions(snap).range(e.start, e.end), new_text=e.new_text)
                 for e in action.edits]
        out.append(types.CodeAction(
            title=action.title, kind=_KINDS[action.kind],
            diagnostics=[to_lsp(world, snap, uri, d) for d in action.diagnostics] or None,
            edit=types.WorkspaceEdit(changes={uri: edits}),
            is_preferred=action.preferred or None))
    return out
