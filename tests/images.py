"""Untagged images this project leaves on the engine (a stand-in or demo image whose tag a later
build took, or one of two parallel builds of one Dockerfile): what the test session and the
benchmarks remove after themselves. Only images made since `before` and labelled as a test
stand-in or as built by Symphony are touched."""
from __future__ import annotations

import json
import subprocess


def untagged_images() -> set[str]:
    res = subprocess.run(["docker", "images", "-q", "--no-trunc", "--filter", "dangling=true"],
                         capture_output=True, text=True, timeout=60)
    return set(res.stdout.split())


def built_by_tests_or_symphony(image_id: str) -> bool:
    res = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image_id],
                         capture_output=True, text=True, timeout=60)
    labels = json.loads(res.stdout or "null") or {}
    return labels.get("com.sentiric.test-standin") == "true" or labels.get("com.sentiric.built-by") == "symphony"


def remove_untagged_since(before: set[str]) -> None:
    ours = [i for i in untagged_images() - before if built_by_tests_or_symphony(i)]
    if ours:
        subprocess.run(["docker", "image", "rm", *ours], capture_output=True, timeout=120)
