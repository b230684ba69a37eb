"""Formatting over LSP: whole document and a range, as amct_lang.format lays them out; a broken
document is left alone with a message saying why."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from amct_lang.format import format_text

from .support import MARKS, ident, open_doc, position
from .test_code_actions import apply

pytestmark = MARKS
OPTIONS = types.FormattingOptions(tab_size=4, insert_spaces=True)
MESSY = ("# 中文 𝛼\nactivation_offset:true\ncommon_config{arq_quantize<channel_wise:true>;}\n\n\n"
         "skip_layers : \"层\"   # 注释\n")


async def test_document(client: LanguageClient) -> None:
    uri = open_doc(client, MESSY)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=ident(uri), options=OPTIONS))
    assert edits
    assert apply(MESSY, edits) == format_text(MESSY).text


async def test_range_touches_only_the_lines_asked_for(client: LanguageClient) -> None:
    uri = open_doc(client, MESSY)
    line = MESSY.index("common_config")
    edits = await client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
        text_document=ident(uri), options=OPTIONS,
        range=types.Range(start=position(MESSY, line), end=position(MESSY, line + 5))))
    result = apply(MESSY, edits)
    assert "activation_offset:true\n" in result  # not in the range: left as it was
    assert "common_config {\n    arq_quantize {\n        channel_wise: true\n    }\n}\n" in result


async def test_broken_document_is_not_formatted(client: LanguageClient) -> None:
    text = "activation_offset: true\ncommon_config {\n"
    uri = open_doc(client, text)
    before = len(client.messages)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=ident(uri), options=OPTIONS))
    assert not edits
    assert "syntax error" in client.messages[before].message
