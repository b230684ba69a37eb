"""Code actions over LSP: quick fixes for the diagnostics in the range, suppressions, fix-all."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import MARKS, diagnostics, ident, open_doc, position

pytestmark = MARKS

TEXT = ("# proto-message: AMCTConfig\n# 中文 𝛼\nactivation_offset: \"true\"\njoint_quant: false\n"
        "joint_quant: true\ncommon_config { ifmr_quantize { search_stepp: 0.01 dst_type: int8 } }\n")


def apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)

    def offset(p: types.Position) -> int:
        base = sum(len(line) for line in lines[:p.line])
        line = lines[p.line] if p.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= p.character:
                return base + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return base + len(line)

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(e.range.start), offset(e.range.end)
        text = text[:start] + e.new_text + text[end:]
        lines = text.splitlines(keepends=True)
    return text


async def actions(client: LanguageClient, uri: str, text: str, at: int, end: int | None = None,
                  only: list[str] | None = None) -> list[types.CodeAction]:
    found = await diagnostics(client, uri, 1)
    rng = types.Range(start=position(text, at), end=position(text, at if end is None else end))
    on_line = [d for d in found if d.range.start.line == rng.start.line]
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=ident(uri), range=rng, context=types.CodeActionContext(diagnostics=on_line, only=only)))
    return list(result or [])


async def test_did_you_mean_rename(client: LanguageClient) -> None:
    uri = open_doc(client, TEXT)
    at = TEXT.index("search_stepp")
    found = await actions(client, uri, TEXT, at + 3)
    rename = next(a for a in found if a.title == "Rename to 'search_step'")
    assert rename.kind == types.CodeActionKind.QuickFix
    assert rename.diagnostics and rename.diagnostics[0].code == "SCH001"
    assert "search_step: 0.01" in apply(TEXT, rename.edit.changes[uri])


async def test_invalid_value_replaced_with_allowed_ones(client: LanguageClient) -> None:
    uri = open_doc(client, TEXT)
    found = await actions(client, uri, TEXT, TEXT.index("int8") + 1)
    titles = [a.title for a in found]
    assert titles[:2] == ["Replace with 'INT8'", "Replace with 'INT16'"]
    assert "dst_type: INT8 }" in apply(TEXT, found[0].edit.changes[uri])


async def test_remove_duplicate_and_suppress(client: LanguageClient) -> None:
    uri = open_doc(client, TEXT)
    second = TEXT.index("joint_quant: true")
    found = await actions(client, uri, TEXT, second)
    by_title = {a.title: a for a in found}
    earlier = by_title["Remove the earlier 'joint_quant' (AMCT uses this one)"]
    assert earlier.is_preferred
    assert "joint_quant: false" not in apply(TEXT, earlier.edit.changes[uri])
    suppressed = apply(TEXT, by_title["Disable SCH006 on this line"].edit.changes[uri])
    assert "joint_quant: true  # amct-lint: disable=SCH006\n" in suppressed
    uri2 = open_doc(client, suppressed)
    assert "SCH006" not in [d.code for d in await diagnostics(client, uri2, 1)]


async def test_fix_all(client: LanguageClient) -> None:
    uri = open_doc(client, TEXT)
    found = await actions(client, uri, TEXT, 0, len(TEXT), only=["source.fixAll"])
    assert [a.kind for a in found] == ["source.fixAll.amct-lang"]
    fixed = apply(TEXT, found[0].edit.changes[uri])
    assert "activation_offset: true\n" in fixed and "joint_quant: false" not in fixed
    assert "# 中文 𝛼\n" in fixed
    # quick fixes are not returned when only fix-all is asked for, and vice versa
    quick = await actions(client, uri, TEXT, 0, len(TEXT))
    assert all(a.kind == types.CodeActionKind.QuickFix for a in quick)
