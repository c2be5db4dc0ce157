"""Builds stand-in images tagged with the real platform image names (no registry here)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tasks import catalog

CONTEXT = Path(__file__).resolve().parent / "standin"
DATA_DELAY, APP_DELAY = 2, 1


def image_name(svc: catalog.Service, tag: str = "latest") -> str:
    return svc.image_ref.replace("${TAG:-latest}", tag)


def build_standins(profile: str) -> list[str]:
    """Build (or reuse from cache) one stand-in per service image of `profile`."""
    built = []
    for name in catalog.PROFILES[profile]:
        svc = catalog.SERVICES[name]
        image = image_name(svc)
        if image in built:
            continue
        ports = " ".join(str(p) for p in svc.tcp)
        delay = DATA_DELAY if svc.data else APP_DELAY
        subprocess.run(
            ["docker", "build", "-q", "-t", image, "--build-arg", f"STANDIN_PORTS={ports}",
             "--build-arg", f"STANDIN_DELAY={delay}", str(CONTEXT)],
            check=True, capture_output=True, text=True, timeout=300,
        )
        built.append(image)
    return built
