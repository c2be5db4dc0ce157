#!/usr/bin/env python3
"""Benchmark: k8s export of a synthetic compose model (100 and 1,000 services) → validated manifests.

Baseline in the same process: yaml.safe_dump of the input model (what any converter must at
least read and write). Prints wall times, the ratio to the baseline and the scaling 100 → 1,000.
Target (issue 6): 100 services → validated manifests in <= 2 s.
Usage: python bench/bench_k8s.py
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def synthetic(n: int) -> dict:
    services = {}
    for i in range(n):
        name = f"svc-{i:04d}"
        services[name] = {
            "image": f"ghcr.io/sentiric/{name}:latest",
            "environment": {"LOG_LEVEL": "info", f"SVC_{i}_URL": f"http://{name}:8080",
                            "DB_PASSWORD": f"pw{i}", "DATABASE_URL": f"postgres://u:p{i}@db:5432/x"},
            "expose": ["8080", "9090"],
            "healthcheck": {"test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health"],
                            "interval": "5s", "timeout": "3s", "retries": 3, "start_period": "30s"},
            "depends_on": {f"svc-{i - 1:04d}": {"condition": "service_healthy"}} if i else {},
            "deploy": {"resources": {"limits": {"memory": "536870912", "cpus": "0.5"}}},
            "labels": {"com.sentiric.metrics.port": "9090"},
            "volumes": [{"type": "volume", "source": f"data-{i}", "target": "/data"}] if i % 10 == 0 else [],
        }
    return {"services": services, "volumes": {f"data-{i}": {} for i in range(0, n, 10)}}


def export_and_validate(model: dict) -> int:
    from symphony.core.kube.checks import check_manifests
    from symphony.core.kube.convert import convert
    from symphony.core.kube.emit import dump_all

    result = convert(model, profile="bench", namespace="bench")
    dump_all(result.manifests)
    from symphony.core.kube.schema import schema_errors

    for obj in result.manifests:
        assert not schema_errors(obj, "1.31")
    assert not check_manifests(result.manifests)
    return len(result.manifests)


def timed(fn, *args, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    import yaml

    start = time.perf_counter()
    export_and_validate(synthetic(5))  # imports + loading the schemas once per process, as k8s.validate does
    print(f"one-time cost (imports, schema load): {time.perf_counter() - start:.2f} s")
    results = {}
    for n in (100, 1000):
        model = synthetic(n)
        base = timed(lambda m: yaml.safe_dump(m), model)
        ours = timed(export_and_validate, model)
        results[n] = ours
        print(f"{n:5d} services: export+validate {ours:6.2f} s  | baseline yaml.safe_dump(model) {base:6.3f} s "
              f"| ratio {ours / base:5.1f}x  | objects {export_and_validate(model)}")
    print(f"scaling 100 -> 1,000 services: {results[1000] / results[100]:.1f}x time for 10x services")
    print(f"target: 100 services <= 2 s -> {'met' if results[100] <= 2 else 'NOT met'} ({results[100]:.2f} s)")


if __name__ == "__main__":
    main()
