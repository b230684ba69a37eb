"""The report: JSON with every layer's numbers and provenance, and one self-contained HTML page
(inline SVG chart, no script, no network), checked in headless Chromium when it is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from amct_lang.executor.ptq import quantize

from .onnx_models import residual_net, samples, write_case

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CFG = '# amct-dialect: calibration-onnx\nbatch_num: 2\nskip_layers: "conv3"\n'


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("report")
    model, data, cfg = write_case(folder / "in", residual_net(), {"x": samples((3, 8, 8))}, CFG)
    result = quantize(
        cfg, model, data=data, batch_size=4, output=folder / "net", report_batches=2, labels=np.arange(8) % 4
    )
    report = json.loads((folder / "net_report.json").read_text())
    assert report == json.loads(json.dumps(result.report, default=str))
    return report, (folder / "net_report.html").read_text()


def test_json_has_every_layer_with_provenance(outputs: tuple[dict, str]) -> None:  # type: ignore[type-arg]
    report, _ = outputs
    names = [x["name"] for x in report["layers"]]
    assert names == ["conv1", "conv2", "avgpool", "fc"]
    conv1 = report["layers"][0]
    assert conv1["config"]["block"] == "default: no common_config"  # built-in defaults
    assert conv1["config"]["activation.asymmetric"].startswith("true (activation_offset")
    assert conv1["config"]["bn_fusion"].startswith("true")
    assert isinstance(conv1["weights"]["sqnr_db"], float) and conv1["weights"]["channels"] == 8
    assert 0.9 < conv1["output_cosine"] <= 1.0 and isinstance(conv1["output_sqnr_db"], float)
    assert report["summary"]["skipped"] == [
        {"layer": "conv3", "type": "Conv", "why": "skip_layers[0], line 3"}
    ]
    assert report["summary"]["report_batches"] == 2 and len(report["summary"]["weakest_layers"]) == 3
    end = report["end_to_end"][0]
    assert {"cosine", "sqnr_db", "top1_agreement", "accuracy_float", "accuracy_fake_quant"} <= set(end)


def test_html_is_self_contained(outputs: tuple[dict, str]) -> None:  # type: ignore[type-arg]
    _, page = outputs
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert not re.search(r"<script|<link|<img|<iframe|https?://(?!www\.w3\.org/2000/svg)", page)
    assert page.count("<rect") == 4  # one bar per quantized layer


def test_html_renders_in_chromium(outputs: tuple[dict, str], tmp_path: Path) -> None:  # type: ignore[type-arg]
    if CHROMIUM is None:
        if CI:
            pytest.fail("chromium is not installed on CI (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    _, page_text = outputs
    page_file = tmp_path / "report.html"
    page_file.write_text(page_text)
    requests: list[str] = []
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        bars = page.eval_on_selector_all("svg rect", "els => els.map(e => e.getBoundingClientRect().width)")
        rows = page.eval_on_selector_all("table tr", "els => els.length")
        weak = page.eval_on_selector_all("tr.weak", "els => els.length")
        title = page.title()
        browser.close()
    assert requests == [page_file.as_uri()]  # nothing fetched but the page itself
    assert len(bars) == 4 and all(w > 0 for w in bars)
    assert rows == 5 and weak == 3
    assert title == "amct-lang PTQ report"
