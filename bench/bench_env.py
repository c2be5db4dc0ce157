#!/usr/bin/env python3
"""Benchmark: `inv env.generate` on synthetic configs of 100 and 1,000 services.

Configs come from ../shared/bench/make_config.py (services x 13 variables, URLs built
from other variables, secrets referenced before they are defined). Prints wall times of the
real entry point (an `inv` subprocess) and of the core alone, the scaling from 100 to
1,000, and ratios against (a) the old generate-env.sh's measured 0.9 s / 9.5 s and
(b) a baseline run in this same process: `inv --version` (Invoke's own start-up).
Usage: python bench/bench_env.py [RUNS]
"""
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKE_CONFIG = ROOT.parent / "shared" / "bench" / "make_config.py"
OLD_TOOL = {100: 0.9, 1000: 9.5}
sys.path.insert(0, str(ROOT))


def median_time(fn, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if not MAKE_CONFIG.exists():
        sys.exit(f"bench_env: {MAKE_CONFIG} not found: the old tool's figures were measured on configs it "
                 "builds, so this benchmark needs that checkout beside this one")
    from symphony.core.envcompiler import compile_env, render_env_file

    inv = [sys.executable, "-m", "invoke"]
    baseline = median_time(lambda: subprocess.run([*inv, "--version"], check=True, capture_output=True), runs)
    print(f"baseline  inv --version (Invoke start-up)        {baseline * 1000:7.1f} ms")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 1000):
            cfg = Path(tmp) / f"cfg{n}"
            subprocess.run([sys.executable, str(MAKE_CONFIG), str(cfg), str(n)], check=True)
            out = Path(tmp) / f"out{n}.env"
            argv = [*inv, "env.generate", "--profile", "dev", "--config", str(cfg), "--output", str(out)]
            wall = median_time(lambda: subprocess.run(argv, cwd=ROOT, check=True, capture_output=True), runs)
            core = median_time(lambda: render_env_file(compile_env(cfg, "dev"), source_label="bench"), runs)
            results[n] = wall
            lines = sum(1 for _ in out.open())
            print(f"{n:5d} services ({lines} lines)  inv env.generate {wall * 1000:7.1f} ms"
                  f"  core {core * 1000:7.1f} ms  = {OLD_TOOL[n] / wall:5.1f}x faster than the old tool"
                  f"  ({wall / baseline:.2f}x Invoke start-up)")
    print(f"scaling 100 -> 1,000 services: {results[1000] / results[100]:.2f}x time for 10x input"
          f"  (targets: >= 4x and >= 25x faster than the old tool; linear)")


if __name__ == "__main__":
    main()
