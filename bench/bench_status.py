#!/usr/bin/env python3
"""Benchmark: `inv status` on the running demo vs `docker compose ps` of the same project, as users
run them (the installed `inv`, Invoke's defaults, the `docker compose`/`docker-compose` Symphony
uses). Starts the demo under its own project prefix and state dir, measures both interleaved,
prints medians and their ratio, removes what it started. Target (issue 12): ratio <= 2.0.
Also Invoke's floor, `inv hello` from a one-task tasks.py that exits as Symphony's does (without
Python's last cycle collection), so "Symphony's own share" is like for like.
Usage: python bench/bench_status.py [RUNS]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _shared import ONE_TASK_NO_EXIT_COLLECTION, USER_ENV, images_removed_after

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INV = shutil.which("inv") or os.path.join(os.path.dirname(sys.executable), "inv")


def timed(argv, env) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    from symphony.infra.runner import Runner

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    prefix = f"symbench-{uuid.uuid4().hex[:6]}-"
    with tempfile.TemporaryDirectory() as state:
        env = dict(USER_ENV)
        env.update(SYMPHONY_STATE_DIR=state, SYMPHONY_PROJECT_PREFIX=prefix, SENTIRIC_NETWORK=f"{prefix}net",
                   SYMPHONY_LOCK_DIR=os.path.join(state, "locks"), NO_COLOR="1")
        project = f"{prefix}demo"
        compose_ps = [*Runner(echo=False).compose_base, "-p", project, "ps"]
        with images_removed_after(project):
            try:
                subprocess.run([INV, "start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0"], cwd=ROOT, env=env,
                               check=True, capture_output=True)
                floor_dir = Path(state) / "one-task"
                floor_dir.mkdir()
                (floor_dir / "tasks.py").write_text(ONE_TASK_NO_EXIT_COLLECTION)
                timed([INV, "status"], env), timed(compose_ps, env)  # first runs: caches, like a user's second call
                ours, theirs, floor = [], [], []
                for _ in range(runs):
                    ours.append(timed([INV, "status"], env))
                    theirs.append(timed(compose_ps, env))
                    start = time.perf_counter()
                    subprocess.run([INV, "hello"], cwd=floor_dir, env=env, check=True, capture_output=True)
                    floor.append(time.perf_counter() - start)
            finally:
                subprocess.run([INV, "stop", "--volumes", "--yes"], cwd=ROOT, env=env, capture_output=True)
                subprocess.run(["docker", "network", "rm", f"{prefix}net"], capture_output=True)
    o, t, f = statistics.median(ours), statistics.median(theirs), statistics.median(floor)
    print(f"docker compose ps          median {t * 1000:7.1f} ms  (n={runs})")
    print(f"inv status                 median {o * 1000:7.1f} ms  (n={runs})")
    print(f"inv hello (one-task file)  median {f * 1000:7.1f} ms  (Python + Invoke before any task code; exit as ours)")
    print(f"ratio {o / t:.2f}x  (target <= 2.0x); Symphony's own share: {(o - f) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
