"""Driving the real server over stdio with pytest-lsp: the client, documents, waiting for results."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

REPO = Path(__file__).resolve().parents[2]
SERVER = [sys.executable, "-m", "amct_lang", "lsp"]
WORKDIR = Path(tempfile.mkdtemp(prefix="amct-lsp-tests-"))  # the documents' folder (on disk for models)
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)
SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(REPO), str(REPO / "lsp"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    "XDG_CACHE_HOME": str(WORKDIR / "cache")}  # where the server writes the rules' explanations
# The editors whose recorded capabilities the tests replay (pytest-lsp ships them).
VSCODE = "visual-studio-code@v1.65.2"
NEOVIM = "neovim@v0.7.0"
NEOVIM_PULL = "neovim@v0.10.0"  # pulls diagnostics (textDocument/diagnostic)
CLIENTS = [VSCODE, NEOVIM]
TIMEOUT = 20.0
# every test module: `pytestmark = MARKS` (async tests sharing one server per editor profile for
# the whole session; a response that breaks the spec or the client's capabilities fails the test)
MARKS = [pytest.mark.asyncio(loop_scope="session"),
         pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]


def make_client() -> LanguageClient:
    """pytest-lsp's client, also recording every publishDiagnostics with its version."""
    client = LanguageClient(converter_factory=default_converter)
    client.published: list[types.PublishDiagnosticsParams] = []  # type: ignore[misc]
    client.published_event = asyncio.Event()  # type: ignore[attr-defined]
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]
        client.published_event.set()  # type: ignore[attr-defined]

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    register_lsp_features(client, features)
    return client


def config() -> ClientServerConfig:
    """How pytest-lsp starts the server: `python -m amct_lang lsp`, with the recording client."""
    return ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=SERVER_ENV)


def initialize_params(spec: str, options: dict[str, Any] | None = None) -> types.InitializeParams:
    from pytest_lsp import client_capabilities

    return types.InitializeParams(
        capabilities=client_capabilities(spec),
        initialization_options=options if options is not None else {"model": "", "dialect": "",
                                                                    "lint": {"run": "onType"}},
        root_uri=WORKDIR.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=WORKDIR.as_uri(), name="work")])


_counter = 0


def doc_uri(name: str = "quant.cfg") -> str:
    """A fresh URI in the work folder (each test its own document)."""
    global _counter
    _counter += 1
    folder = WORKDIR / f"doc{_counter}"
    folder.mkdir(parents=True, exist_ok=True)
    return (folder / name).as_uri()


def open_doc(client: LanguageClient, text: str, name: str = "quant.cfg", uri: str | None = None) -> str:
    uri = uri or doc_uri(name)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="amct-cfg", version=1, text=text)))
    return uri


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def pulls(client: LanguageClient) -> bool:
    caps = client.capabilities
    return bool(caps and caps.text_document and caps.text_document.diagnostic is not None)


async def published(client: LanguageClient, uri: str, version: int | None = None, after: int = 0,
                    timeout: float = TIMEOUT) -> list[types.Diagnostic]:
    """The last diagnostics published for `uri` (at `version`, when given) among the notifications
    received since the `after`-th one, waiting for them if need be."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        log = client.published  # type: ignore[attr-defined]
        for params in reversed(log[after:]):
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)
        client.published_event.clear()  # type: ignore[attr-defined]
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"no diagnostics for {uri} version {version}")
        try:
            await asyncio.wait_for(client.published_event.wait(), remaining)  # type: ignore[attr-defined]
        except asyncio.TimeoutError:
            pass


async def diagnostics(client: LanguageClient, uri: str, version: int | None = None) -> list[types.Diagnostic]:
    """The document's diagnostics the way this client gets them: pulled, or pushed."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        return list(report.items)
    return await published(client, uri, version)


def position(text: str, offset: int) -> types.Position:
    """LSP position (UTF-16 columns) of an offset, computed independently of the server."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=len(text[start:offset].encode("utf-16-le")) // 2)


def split_marker(source: str, marker: str = "<|>") -> tuple[str, int]:
    at = source.index(marker)
    return source.replace(marker, "", 1), at


def ident(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)
