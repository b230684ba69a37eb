"""Adversarial inputs at size n and 2n, timed side by side: the ratio shows whether a path is
linear (about 2) or worse (4 and up for a quadratic one).

    python benchmarks/bench_adversarial.py [--scale S] [--repeat R]

Each time is the best of R runs of `analyze` (and for the fmt/fix kinds, that feature too).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from amct_lang.analysis import analyze

# kind -> text of size n (n is in "units": each kind picks a unit that makes n = 1 take a few ms)
KINDS: dict[str, Callable[[int], str]] = {
    "backslash run": lambda n: "skip_layers: '" + "\\" * (40000 * n) + "'\n",
    "stray non-ASCII": lambda n: "中" * (2000 * n) + "\n",
    "stray non-ASCII lines": lambda n: "中文\n" * (1000 * n),
    "unclosed nesting": lambda n: "common_config {" * (1000 * n),
    "deep nesting": lambda n: "a {" * (2000 * n) + "}" * (2000 * n),
    "long line": lambda n: "skip_layers: 'x' " * (1000 * n),
    "many errors": lambda n: "a: 1 @\n" * (1000 * n),
}


def best_time(text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        analyze(text)
        times.append(time.perf_counter() - start)
    return min(times)


def ratios(scale: int = 1, repeat: int = 3) -> dict[str, tuple[float, float]]:
    """kind -> (time at n, time at 2n), measured alternately so that load affects both alike."""
    out = {}
    for kind, make in KINDS.items():
        small, large = make(scale), make(2 * scale)
        analyze(small)  # warm-up: imports, caches
        pairs = [(best_time(small, 1), best_time(large, 1)) for _ in range(repeat)]  # alternately
        out[kind] = (min(p[0] for p in pairs), min(p[1] for p in pairs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'input':24} {'n (s)':>9} {'2n (s)':>9} {'ratio':>6}")
    for kind, (small, large) in ratios(args.scale, args.repeat).items():
        print(f"{kind:24} {small:9.4f} {large:9.4f} {large / small:6.2f}")


if __name__ == "__main__":
    main()
