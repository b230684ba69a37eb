"""textDocument/completion: amct_lang.ide.complete as LSP completion items."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from amct_lang.ide import completion as ide
from amct_lang.ide.plain import plain_text

from .convert import positions
from .models import model_files

if TYPE_CHECKING:
    from .world import World

_KINDS = {
    ide.FIELD: types.CompletionItemKind.Field,
    ide.BLOCK: types.CompletionItemKind.Struct,
    ide.ENUM: types.CompletionItemKind.EnumMember,
    ide.BOOL: types.CompletionItemKind.Value,
    ide.VALUE_ITEM: types.CompletionItemKind.Value,
    ide.LAYER: types.CompletionItemKind.Reference,
    ide.TYPE: types.CompletionItemKind.Class,
    ide.HEADER: types.CompletionItemKind.Keyword,
}


async def completion(world: World, params: types.CompletionParams) -> types.CompletionList | None:
    uri = params.text_document.uri
    snap = await world.snapshot(uri)
    if snap is None:
        return None
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    path = Path(fs_path) if fs_path else None
    offset = positions(snap).offset(params.position)
    # off the event loop: completion analyzes the text with each candidate inserted
    items = await world.off_loop(lambda: ide.complete(snap, offset, lambda: model_files(path)))
    if items is None:
        return types.CompletionList(is_incomplete=True, items=[])
    caps = _item_caps(world)
    return types.CompletionList(is_incomplete=False, items=[_item(snap, it, caps) for it in items])


class _Caps:
    __slots__ = ("snippets", "markdown", "as_is")

    def __init__(self, snippets: bool, markdown: bool, as_is: bool) -> None:
        self.snippets = snippets
        self.markdown = markdown
        self.as_is = as_is


def _item_caps(world: World) -> _Caps:
    td = world.capabilities.text_document
    item = td.completion.completion_item if td is not None and td.completion is not None else None
    if item is None:
        return _Caps(False, False, False)
    modes = item.insert_text_mode_support.value_set if item.insert_text_mode_support is not None else []
    return _Caps(bool(item.snippet_support), types.MarkupKind.Markdown in (item.documentation_format or []),
                 types.InsertTextMode.AsIs in modes)


def _item(snap, it: ide.Completion, caps: _Caps) -> types.CompletionItem:  # type: ignore[no-untyped-def]
    snippet = caps.snippets and it.snippet is not None
    new_text = it.snippet if snippet else it.text
    documentation: str | types.MarkupContent | None = None
    if it.documentation:
        documentation = (types.MarkupContent(kind=types.MarkupKind.Markdown, value=it.documentation)
                         if caps.markdown else plain_text(it.documentation))
    return types.CompletionItem(
        label=it.label,
        kind=_KINDS.get(it.kind),
        detail=it.detail or None,
        documentation=documentation,
        sort_text=it.sort or None,
        filter_text=it.filter,
        text_edit=types.TextEdit(range=positions(snap).range(it.start, it.end), new_text=new_text or ""),
        insert_text_format=types.InsertTextFormat.Snippet if snippet else types.InsertTextFormat.PlainText,
        insert_text_mode=types.InsertTextMode.AsIs if caps.as_is and "\n" in (new_text or "") else None,
    )
