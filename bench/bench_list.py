#!/usr/bin/env python3
"""Benchmark: `inv --list` of Symphony vs `inv --list` of a one-task tasks.py.

Both run under this interpreter, interleaved, in the same process; prints the
medians and their ratio. Target (issue 2): ratio <= 1.25.
Usage: python bench/bench_list.py [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_TASK = 'from invoke import task\n\n@task\ndef hello(c):\n    """Say hello."""\n    print("hello")\n'


# As users run it: with the bytecode cache (this machine sets PYTHONDONTWRITEBYTECODE, which
# would make every run recompile every module and measure the compiler, not Symphony).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "invoke", "--list"], cwd=cwd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        baseline_dir = Path(tmp)
        (baseline_dir / "tasks.py").write_text(ONE_TASK)
        timed(baseline_dir), timed(ROOT)  # warm the file cache
        base, ours = [], []
        for _ in range(runs):
            base.append(timed(baseline_dir))
            ours.append(timed(ROOT))
    b, o = statistics.median(base), statistics.median(ours)
    print(f"one-task tasks.py  inv --list  median {b * 1000:7.1f} ms  (n={runs})")
    print(f"Symphony           inv --list  median {o * 1000:7.1f} ms  (n={runs})")
    print(f"ratio {o / b:.2f}x  (target <= 1.25x)")


if __name__ == "__main__":
    main()
