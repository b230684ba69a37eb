"""Completion over LSP: field names, values, header, in broken files, with each editor's
capabilities (snippets for VS Code, plain text for Neovim 0.7), UTF-16 positions."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import MARKS, ident, open_doc, position, replace_all, split_marker

pytestmark = MARKS


async def complete(client: LanguageClient, source: str) -> tuple[str, str, list[types.CompletionItem]]:
    text, at = split_marker(source)
    uri = open_doc(client, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=ident(uri), position=position(text, at)))
    assert isinstance(result, types.CompletionList)
    return uri, text, sorted(result.items, key=lambda i: i.sort_text or i.label)


def snippets(client: LanguageClient) -> bool:
    caps = client.capabilities
    item = caps.text_document.completion.completion_item if caps and caps.text_document else None
    return bool(item and item.snippet_support)


async def test_field_names_of_the_enclosing_message(client: LanguageClient) -> None:
    _, _, items = await complete(client, "# proto-message: AMCTConfig\ncommon_config {\n    ifmr_quantize {\n"
                                         "        search_step: 0.1\n        <|>\n    }\n}\n")
    labels = [i.label for i in items]
    assert labels[:2] == ["search_range_start", "search_range_end"]
    assert "search_step" not in labels and "channel_wise" not in labels
    first = items[0]
    assert first.kind == types.CompletionItemKind.Field
    assert first.detail == "optional float = 0.7"
    assert first.documentation is not None


async def test_insert_text_by_type(client: LanguageClient) -> None:
    _, text, items = await complete(client, "# proto-message: AMCTConfig\ncommon_config {\n    <|>\n}\n")
    by_label = {i.label: i for i in items}
    block = by_label["arq_quantize"].text_edit
    enum_like = by_label["weight_compress_only"]
    assert isinstance(block, types.TextEdit)
    if snippets(client):
        assert block.new_text == "arq_quantize {\n        $0\n    }"
        assert enum_like.insert_text_format == types.InsertTextFormat.Snippet
        assert enum_like.text_edit.new_text == "weight_compress_only: ${1|false,true|}"
        assert by_label["arq_quantize"].insert_text_mode == types.InsertTextMode.AsIs
    else:
        assert block.new_text == "arq_quantize {\n        \n    }"
        assert enum_like.insert_text_format == types.InsertTextFormat.PlainText
        assert enum_like.text_edit.new_text == "weight_compress_only: "
    at = text.index("\n    \n") + 5
    assert block.range.start == block.range.end == position(text, at)


async def test_required_first_and_set_fields_hidden(client: LanguageClient) -> None:
    _, _, items = await complete(client, "# proto-message: AMCTConfig\noverride_layer_configs {\n  <|>\n}\n")
    assert [i.label for i in items] == ["layer_name", "calibration_config"]


async def test_enum_values_replace_the_word(client: LanguageClient) -> None:
    source = ("# proto-message: AMCTDistillConfig\n"
              "distill_data_quant_config { ulq_quantize { dst_type: IN<|> } }\n")
    _, text, items = await complete(client, source)
    # INT4 activations with the default INT8 weights would be an error (DST002): not offered
    assert [i.label for i in items] == ["INT8"]
    edit = items[0].text_edit
    start = text.index("IN ")
    assert edit.range.start == position(text, start) and edit.range.end == position(text, start + 2)


async def test_bools_and_header(client: LanguageClient) -> None:
    _, _, items = await complete(client, "# proto-message: AMCTConfig\ndo_fusion: <|>\n")
    assert [i.label for i in items] == ["true", "false"]
    _, _, items = await complete(client, "# proto-message: <|>\n")
    assert {"AMCTConfig", "AMCTDistillConfig"} <= {i.label for i in items}
    _, _, items = await complete(client, "# amct-dialect: <|>\n")
    assert "calibration-onnx" in {i.label for i in items}


async def test_inside_a_broken_file(client: LanguageClient) -> None:
    _, _, items = await complete(client, "# proto-message: AMCTConfig\nactivation_offset: @@ }}\n"
                                         "common_config {\n  ifmr_quantize {\n    search_step:\n"
                                         "    max_percentile: 0.9.9\n    <|>\n")
    labels = {i.label for i in items}
    assert {"search_range_start", "dst_type"} <= labels
    assert "max_percentile" not in labels


async def test_positions_after_chinese_and_astral_characters(client: LanguageClient) -> None:
    # the cursor column differs between UTF-16 (what LSP sends) and code points
    source = ("# proto-message: AMCTConfig\n"
              "skip_layers: \"层𝛼\" common_config { arq_quantize { channel_wise: t<|> } }\n")
    _, text, items = await complete(client, source)
    assert [i.label for i in items] == ["true", "false"]
    edit = items[0].text_edit
    at = text.index(" t ") + 1
    assert edit.range.start == position(text, at)
    assert edit.range.end == position(text, at + 1)


async def test_after_an_edit(client: LanguageClient) -> None:
    text = "# proto-message: AMCTConfig\n\n"
    uri = open_doc(client, text)
    replace_all(client, uri, 2, "# proto-message: AMCTConfig\ncommon_config { arq_quantize {  } }\n")
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=ident(uri), position=types.Position(line=1, character=31)))
    # `asymmetric: true` without weight_compress_only is CAL004 (false is its default): not offered
    assert {"channel_wise"} == {i.label for i in result.items}
