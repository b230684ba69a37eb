"""Never down: thousands of random edits and requests through the real server, provoked failures,
malformed messages. The server must answer everything, publish only valid ranges, and end in sync
with the client's text."""

from __future__ import annotations

import asyncio
import random
import re
import sys
import uuid
from concurrent.futures import Future
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from amct_lang.analysis import analyze

from .support import (
    MARKS,
    REPO,
    SERVER_ENV,
    TIMEOUT,
    VSCODE,
    config,
    ident,
    initialize_params,
    make_client,
    open_doc,
    published,
)

pytestmark = MARKS
EDITS = 2500
SEED = 20261122
EXAMPLE = REPO / "examples" / "calibration_uniform.cfg"
PIECES = [
    "{", "}", "<", ">", "[", "]", ":", ",", ";", '"', "'", "#", "\n", "\r\n", "\r", " ", "\t", "-", ".",
    "0x1F", "1e-3", "9", "-inf", "true", "中文注释", "𝛼", "\x0c", "\u2028", "\x00", "\\", "\\x",
    "common_config", "ifmr_quantize", "search_step: 0.01", "dst_type: INT8", "layer_name: \"层\"",
    "arq_quantize { channel_wise: ",
    "override_layer_configs {\n", "# amct-lint: disable=SCH001", "# proto-message: AMCTDistillConfig\n",
    "# amct-model: missing.onnx\n", "[a.b/c]", "skip_layers: [\"a\", ", "\"unterminated", "10bar", "😀😀",
]
_BREAK = re.compile(r"\r\n|\r|\n")


class Mirror:
    """The client's copy of the text, with LSP's line rules, independent of the server's code."""

    def __init__(self, text: str) -> None:
        self.text = text

    def lines(self) -> list[str]:
        return _BREAK.split(self.text)

    def position(self, offset: int) -> types.Position:
        before = self.text[:offset]
        parts = _BREAK.split(before)
        return types.Position(line=len(parts) - 1, character=len(parts[-1].encode("utf-16-le")) // 2)

    def valid_offset(self, offset: int) -> bool:
        """False between the two characters of a '\\r\\n': LSP has no position there."""
        text = self.text
        return not (0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n")

    def check_range(self, rng: types.Range, what: str) -> None:
        lines = self.lines()
        for p in (rng.start, rng.end):
            assert 0 <= p.line < len(lines), f"{what}: line {p.line} of {len(lines)}"
            assert 0 <= p.character <= utf16(lines[p.line]), f"{what}: {p} past line end"
        assert (rng.start.line, rng.start.character) <= (rng.end.line, rng.end.character), f"{what}: {rng}"


def utf16(line: str) -> int:
    return len(line.encode("utf-16-le")) // 2


def raw_request(client: LanguageClient, method: str, params: object) -> asyncio.Future[object]:
    """A request sent as raw JSON (the client would refuse to serialize malformed params)."""
    msg_id = str(uuid.uuid4())
    future: Future[object] = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


def raw_notify(client: LanguageClient, method: str, params: object) -> None:
    client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))
    # garbage: any code point but surrogates, BMP and astral
    chars = []
    for _ in range(rng.randint(1, 30)):
        cp = rng.choice([rng.randint(0x20, 0x7E), rng.randint(0, 0xD7FF), rng.randint(0xE000, 0x10FFFF)])
        chars.append(chr(cp))
    return "".join(chars)


@pytest_lsp.fixture(scope="session", config=config())
async def fresh(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(initialize_params(VSCODE))
    yield
    await lsp_client.shutdown_session()


def check_tokens(mirror: Mirror, data: list[int]) -> None:
    line = col = 0
    lines = mirror.lines()
    for i in range(0, len(data), 5):
        dl, dc, length = data[i:i + 3]
        line += dl
        col = col + dc if dl == 0 else dc
        assert col + length <= utf16(lines[line])


async def request_at(client: LanguageClient, uri: str, mirror: Mirror, rng: random.Random) -> None:
    """One random request at a random place; every range in the answer must fit the text."""
    offset = rng.randint(0, len(mirror.text))
    while not mirror.valid_offset(offset):
        offset -= 1
    pos = mirror.position(offset)
    doc = ident(uri)
    kind = rng.randrange(7)
    if kind == 0:
        result = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc, position=pos))
        for item in (result.items if result else []):
            mirror.check_range(item.text_edit.range, "completion")
    elif kind == 1:
        hover = await client.text_document_hover_async(types.HoverParams(text_document=doc, position=pos))
        if hover is not None and hover.range is not None:
            mirror.check_range(hover.range, "hover")
    elif kind == 2:
        symbols = await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=doc))
        stack = list(symbols or [])
        while stack:
            s = stack.pop()
            mirror.check_range(s.range, "symbol")
            mirror.check_range(s.selection_range, "symbol name")
            stack.extend(s.children or [])
    elif kind == 3:
        folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc))
        n = len(mirror.lines())
        assert all(0 <= f.start_line < f.end_line < n for f in folds or [])
    elif kind == 4:
        tokens = await client.text_document_semantic_tokens_full_async(
            types.SemanticTokensParams(text_document=doc))
        check_tokens(mirror, list(tokens.data) if tokens else [])
    elif kind == 5:
        end = min(len(mirror.text), offset + rng.randint(0, 200))
        while not mirror.valid_offset(end):
            end += 1
        rng_ = types.Range(start=pos, end=mirror.position(end))
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=doc, range=rng_, context=types.CodeActionContext(diagnostics=[])))
        for a in actions or []:
            for e in a.edit.changes[uri]:
                mirror.check_range(e.range, "code action")
    else:
        edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=doc, options=types.FormattingOptions(tab_size=4, insert_spaces=True)))
        for e in edits or []:
            mirror.check_range(e.range, "formatting")


async def test_random_edits(fresh: LanguageClient) -> None:
    rng = random.Random(SEED)
    mirror = Mirror(EXAMPLE.read_text(encoding="utf-8"))
    uri = open_doc(fresh, mirror.text)
    texts = {1: mirror.text}
    version = 1
    for step in range(EDITS):
        n = len(mirror.text)
        start = rng.randint(0, n)
        while not mirror.valid_offset(start):
            start -= 1
        end = start
        if rng.random() < 0.4 and n:
            end = min(n, start + rng.randint(1, 40))
            while not mirror.valid_offset(end):
                end += 1
        new = "" if end > start and rng.random() < 0.5 else random_text(rng)
        if rng.random() < 0.02:  # now and then the whole text at once
            change: types.TextDocumentContentChangeEvent = types.TextDocumentContentChangeWholeDocument(
                text=mirror.text[:start] + new + mirror.text[end:])
        else:
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=mirror.position(start), end=mirror.position(end)), text=new)
        mirror.text = mirror.text[:start] + new + mirror.text[end:]
        version += 1
        texts[version] = mirror.text
        fresh.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change]))
        if step % 25 == 24:
            await asyncio.wait_for(request_at(fresh, uri, mirror, rng), TIMEOUT)
        if step % 250 == 249:
            await published(fresh, uri, version)
    final = await published(fresh, uri, version)
    # every publication fits the text of the version it was made for
    for params in fresh.published:
        if params.uri == uri:
            assert params.version in texts
            check = Mirror(texts[params.version])
            for d in params.diagnostics:
                check.check_range(d.range, f"diagnostic {d.code}")
                for r in d.related_information or []:
                    check.check_range(r.location.range, "related")
    # and the server ends with the client's text: the same findings as checking it directly
    expected = analyze(mirror.text).diagnostics
    assert [(d.code, d.message) for d in final] == [(d.code, d.message) for d in expected]
    assert [d.range.start for d in final] == [mirror.position(d.start) for d in expected]


async def test_bad_requests_are_answered(fresh: LanguageClient) -> None:
    uri = open_doc(fresh, "activation_offset: true\n")
    far = types.Position(line=10**6, character=10**6)
    doc = ident(uri)
    assert await fresh.text_document_hover_async(types.HoverParams(text_document=doc, position=far)) is None
    params = types.CompletionParams(text_document=doc, position=far)
    result = await fresh.text_document_completion_async(params)
    assert result is not None
    # a document that was never opened: nothing to say, but an answer
    unknown = ident("file:///nowhere/never-opened.cfg")
    hover = await fresh.text_document_hover_async(types.HoverParams(text_document=unknown, position=far))
    assert hover is None
    fresh.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=unknown.uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")]))
    # params that are not what the method takes: an error answer, not silence
    with pytest.raises(JsonRpcException, match="invalid params"):
        await raw_request(fresh, types.TEXT_DOCUMENT_HOVER, {"textDocument": 5, "position": "here"})
    with pytest.raises(JsonRpcException, match="(?i)method not found"):
        await raw_request(fresh, "amct/noSuchMethod", {})
    raw_notify(fresh, types.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": None, "contentChanges": 7})
    raw_notify(fresh, types.WORKSPACE_DID_CHANGE_CONFIGURATION, {"settings": ["not", "a", "dict"]})
    fresh.protocol._send_data({"jsonrpc": "2.0", "method": 17})  # not even a method name
    # still answering
    found = await fresh.text_document_hover_async(types.HoverParams(
        text_document=ident(uri), position=types.Position(line=0, character=3)))
    assert found is not None and "activation_offset" in found.contents.value
    # an unknown method is the client's business: answered "method not found", not logged as a failure
    logged = [m.message for m in fresh.log_messages if m.type == types.MessageType.Error]
    assert not [m for m in logged if "noSuchMethod" in m or "internal error" in m], logged


# -- a handler that fails ------------------------------------------------------------------------
FAILING = Path(__file__).with_name("failing_server.py")


@pytest_lsp.fixture(scope="session", config=ClientServerConfig(
    server_command=[sys.executable, str(FAILING)], client_factory=make_client, server_env=SERVER_ENV))
async def failing(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(initialize_params(VSCODE))
    yield
    await lsp_client.shutdown_session()


async def test_a_failing_handler_is_logged_and_answered_with_nothing(failing: LanguageClient) -> None:
    uri = open_doc(failing, "activation_offset: true\n")
    position = types.Position(line=0, character=3)
    # no "internal error" for the user: an empty answer, and the failure in the log
    assert await failing.text_document_definition_async(types.DefinitionParams(
        text_document=ident(uri), position=position)) is None
    failing.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[]))
    found = await failing.text_document_hover_async(types.HoverParams(text_document=ident(uri),
                                                                      position=position))
    assert found is not None
    logged = [m.message for m in failing.log_messages if m.type == types.MessageType.Error]
    assert any("textDocument/definition failed: RuntimeError: provoked failure" in m for m in logged)
    assert any("workspace/didChangeWatchedFiles failed" in m for m in logged)
    assert not failing.messages, "failures are logged, not popped up"


# -- nesting and slow documents ------------------------------------------------------------------
DEPTH = 700  # past the depth where a recursive walker, or a recursive JSON encoder, gives up


async def test_every_request_answers_at_depth(fresh: LanguageClient) -> None:
    text = "common_config {\n" * DEPTH + "}\n" * DEPTH
    uri = open_doc(fresh, text)
    doc = ident(uri)
    middle = types.Position(line=DEPTH // 2, character=3)
    symbols = await fresh.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))
    assert symbols and symbols[0].name == "common_config"
    folds = await fresh.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc))
    assert folds is not None and len(folds) == DEPTH - 1
    tokens = await fresh.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc))
    assert tokens is not None and len(tokens.data) == 5 * DEPTH
    for line in (0, 1, DEPTH // 2):  # the field's docs, SCH001 on the first nested one, nothing
        found = await fresh.text_document_hover_async(types.HoverParams(
            text_document=doc, position=types.Position(line=line, character=3)))
        assert (found is not None) == (line < 2)
    await fresh.text_document_completion_async(types.CompletionParams(text_document=doc, position=middle))
    await fresh.text_document_code_action_async(types.CodeActionParams(
        text_document=doc, range=types.Range(start=middle, end=middle),
        context=types.CodeActionContext(diagnostics=[])))
    logged = [m.message for m in fresh.log_messages if m.type == types.MessageType.Error]
    assert not [m for m in logged if "failed" in m], logged


async def _hover_time(client: LanguageClient, uri: str) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=ident(uri), position=types.Position(line=0, character=3)))
    assert found is not None
    return loop.time() - start


async def test_a_slow_document_does_not_delay_another(fresh: LanguageClient) -> None:
    """A hover on a small document, while a big one is analyzed, answers about as fast as
    with nothing else going on: well before that analysis ends (ratios measured in this run)."""
    small = open_doc(fresh, "activation_offset: true\n")
    await published(fresh, small, 1)
    baseline = min([await _hover_time(fresh, small) for _ in range(5)])
    loop = asyncio.get_running_loop()
    before = len(fresh.published)  # type: ignore[attr-defined]
    opened = loop.time()
    slow = open_doc(fresh, "".join(  # 96k lines: an analysis of a second or more, even on a fast machine
        f'override_layer_configs {{\n  layer_name: "conv{i}"\n'
        "  calibration_config { arq_quantize { channel_wise: true } }\n}\n" for i in range(24000)))
    await asyncio.sleep(0.05)
    during = await _hover_time(fresh, small)
    hovered = loop.time()
    await published(fresh, slow, 1, after=before, timeout=120)
    analysis = loop.time() - opened
    assert analysis > 0.5, f"the slow document took only {analysis:.2f} s: not slow enough to tell"
    assert hovered - opened < analysis / 3, (during, analysis)
    assert during < max(20 * baseline, analysis / 5), (during, baseline, analysis)
