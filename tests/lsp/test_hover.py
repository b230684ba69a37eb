"""Hover over LSP: field docs (English and Chinese), enum values, rule docs on diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient

from .support import MARKS, diagnostics, ident, open_doc, position, split_marker

pytestmark = MARKS


async def hover(client: LanguageClient, source: str) -> tuple[str, types.Hover | None]:
    text, at = split_marker(source)
    uri = open_doc(client, text)
    return text, await client.text_document_hover_async(types.HoverParams(
        text_document=ident(uri), position=position(text, at)))


def markdown(client: LanguageClient) -> bool:
    caps = client.capabilities
    h = caps.text_document.hover if caps and caps.text_document else None
    return bool(h and h.content_format and types.MarkupKind.Markdown in h.content_format)


async def test_field_documentation(client: LanguageClient) -> None:
    text, found = await hover(client, "# 中文注释 𝛼\nactivation_<|>offset: true\n")
    assert found is not None
    value = found.contents.value
    assert "activation_offset: bool" in value
    assert "default `true`" in value
    assert "Whether activations are quantized" in value
    assert "数据量化是否带offset" in value
    kind = types.MarkupKind.Markdown if markdown(client) else types.MarkupKind.PlainText
    assert found.contents.kind == kind
    start = text.index("activation_offset")
    assert found.range == types.Range(start=position(text, start), end=position(text, start + 17))


async def test_enum_value(client: LanguageClient) -> None:
    _, found = await hover(client, "common_config { ifmr_quantize { dst_type: INT1<|>6 } }\n")
    assert found is not None and "CalibrationDataType.INT16 = 2" in found.contents.value


async def test_on_a_diagnostic_message_summary_and_link(client: LanguageClient) -> None:
    text, found = await hover(client, "# 说明 𝛼\ncommon_config { ifmr_quantize { search_st<|>epp: 0.1 } }\n")
    assert found is not None
    value = found.contents.value
    assert "unknown field 'search_stepp'" in value and "did you mean 'search_step'" in value
    assert "A field the message does not have." in value  # the rule's one-line summary
    assert "Why is this bad?" not in value  # the whole explanation is one click away, not inline
    link = re.search(r"\((file:[^)]+\.md)\)", value)
    assert link is not None, value
    assert "Why is this bad?" in Path(to_fs_path(link.group(1))).read_text(encoding="utf-8")
    start = text.index("search_stepp")
    assert found.range.start == position(text, start)


async def test_diagnostics_link_to_their_rule(client: LanguageClient) -> None:
    uri = open_doc(client, "common_config { ifmr_quantize { search_stepp: 0.1 } }\n")
    found = await diagnostics(client, uri, 1)
    described = [d for d in found if d.code == "SCH001"]
    td = client.capabilities.text_document if client.capabilities else None
    pd = td.publish_diagnostics if td else None
    if not (pd and pd.code_description_support):
        assert described and described[0].code_description is None  # not for a client that cannot
        return
    assert described and described[0].code_description is not None
    assert described[0].code_description.href.endswith("/SCH001.md")


async def test_nothing_on_whitespace(client: LanguageClient) -> None:
    _, found = await hover(client, "# proto-message: AMCTConfig\nactivation_offset:  <|>  true\n")
    assert found is None
