"""A client without Markdown (Eglot without markdown-mode, plain terminals): hover and completion
documentation arrive as plain text, with no Markdown syntax left in them."""

from __future__ import annotations

import re

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import MARKS, WORKDIR, config, ident, open_doc, position, split_marker

pytestmark = MARKS
MARKDOWN = re.compile(r"```|\*\*|^#{1,6} |`[^`]+`|\]\(", re.MULTILINE)
PLAIN = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
    hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.PlainText]),
    completion=types.CompletionClientCapabilities(completion_item=types.ClientCompletionItemOptions(
        snippet_support=False, documentation_format=[types.MarkupKind.PlainText])),
    publish_diagnostics=types.PublishDiagnosticsClientCapabilities()))


@pytest_lsp.fixture(scope="session", config=config())
async def plain(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=PLAIN, root_uri=WORKDIR.as_uri(), initialization_options={}))
    yield
    await lsp_client.shutdown_session()


CASES = [
    "common_config { ifmr_quantize { dst_<|>type: INT8 } }\n",  # a field: signature, facts, docs
    "common_config { ifmr_quantize { dst_type: IN<|>T16 } }\n",  # an enum value
    "common_config { ifmr_quantize { search_st<|>epp: 0.1 } }\n",  # a diagnostic
]


async def test_hover_is_plain_text(plain: LanguageClient) -> None:
    for source in CASES:
        text, at = split_marker(source)
        uri = open_doc(plain, text)
        found = await plain.text_document_hover_async(types.HoverParams(
            text_document=ident(uri), position=position(text, at)))
        assert found is not None and isinstance(found.contents, types.MarkupContent)
        assert found.contents.kind == types.MarkupKind.PlainText
        assert not MARKDOWN.search(found.contents.value), found.contents.value
        assert found.contents.value.strip()


async def test_completion_documentation_is_plain_text(plain: LanguageClient) -> None:
    text, at = split_marker("common_config { ifmr_quantize { <|> } }\n")
    uri = open_doc(plain, text)
    result = await plain.text_document_completion_async(types.CompletionParams(
        text_document=ident(uri), position=position(text, at)))
    docs = [item.documentation for item in (result.items if result else []) if item.documentation]
    assert docs
    for doc in docs:
        assert isinstance(doc, str), doc  # no MarkupContent for a client that asked for none
        assert not MARKDOWN.search(doc), doc
