#!/usr/bin/env python3
"""Benchmark: `inv start --profile demo` vs plain `docker compose up -d --wait` (issue 4).

Same compose file, same generated env, same engine, interleaved runs, each from a removed
stack (volumes kept out of it: every run starts on a fresh project). Prints medians, the
overhead (target <= 10% or <= 0.3 s), and time-to-all-healthy against the critical path of
the health chain, read from the engine's own events (target <= 1.2x), two ways:
  - against the services' own start -> ready times (the engine's start latency on each hop counts
    as overhead), and
  - against the fastest chain this engine allows: each dependent started the instant its
    dependencies were ready, plus the engine's start latency for that container (request -> start
    event; the request is a `docker start` call, as Symphony makes it), measured in the same run by
    starting the services one at a time in dependency order.
The difference between the two is the engine; the per-hop remainder is Symphony's reaction.
Usage: python bench/bench_start.py [RUNS] [DELAY]   (needs Docker; uses project symbench-demo)
DELAY is each demo service's simulated start-up time in seconds (DEMO_STARTUP_DELAY, default 1).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import images_removed_after

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "symbench-"
PROJECT = PREFIX + "demo"
NETWORK = PREFIX + "net"  # its own platform network: a user's sentiric-net is neither needed nor touched
os.environ["SENTIRIC_NETWORK"] = NETWORK  # for Compose here and for every `inv` this bench runs


def sh(*argv, **kw):
    return subprocess.run(list(argv), check=True, capture_output=True, text=True, **kw)


def compose_base():
    from symphony.infra.runner import Runner

    return Runner(echo=False).compose_base


def down():
    sh(*compose_base(), "-p", PROJECT, "down", "--volumes", "--remove-orphans")


def timed_compose(env_file):
    t = time.perf_counter()
    sh(*compose_base(), "-p", PROJECT, "-f", str(ROOT / "compose/demo.yml"), "--env-file", str(env_file),
       "up", "-d", "--wait", "--remove-orphans")
    return time.perf_counter() - t


EVENTS = ["docker", "events", "--format", "{{json .}}", "--filter", "type=container", "--filter", "event=start",
          "--filter", "event=health_status", "--filter", "event=die",
          "--filter", f"label=com.docker.compose.project={PROJECT}"]


def timed_inv(state_dir, delay):
    env = dict(os.environ, SYMPHONY_STATE_DIR=str(state_dir), SYMPHONY_PROJECT_PREFIX=PREFIX, NO_COLOR="1")
    events = subprocess.Popen(EVENTS, stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    t = time.perf_counter()
    sh(sys.executable, "-m", "invoke", "start", "--offline", "--set", f"DEMO_STARTUP_DELAY={delay}", cwd=ROOT, env=env)
    took = time.perf_counter() - t
    time.sleep(0.3)
    events.terminate()
    out, _ = events.communicate()
    return took, [json.loads(line) for line in out.splitlines() if line.strip()]


def watch_events():
    """The project's start/health/die events, as a queue fed by `docker events`."""
    import queue
    import threading

    proc = subprocess.Popen(EVENTS, stdout=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(json.loads(x)) for x in proc.stdout if x.strip()], daemon=True).start()
    return proc, lines


def topological(model):
    order, seen = [], set()

    def visit(s):
        if s not in seen:
            seen.add(s)
            for d in model["services"][s].get("depends_on") or {}:
                visit(d)
            order.append(s)
    for s in sorted(model["services"]):
        visit(s)
    return order


def engine_latencies(env_file, model):
    """Per service, the engine's start latency (`docker start` request -> its start event), each
    started alone once its dependencies are ready, so nothing else contends."""
    sh(*compose_base(), "-p", PROJECT, "-f", str(ROOT / "compose/demo.yml"), "--env-file", str(env_file),
       "create", "--remove-orphans")
    proc, events = watch_events()
    time.sleep(0.3)
    latency = {}
    try:
        for svc in topological(model):
            asked = time.time_ns()
            sh("docker", "start", f"{PROJECT}-{svc}-1")
            started = None
            while True:
                e = events.get(timeout=120)
                if e["Actor"]["Attributes"].get("com.docker.compose.service") != svc:
                    continue
                if e["Action"] == "start":
                    started = e["timeNano"]
                    latency[svc] = (started - asked) / 1e9
                elif e["Action"] in ("health_status: healthy", "die") and started:
                    break
    finally:
        proc.terminate()
        down()
    return latency


def engine_start_cost(runs=5):
    """Median wall time of `docker start` for an already-created container on the bench's network."""
    times = []
    for i in range(runs):
        name = f"symbench-probe-{i}"
        try:
            sh("docker", "create", "--name", name, "--network", NETWORK, "busybox:1.35", "sleep", "30")
            t = time.perf_counter()
            sh("docker", "start", name)
            times.append(time.perf_counter() - t)
        finally:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return statistics.median(times)


def hops(model):
    def depth(s):
        deps = model["services"][s].get("depends_on") or {}
        return 1 + max((depth(d) for d in deps), default=0)
    return max(depth(s) for s in model["services"]) - 1


def critical_path(events, model, latency=None):
    """Longest dependency chain of (start -> ready) durations, and first start -> last ready.
    With `latency`, every service after a chain's first also pays the engine's start latency."""
    start, ready = {}, {}
    for e in events:
        svc = e["Actor"]["Attributes"]["com.docker.compose.service"]
        if e["Action"] == "start":
            start.setdefault(svc, e["timeNano"])
        elif e["Action"] in ("health_status: healthy", "die"):
            ready.setdefault(svc, e["timeNano"])
    own = {s: (ready[s] - start[s]) / 1e9 for s in start if s in ready}

    def chain(s):
        deps = (model["services"][s].get("depends_on") or {})
        if not deps:
            return own[s]
        return (latency or {}).get(s, 0.0) + own[s] + max(chain(d) for d in deps)

    return max(chain(s) for s in own), (max(ready.values()) - min(start.values())) / 1e9


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    delay = sys.argv[2] if len(sys.argv) > 2 else "1"
    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp)
        env = dict(os.environ, SYMPHONY_STATE_DIR=str(state_dir), SYMPHONY_PROJECT_PREFIX=PREFIX)
        sh(sys.executable, "-m", "invoke", "env.generate", "--profile", "demo", "--set", f"DEMO_STARTUP_DELAY={delay}",
           cwd=ROOT, env=env)
        env_file = state_dir / ".env.generated"
        model = json.loads(sh(*compose_base(), "-f", str(ROOT / "compose/demo.yml"), "--env-file", str(env_file),
                              "config", "--format", "json").stdout)
        base, ours, ratios, engine_ratios = [], [], [], []
        with images_removed_after(PROJECT):
            try:
                down()
                # (`inv start` would make the network)
                subprocess.run(["docker", "network", "create", NETWORK], capture_output=True)
                timed_compose(env_file), down()  # warm the build cache
                latency = engine_latencies(env_file, model)
                for _ in range(runs):
                    base.append(timed_compose(env_file))
                    down()
                    took, events = timed_inv(state_dir, delay)
                    down()
                    ours.append(took)
                    path, healthy = critical_path(events, model)
                    ratios.append(healthy / path)
                    engine_ratios.append(healthy / critical_path(events, model, latency)[0])
                start_cost = engine_start_cost()
            finally:
                down()
                subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True)
    chained = [s for s in topological(model) if model["services"][s].get("depends_on")]
    b, o = statistics.median(base), statistics.median(ours)
    print(f"demo services' simulated start-up: {delay} s each")
    print(f"docker compose up -d --wait  median {b:6.2f} s  (n={runs})")
    print(f"inv start --profile demo     median {o:6.2f} s  (n={runs}; includes env.generate, compose.check, config)")
    print(f"overhead {o - b:+.2f} s = {o / b:.2f}x  (target <= 1.10x or <= 0.3 s)")
    print("time-to-all-healthy / critical path of the health chain (target <= 1.2x):")
    print(f"  vs the services' own start -> ready times:                  median {statistics.median(ratios):.2f}x")
    print("  vs the fastest chain this engine allows (+ start latency):  "
          f"median {statistics.median(engine_ratios):.2f}x")
    print("  the engine's start latency per dependent, measured alone: "
          + ", ".join(f"{s} {latency[s]:.2f}s" for s in chained))
    print(f"  for reference: the engine needs {start_cost:.2f} s to start one container (docker start, median of 5);"
          f" the chain has {hops(model)} hops after its first service")


if __name__ == "__main__":
    main()
