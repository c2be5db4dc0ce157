"""Builds stand-in images tagged with the real platform image names (no registry here)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from symphony.core import catalog

CONTEXT = Path(__file__).resolve().parent / "standin"
DATA_DELAY, APP_DELAY = 2, 1


def image_name(svc: catalog.Service, tag: str = "latest") -> str:
    return svc.image_ref.replace("${TAG:-latest}", tag)


# the observability backends that cannot be pulled here, with the ports their healthchecks
# and the services' OTLP exporters use (Prometheus itself runs for real)
OBS_STANDINS = {"grafana/grafana:11.6.0": "3000", "grafana/loki:3.5.0": "3100",
                "grafana/alloy:v1.8.3": "12345", "grafana/tempo:2.7.2": "3200 4318"}


def build_image(image: str, ports: str, delay: int) -> None:
    """Build a stand-in tagged `image`, unless that tag is a real image of the developer's: a
    test never takes a real tag away (the test is skipped instead, saying why)."""
    label = subprocess.run(["docker", "image", "inspect", "--format",
                            '{{index .Config.Labels "com.sentiric.test-standin"}}', image],
                           capture_output=True, text=True)
    if label.returncode == 0 and label.stdout.strip() != "true":
        import pytest

        pytest.skip(f"{image} is a real image on this engine; the stand-in would take its tag")
    subprocess.run(
        ["docker", "build", "-q", "-t", image, "--build-arg", f"STANDIN_PORTS={ports}",
         "--build-arg", f"STANDIN_DELAY={delay}", str(CONTEXT)],
        check=True, capture_output=True, text=True, timeout=300,
    )


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
