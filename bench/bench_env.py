#!/usr/bin/env python3
"""Benchmark: `inv env.generate` against the old bash generator, on synthetic configs of 100 and
1,000 services, same machine, same run.

Configs come from ../shared/bench/make_config.py (services x 13 variables, URLs built from other
variables, secrets referenced before they are defined). The old tool is the platform's
scripts/generate-env.sh, which this repository does not ship: pass its path (e.g.
`git -C sentiric-infrastructure show c952a85:scripts/generate-env.sh > /tmp/generate-env.sh`);
it runs in a temporary workspace laid out as it expects (infra/scripts beside sentiric-config).
Both run as users run them: the installed `inv` with Invoke's defaults and the user's environment
(without PYTHONDONTWRITEBYTECODE, which this machine sets and a user's shell does not; see
bench_list.py), and bash. Prints medians, the ratios, and Invoke's own start-up (`inv --version`)
for reference: at 100 services the old tool takes ~5x that start-up, so it bounds the ratio.
Targets (issue 12): >= 5x faster at 100 services, >= 30x at 1,000.
Usage: python bench/bench_env.py OLD_GENERATE_ENV_SH [RUNS]
"""
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKE_CONFIG = ROOT.parent / "shared" / "bench" / "make_config.py"
sys.path.insert(0, str(ROOT))


def median_time(fn, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    if len(sys.argv) < 2 or not Path(sys.argv[1]).is_file():
        sys.exit(__doc__)
    old_tool = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if not MAKE_CONFIG.exists():
        sys.exit(f"bench_env: {MAKE_CONFIG} not found: the old tool's figures were measured on configs it "
                 "builds, so this benchmark needs that checkout beside this one")
    import os
    import shutil

    from symphony.core.envcompiler import compile_env, render_env_file

    inv = [shutil.which("inv") or os.path.join(os.path.dirname(sys.executable), "inv")]
    from _shared import USER_ENV as env
    baseline = median_time(lambda: subprocess.run([*inv, "--version"], check=True, capture_output=True, env=env), runs)
    print(f"baseline  inv --version (Invoke start-up)        {baseline * 1000:7.1f} ms")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 1000):
            workspace = Path(tmp) / f"ws{n}"
            cfg = workspace / "sentiric-config"
            subprocess.run([sys.executable, str(MAKE_CONFIG), str(cfg), str(n)], check=True)
            (workspace / "infra" / "scripts").mkdir(parents=True)
            shutil.copy(old_tool, workspace / "infra" / "scripts" / "generate-env.sh")
            old_argv = ["bash", str(workspace / "infra" / "scripts" / "generate-env.sh"), "dev"]
            old = median_time(lambda old_argv=old_argv: subprocess.run(old_argv, check=True, capture_output=True), runs)
            out = Path(tmp) / f"out{n}.env"
            argv = [*inv, "env.generate", "--profile", "dev", "--config", str(cfg), "--output", str(out)]
            wall = median_time(
                lambda argv=argv: subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, env=env), runs)
            core = median_time(lambda cfg=cfg: render_env_file(compile_env(cfg, "dev"), source_label="bench"), runs)
            results[n] = wall
            lines = sum(1 for _ in out.open())
            print(f"{n:5d} services ({lines} lines)  old generate-env.sh {old * 1000:8.1f} ms   inv env.generate "
                  f"{wall * 1000:7.1f} ms (core {core * 1000:6.1f} ms)  = {old / wall:5.1f}x faster"
                  f"  ({wall / baseline:.2f}x Invoke start-up)")
    print(f"scaling 100 -> 1,000 services: {results[1000] / results[100]:.2f}x time for 10x input"
          "  (targets: >= 5x faster at 100, >= 30x at 1,000)")


if __name__ == "__main__":
    main()
