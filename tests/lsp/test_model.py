"""A model associated with the file (`# amct-model:` header, or the `model` setting): layer names and
types in completion, the effective config on hover, the model checks in the diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from amct_lang.analysis import analyze

from .support import MARKS, WORKDIR, diagnostics, ident, open_doc, position, published, split_marker

onnx = pytest.importorskip("onnx")
pytestmark = MARKS


def tiny_model(path: Path) -> Path:
    """conv1 (Conv) -> relu1 -> flat -> fc (Gemm): a real, checked ONNX graph."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    n = helper.make_node
    nodes = [n("Conv", ["x", "w"], ["c"], name="conv1"), n("Relu", ["c"], ["r"], name="relu1"),
             n("Flatten", ["r"], ["f"], name="flat"), n("Gemm", ["f", "wfc"], ["y"], name="fc", transB=1)]
    inits = [numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w"),
             numpy_helper.from_array(np.zeros((10, 144), np.float32), "wfc")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])
    graph = helper.make_graph(nodes, "tiny", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def folder() -> Path:
    here = WORKDIR / "with-model"
    tiny_model(here / "models" / "tiny.onnx")
    return here


def doc_in(folder: Path, name: str) -> str:
    return (folder / name).as_uri()


async def completion_labels(client: LanguageClient, uri: str, source: str) -> list[str]:
    text, at = split_marker(source)
    open_doc(client, text, uri=uri)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=ident(uri), position=position(text, at)))
    return [i.label for i in sorted(result.items, key=lambda i: i.sort_text or i.label)]


async def test_layer_names_and_types_from_the_header_model(client: LanguageClient, folder: Path) -> None:
    header = "# proto-message: AMCTConfig\n# amct-model: models/tiny.onnx\n"
    names = await completion_labels(client, doc_in(folder, "a.cfg"), header + "skip_layers: <|>\n")
    assert names == ["conv1", "relu1", "flat", "fc"]
    kinds = await completion_labels(client, doc_in(folder, "b.cfg"),
                                    header + "override_layer_types { layer_type: \"<|>\" }\n")
    assert set(kinds) == {"Conv", "Relu", "Flatten", "Gemm"}


async def test_hover_shows_the_effective_config(client: LanguageClient, folder: Path) -> None:
    text = ("# proto-message: AMCTConfig\n# amct-model: models/tiny.onnx\n"
            "common_config { ifmr_quantize { search_step: 0.02 } }\n"
            "override_layer_configs { layer_name: \"fc\" calibration_config { arq_quantize { } } }\n")
    uri = doc_in(folder, "c.cfg")
    open_doc(client, text, uri=uri)
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=ident(uri), position=position(text, text.index("\"fc\"") + 1)))
    assert found is not None
    assert "**fc** · `Gemm`" in found.contents.value
    assert "Effective config: **quantized**, block override_layer_configs[0]" in found.contents.value


async def test_model_checks_run(client: LanguageClient, folder: Path) -> None:
    from amct_lang.model import load_model

    text = "# proto-message: AMCTConfig\n# amct-model: models/tiny.onnx\nskip_layers: \"conv9\"\n"
    uri = doc_in(folder, "d.cfg")
    open_doc(client, text, uri=uri)
    got = await diagnostics(client, uri, 1)
    expected = analyze(text, model=load_model(folder / "models" / "tiny.onnx")).diagnostics
    assert [(d.code, d.message) for d in got] == [(d.code, d.message) for d in expected]
    assert any(d.code.startswith("MOD") for d in got)


async def test_a_missing_model_is_reported_on_the_header(client: LanguageClient, folder: Path) -> None:
    text = "# proto-message: AMCTConfig\n# amct-model: models/nowhere.onnx\nskip_layers: \"x\"\n"
    uri = doc_in(folder, "e.cfg")
    open_doc(client, text, uri=uri)
    found = await diagnostics(client, uri, 1)
    problem = found[0]
    assert problem.severity == types.DiagnosticSeverity.Warning and "model not loaded" in problem.message
    start = text.index("models/nowhere.onnx")
    assert problem.range.start == position(text, start)


async def test_model_setting_and_header_wins(client: LanguageClient, folder: Path) -> None:
    other = tiny_model(folder / "other" / "tiny.onnx")
    uri = doc_in(folder, "f.cfg")
    text = "# proto-message: AMCTConfig\nskip_layers: \"conv1\"\n"
    open_doc(client, text, uri=uri)
    assert await diagnostics(client, uri, 1) is not None
    mark = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"amctLang": {"model": str(other), "dialect": "", "lint": {"run": "onType"}}}))
    if not client.capabilities.text_document.diagnostic:
        await published(client, uri, 1, after=mark)
    try:
        names = await completion_labels(client, doc_in(folder, "g.cfg"), "# proto-message: AMCTConfig\n"
                                                                        "skip_layers: <|>\n")
        assert names[0] == "conv1"
        # a header naming a missing model wins over the setting: no layer names then
        names = await completion_labels(client, doc_in(folder, "h.cfg"),
                                        "# amct-model: missing.onnx\nskip_layers: <|>\n")
        assert names == []
    finally:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"amctLang": {"model": "", "dialect": "", "lint": {"run": "onType"}}}))
