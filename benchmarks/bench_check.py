"""Full check (parse + schema + rules) against protobuf's own text_format.Parse, and whole-process
start-up of `amct-lang check` against `python -c "import google.protobuf.text_format"`.

Run: python benchmarks/bench_check.py [--repeat N]. Prints ratios; lower is better, the targets
are <= 1.0 for the big file and <= 2.0 for process start-up.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import big_config  # noqa: E402
from google.protobuf import text_format  # noqa: E402

from amct_lang.analysis import analyze  # noqa: E402
from amct_lang.schema import load  # noqa: E402

SEED = Path(__file__).resolve().parents[2] / "shared" / "examples" / "calibration_uniform.cfg"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def process_time(cmd: list[str], repeat: int) -> float:
    return best(lambda: subprocess.run(cmd, check=False, capture_output=True), repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    schema = load()
    cls = schema.message_class(schema.top("calibration"))
    rows = []
    inputs = {"seed example": SEED.read_text(encoding="utf-8"), "28k-line file": big_config(2000)}
    for label, text in inputs.items():
        ours = best(lambda text=text: analyze(text, "calibration"), args.repeat)
        ref = best(lambda text=text: text_format.Parse(text, cls()), args.repeat)
        rows.append((label, len(text.splitlines()), ours, ref))
    print(f"{'input':<16}{'lines':>7}{'amct-lang check':>18}{'text_format.Parse':>20}{'ratio':>8}")
    for label, lines, ours, ref in rows:
        print(f"{label:<16}{lines:>7}{ours * 1000:>15.2f} ms{ref * 1000:>17.2f} ms{ours / ref:>8.2f}")
    exe = shutil.which("amct-lang")
    if exe:
        ours = process_time([exe, "check", str(SEED)], args.repeat)
        ref = process_time([sys.executable, "-c", "import google.protobuf.text_format"], args.repeat)
        print(f"{'process: amct-lang check seed':<34}{ours * 1000:>9.1f} ms")
        print(f"{'process: import text_format':<34}{ref * 1000:>9.1f} ms   ratio {ours / ref:.2f}")
    else:
        print("amct-lang is not installed: skipping the whole-process comparison")


if __name__ == "__main__":
    main()
