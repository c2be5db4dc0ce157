"""Builds stand-in images for the platform's images (no registry is reachable here).

They are tagged under the stand-in registry (tests/stack_helpers.STANDIN_REGISTRY), never under
a real image's name, and the compose files are pointed there with SENTIRIC_REGISTRY and
DOCKERHUB_MIRROR; the session's teardown removes them (tests/conftest.py)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from symphony.core import catalog
from tests.stack_helpers import STANDIN_REGISTRY, STANDIN_SETTINGS

CONTEXT = Path(__file__).resolve().parent / "standin"
DATA_DELAY, APP_DELAY = 2, 1
STANDIN_LABEL = "com.sentiric.test-standin"


def resolve(reference: str, tag: str = "latest") -> str:
    """A compose image reference with the stand-in registry's values substituted."""
    values = {**STANDIN_SETTINGS, "TAG": tag}
    return re.sub(r"\$\{([A-Z_]+)(?::-[^}]*)?\}", lambda m: values[m.group(1)], reference)


def image_name(svc: catalog.Service, tag: str = "latest") -> str:
    return resolve(svc.image_ref, tag)


# the observability backends that cannot be pulled here, with the ports their healthchecks
# and the services' OTLP exporters use (Prometheus itself runs for real)
OBS_STANDINS = {f"{STANDIN_REGISTRY}/grafana/grafana:11.6.0": "3000", f"{STANDIN_REGISTRY}/grafana/loki:3.5.0": "3100",
                f"{STANDIN_REGISTRY}/grafana/alloy:v1.8.3": "12345", f"{STANDIN_REGISTRY}/grafana/tempo:2.7.2": "3200 4318"}
PROMETHEUS_IMAGE = f"{STANDIN_REGISTRY}/prom/prometheus:v2.53.3"


def build_image(image: str, ports: str, delay: int) -> None:
    assert image.startswith(STANDIN_REGISTRY + "/"), f"{image}: a stand-in must never take a real image's name"
    subprocess.run(
        ["docker", "build", "-q", "-t", image, "--build-arg", f"STANDIN_PORTS={ports}",
         "--build-arg", f"STANDIN_DELAY={delay}", str(CONTEXT)],
        check=True, capture_output=True, text=True, timeout=300,
    )


def build_prometheus(root: Path) -> str:
    """The real Prometheus (Debian's binary) in a local image under the stand-in registry."""
    subprocess.run(["bash", "scripts/make-prometheus-image.sh", PROMETHEUS_IMAGE], cwd=root, check=True,
                   capture_output=True)
    return PROMETHEUS_IMAGE


def build_obs_standins() -> list[str]:
    for image, ports in OBS_STANDINS.items():
        build_image(image, ports, APP_DELAY)
    return list(OBS_STANDINS)


def build_standins(profile: str) -> list[str]:
    """Build (or reuse from cache) one stand-in per service image of `profile`."""
    built = []
    for name in catalog.PROFILES[profile]:
        svc = catalog.SERVICES[name]
        image = image_name(svc)
        if image in built:
            continue
        build_image(image, " ".join(str(p) for p in svc.tcp), DATA_DELAY if svc.data else APP_DELAY)
        built.append(image)
    return built


def remove_standins() -> None:
    """Every image this session tagged under the stand-in registry (and the labelled builds)."""
    refs = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                          text=True).stdout.split()
    ours = [r for r in refs if r.startswith(STANDIN_REGISTRY + "/")]
    if ours:
        subprocess.run(["docker", "image", "rm", "-f", *ours], capture_output=True)
