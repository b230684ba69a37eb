"""Diagnostics over LSP: pushed after edits (stale versions dropped), pulled by clients that pull,
the same codes and messages as `amct-lang check`, UTF-16 ranges, settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient
from shared_data import own_examples, shared_files

from amct_lang.analysis import analyze

from .support import (
    MARKS,
    NEOVIM,
    NEOVIM_PULL,
    REPO,
    SERVER_ENV,
    config,
    diagnostics,
    ident,
    initialize_params,
    open_doc,
    position,
    published,
    replace_all,
)

pytestmark = MARKS
EXAMPLES = own_examples() + shared_files("examples/*.cfg")  # ours, and the seed's when ../shared is there
BROKEN = """# 量化配置: 中文注释
activation_offset: "true"
joint_quant: false
joint_quant: true
common_config {
  ifmr_quantize { dst_type: int8 search_stepp: 0.01 }
}
skip_layers: "层_1"
"""


async def test_the_examples_are_there() -> None:
    assert EXAMPLES, "no examples found in examples/"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
async def test_examples_have_no_errors(client: LanguageClient, example: Path) -> None:
    uri = open_doc(client, example.read_text(encoding="utf-8"), example.name)
    found = await diagnostics(client, uri, 1)
    assert not [d for d in found if d.severity == types.DiagnosticSeverity.Error]


async def test_same_codes_and_messages_as_the_cli(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "quant.cfg"
    path.write_text(BROKEN, encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "amct_lang", "check", "--format", "json", str(path)],
                         capture_output=True, text=True, env=SERVER_ENV, cwd=REPO)
    expected = json.loads(cli.stdout)
    assert expected, cli.stderr
    uri = open_doc(client, BROKEN)
    got = await diagnostics(client, uri, 1)
    lines = BROKEN.splitlines()

    def utf16(line: int, column: int) -> int:  # CLI columns count code points, 1-based
        return len(lines[line - 1][:column - 1].encode("utf-16-le")) // 2

    assert [(d.code, d.message, d.range.start.line, d.range.start.character) for d in got] == [
        (e["code"], e["message"], e["line"] - 1, utf16(e["line"], e["column"])) for e in expected]
    assert all(d.source == "amct-lang" for d in got)
    severities = {d.code: d.severity for d in got}
    assert severities["SCH006"] == types.DiagnosticSeverity.Warning
    assert severities["SCH004"] == types.DiagnosticSeverity.Error


async def test_ranges_count_utf16_code_units(client: LanguageClient) -> None:
    # '𝛼' is outside the BMP: two UTF-16 code units, one code point
    text = 'skip_layers: "层𝛼" bogus_field: 1  # 注释 𝛼\n'
    uri = open_doc(client, text)
    (d,) = [d for d in await diagnostics(client, uri, 1) if d.code == "SCH001"]
    offset = text.index("bogus_field")
    assert d.range.start == position(text, offset)
    assert d.range.end == position(text, offset + len("bogus_field"))
    assert d.range.start.character == offset + 1  # the astral character counts twice


async def test_related_information_points_at_the_first(client: LanguageClient) -> None:
    uri = open_doc(client, "joint_quant: false\njoint_quant: true\n")
    (d,) = [d for d in await diagnostics(client, uri, 1) if d.code == "SCH006"]
    assert d.related_information and d.related_information[0].location.range.start.line == 0


async def test_edits_publish_for_the_latest_version_only(client: LanguageClient) -> None:
    uri = open_doc(client, "activation_offset: true\n")
    assert await diagnostics(client, uri, 1) == []
    texts = {}
    for version in range(2, 32):
        # each version misspells a different field name: its diagnostics say which version they are for
        texts[version] = f"# proto-message: AMCTConfig\nfield_of_version_{version}: 1\n"
        replace_all(client, uri, version, texts[version])
    final = await published(client, uri, 31)
    assert [d.message for d in final] == ["unknown field 'field_of_version_31' in AMCTConfig"]
    runs = [p for p in client.published if p.uri == uri and p.version and p.version > 1]
    versions = [p.version for p in runs]
    assert versions == sorted(set(versions)), "versions published out of order or twice"
    for p in runs:  # every published result belongs to the version it claims
        expected = f"unknown field 'field_of_version_{p.version}' in AMCTConfig"
        assert [d.message for d in p.diagnostics] == [expected]


async def test_close_clears(client: LanguageClient) -> None:
    uri = open_doc(client, "bogus: 1\n")
    assert await published(client, uri, 1)
    mark = len(client.published)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident(uri)))
    assert await published(client, uri, after=mark) == []


async def test_dialect_setting_applies(client: LanguageClient) -> None:
    text = "batch_num: 2\n"  # calibration-onnx or distill; detection prefers calibration-onnx
    uri = open_doc(client, text)
    assert await diagnostics(client, uri, 1) == []
    mark = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"amctLang": {"dialect": "calibration", "model": "", "lint": {"run": "onType"}}}))
    found = await published(client, uri, 1, after=mark)
    assert [d.code for d in found] == ["SCH001"]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"amctLang": {"dialect": "", "model": "", "lint": {"run": "onType"}}}))


# -- a client that pulls ----------------------------------------------------------------------------
@pytest_lsp.fixture(scope="session", config=config())
async def puller(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(initialize_params(NEOVIM_PULL))
    yield
    await lsp_client.shutdown_session()


async def test_pull_returns_the_same_and_nothing_is_pushed(puller: LanguageClient) -> None:
    uri = open_doc(puller, BROKEN)
    report = await puller.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=ident(uri)))
    assert [d.code for d in report.items] == [d.code for d in analyze(BROKEN).diagnostics]
    again = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=ident(uri), previous_result_id=report.result_id))
    assert again.kind == "unchanged" and again.result_id == report.result_id
    replace_all(puller, uri, 2, "activation_offset: true\n")
    fresh = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=ident(uri), previous_result_id=report.result_id))
    assert fresh.kind == "full" and not fresh.items
    assert not [p for p in puller.published if p.uri == uri]


# -- lint.run: onSave -------------------------------------------------------------------------------
@pytest_lsp.fixture(scope="session", config=config())
async def on_save(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(initialize_params(NEOVIM, {"lint": {"run": "onSave"}}))
    yield
    await lsp_client.shutdown_session()


async def test_on_save_checks_when_saved(on_save: LanguageClient) -> None:
    uri = open_doc(on_save, "activation_offset: true\n")
    assert await published(on_save, uri, 1) == []
    replace_all(on_save, uri, 2, "activation_offset: true\nbogus_field: 1\n")
    # a document request in between is answered from the current text, but nothing is published
    await on_save.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident(uri)))
    assert not [p for p in on_save.published if p.uri == uri and p.version == 2]
    on_save.text_document_did_save(types.DidSaveTextDocumentParams(text_document=ident(uri)))
    assert "SCH001" in [d.code for d in await published(on_save, uri, 2)]
