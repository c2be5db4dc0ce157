#!/usr/bin/env python3
"""Benchmark: `inv --list` of Symphony vs `inv --list` of a one-task tasks.py, as users run it.

A fresh copy of the checkout (`git archive HEAD`: no __pycache__ anywhere), the installed `inv`,
Invoke's defaults. The environment is the user's, except PYTHONDONTWRITEBYTECODE: this machine
sets it, a user's shell does not, and with it set nothing can ever be cached (the README's
install step compiles instead). Prints the first (cold) run, the medians and their ratio.
Target (issue 12): ratio <= 1.10. Symphony's tasks.py also leaves Python's last cycle collection out
of the exit (symphony.core.memory, ~20 ms): a third tasks.py, the one task plus that same
`atexit.register(gc.freeze)`, shows what loading Symphony's tasks costs like for like.
Usage: python bench/bench_list.py [RUNS]
"""
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import ONE_TASK, ONE_TASK_NO_EXIT_COLLECTION, USER_ENV

ROOT = Path(__file__).resolve().parent.parent
INV = shutil.which("inv") or sys.exit("`inv` is not installed: pip install -r requirements.txt")


def timed(cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([INV, "--list"], cwd=cwd, check=True, capture_output=True, env=USER_ENV)
    return time.perf_counter() - start


def fresh_copy(into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        baseline_dir, checkout = Path(tmp) / "one-task", fresh_copy(Path(tmp) / "symphony")
        like_dir = Path(tmp) / "one-task-no-exit-collection"
        for folder, text in ((baseline_dir, ONE_TASK), (like_dir, ONE_TASK_NO_EXIT_COLLECTION)):
            folder.mkdir()
            (folder / "tasks.py").write_text(text)
        cold_base, cold_ours = timed(baseline_dir), timed(checkout)
        base, like, ours = [], [], []
        for _ in range(runs):
            base.append(timed(baseline_dir))
            like.append(timed(like_dir))
            ours.append(timed(checkout))
    b, lk, o = statistics.median(base), statistics.median(like), statistics.median(ours)
    print(f"first run:  one-task {cold_base * 1000:6.1f} ms   Symphony {cold_ours * 1000:6.1f} ms")
    print(f"one-task tasks.py  inv --list  median {b * 1000:7.1f} ms  (n={runs})")
    print(f"  same + exit without the last collection  {lk * 1000:7.1f} ms")
    print(f"Symphony           inv --list  median {o * 1000:7.1f} ms  (n={runs})")
    print(f"ratio {o / b:.2f}x  (target <= 1.10x); like for like {o / lk:.2f}x")


if __name__ == "__main__":
    main()
