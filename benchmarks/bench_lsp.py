"""Language-server latency, measured through the real server over stdio (not a timed test).

    python benchmarks/bench_lsp.py [--edits 100] [--blocks 70] [--markdown]

Measures, on the seed example and on a generated 1k-line file:
- start: process spawn -> first publishDiagnostics of an opened document;
- diagnostics: didChange -> publishDiagnostics for that version, one edit at a time (the next edit
  is sent once the previous one's diagnostics arrived, like a user pausing between keystrokes);
- completion: textDocument/completion round trip right after an edit (so it includes waiting
  for the analysis of the new version), at a field-name position inside a nested block;
- initialize: process spawn -> the answer to `initialize`;
- stall: a hover on a small document while a slow one (SLOW_BLOCKS layer blocks, a second or
  more to analyze) is being analyzed, against the same hover with nothing else going on (the
  ratio is what counts; `--slow-text e` uses 16,000 x 'é' instead, slow before the parser fix);
- semanticTokens/full on a 34 kB one-line file ending in an emoji.
Prints p50/p95 per file; --markdown prints the table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from generate import big_config  # noqa: E402

SEED = Path(os.environ.get("AMCT_EXAMPLES", REPO / "examples")) / "calibration_uniform.cfg"
SLOW_BLOCKS = 8000
SLOW_TEXTS = {
    "blocks": lambda: "".join(f'override_layer_configs {{\n  layer_name: "conv{i}"\n'
                              "  calibration_config { arq_quantize { channel_wise: true } }\n}\n"
                              for i in range(SLOW_BLOCKS)),
    "e": lambda: "é" * 16_000,
}


class Server:
    """A minimal JSON-RPC client over the server's stdin/stdout."""

    def __init__(self) -> None:
        # AMCT_LSP_DIR: another copy of lsp/ (an older build, to compare against)
        lsp_dir = os.environ.get("AMCT_LSP_DIR", str(REPO / "lsp"))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([lsp_dir, str(REPO)])}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "amct_lang", "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
        self.inbox: Queue[dict[str, Any]] = Queue()
        self.kept: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line.startswith(b"Content-Length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            message = json.loads(out.read(length))
            message["_t"] = time.perf_counter()
            self.inbox.put(message)

    def send(self, message: dict[str, Any]) -> float:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        t = time.perf_counter()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()
        return t

    def request(self, method: str, params: Any) -> tuple[float, dict[str, Any]]:
        self.next_id += 1
        ident = self.next_id
        t = self.send({"id": ident, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == ident and "method" not in m)
        return reply["_t"] - t, reply

    def notify(self, method: str, params: Any) -> float:
        return self.send({"method": method, "params": params})

    def wait(self, match: Any, timeout: float = 30.0) -> dict[str, Any]:
        """The first message (received, or arriving within `timeout`) that matches; the others
        are kept for later waits."""
        for i, message in enumerate(self.kept):
            if match(message):
                return self.kept.pop(i)
        deadline = time.perf_counter() + timeout
        while True:
            try:
                message = self.inbox.get(timeout=max(0.0, deadline - time.perf_counter()))
            except Empty:
                raise TimeoutError("no answer from the server") from None
            if match(message):
                return message
            self.kept.append(message)

    def diagnostics(self, uri: str, version: int) -> dict[str, Any]:
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                         and m["params"]["uri"] == uri and m["params"].get("version") == version)

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a benchmark that cannot stop the server kills it
            self.proc.kill()


CAPABILITIES = {  # what Neovim 0.7 sends, in short: push diagnostics, plain-text completion
    "textDocument": {"synchronization": {"didSave": True},
                     "publishDiagnostics": {"relatedInformation": True},
                     "completion": {"completionItem": {"snippetSupport": False}}},
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(name: str, text: str, edits: int) -> dict[str, Any]:
    server = Server()
    uri = f"file:///bench/{name}.cfg"
    initialize = _initialize(server)
    item = {"uri": uri, "languageId": "amct-cfg", "version": 1, "text": text}
    server.notify("textDocument/didOpen", {"textDocument": item})
    first = server.diagnostics(uri, 1)["_t"] - server.started

    # the edits: retype a digit of a value in the middle of the file, back and forth
    lines = text.split("\n")
    target = next(i for i in range(len(lines) // 2, len(lines)) if "search_range_start" in lines[i])
    col = lines[target].index("0.") + 2
    nested = next(i for i in range(target, len(lines)) if lines[i].strip() == "}")
    diag_ms: list[float] = []
    comp_ms: list[float] = []
    version = 1
    for k in range(edits):
        version += 1
        digit = str(k % 10)
        t = server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": target, "character": col},
                                          "end": {"line": target, "character": col + 1}}, "text": digit}]})
        got = server.diagnostics(uri, version)
        diag_ms.append((got["_t"] - t) * 1000)
        # completion right after the next edit (another digit: a new text), so it includes
        # waiting for that version's analysis
        version += 1
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": target, "character": col},
                                          "end": {"line": target, "character": col + 1}},
                                "text": str((k + 5) % 10)}]})
        elapsed, reply = server.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": nested, "character": 0}})
        assert reply.get("result") and reply["result"]["items"], reply
        comp_ms.append(elapsed * 1000)
        server.diagnostics(uri, version)
    server.close()
    return {"file": name, "lines": text.count("\n") + 1, "start_s": first, "init_s": initialize,
            "diag_p50": statistics.median(diag_ms), "diag_p95": percentile(diag_ms, 0.95),
            "comp_p50": statistics.median(comp_ms), "comp_p95": percentile(comp_ms, 0.95), "edits": edits}


def _initialize(server: Server) -> float:
    _, reply = server.request("initialize", {"processId": os.getpid(), "rootUri": None,
                                             "capabilities": CAPABILITIES})
    server.notify("initialized", {})
    return float(reply["_t"] - server.started)


def stall(slow_text: str) -> dict[str, float]:
    """Hover on a small document: alone, then while a big document is being analyzed."""
    server = Server()
    _initialize(server)
    small = "file:///bench/small.cfg"
    text = "common_config {\n  activation_offset: true\n}\n"
    server.notify("textDocument/didOpen", {"textDocument": {"uri": small, "languageId": "amct-cfg",
                                                            "version": 1, "text": text}})
    server.diagnostics(small, 1)
    where = {"textDocument": {"uri": small}, "position": {"line": 1, "character": 4}}
    alone = [server.request("textDocument/hover", where)[0] for _ in range(5)]
    big = "file:///bench/slow.cfg"
    t = server.notify("textDocument/didOpen", {"textDocument": {
        "uri": big, "languageId": "amct-cfg", "version": 1, "text": slow_text}})
    time.sleep(0.2)  # the slow analysis is under way
    during = server.request("textDocument/hover", where)[0]
    big_done = server.diagnostics(big, 1)["_t"] - t
    line = "file:///bench/line.cfg"
    one_line = "skip_layers: [" + ", ".join(f'"layer_{i}"' for i in range(2700)) + "]  # 😀"
    server.notify("textDocument/didOpen", {"textDocument": {"uri": line, "languageId": "amct-cfg",
                                                            "version": 1, "text": one_line}})
    server.diagnostics(line, 1)
    tokens = server.request("textDocument/semanticTokens/full", {"textDocument": {"uri": line}})[0]
    server.close()
    return {"alone_ms": statistics.median(alone) * 1000, "during_ms": during * 1000,
            "big_s": big_done, "tokens_ms": tokens * 1000, "line_kb": len(one_line.encode()) / 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--blocks", type=int, default=70, help="blocks of the generated file (14 lines each)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--slow-text", choices=sorted(SLOW_TEXTS), default="blocks")
    args = parser.parse_args()
    results = [measure("seed", SEED.read_text(encoding="utf-8"), args.edits),
               measure("generated", big_config(args.blocks), args.edits)]
    stalled = stall(SLOW_TEXTS[args.slow_text]())
    if args.markdown:
        print("| file | lines | start -> initialize answered | start -> first diagnostics | "
              "didChange -> diagnostics p50 / p95 | completion p50 / p95 |")
        print("|---|---|---|---|---|---|")
        for r in results:
            print(f"| {r['file']} | {r['lines']} | {r['init_s'] * 1000:.0f} ms | "
                  f"{r['start_s'] * 1000:.0f} ms | "
                  f"{r['diag_p50']:.1f} / {r['diag_p95']:.1f} ms | "
                  f"{r['comp_p50']:.1f} / {r['comp_p95']:.1f} ms |")
    else:
        for r in results:
            print(f"{r['file']:>9} ({r['lines']} lines): "
                  f"start->first diagnostics {r['start_s'] * 1000:.0f} ms; "
                  f"diagnostics p50 {r['diag_p50']:.1f} ms p95 {r['diag_p95']:.1f} ms; "
                  f"completion p50 {r['comp_p50']:.1f} ms p95 {r['comp_p95']:.1f} ms ({r['edits']} edits); "
                  f"initialize {r['init_s'] * 1000:.0f} ms")
    print(f"hover on a small document: {stalled['alone_ms']:.1f} ms alone, "
          f"{stalled['during_ms']:.1f} ms while "
          f"a slow document ({args.slow_text}) is analyzed ({stalled['big_s']:.2f} s); semantic tokens of a "
          f"{stalled['line_kb']:.0f} kB one-line file with an emoji: {stalled['tokens_ms']:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
