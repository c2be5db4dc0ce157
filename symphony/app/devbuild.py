"""`dev` profile: build each application service whose ../sentiric-<name> checkout exists."""
from __future__ import annotations

from pathlib import Path

from symphony.infra import state

SOURCE_KEY = "x-sentiric-source"
OVERRIDE_FILE = ".compose.dev-build.yml"
BUILT_BY = {"com.sentiric.built-by": "symphony"}


def build_override(model: dict, compose_dir: Path) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """(override compose dict, [(service, checkout)] built from source, [service] using images)."""
    services, built, images = {}, [], []
    for name, svc in sorted(model.get("services", {}).items()):
        source = svc.get(SOURCE_KEY)
        if not source:
            continue
        checkout = (compose_dir / source).resolve()
        if (checkout / "Dockerfile").is_file():
            services[name] = {"build": {"context": str(checkout), "labels": dict(BUILT_BY)}, "pull_policy": "build"}
            built.append((name, str(checkout)))
        else:
            images.append(name)
    return {"services": services}, built, images


def write_override(override: dict) -> Path:
    import yaml

    path = state.STATE_DIR / OVERRIDE_FILE
    state.atomic_write(path, "# written by `inv start --profile dev`; regenerated on every start\n"
                       + yaml.safe_dump(override, sort_keys=True))
    return path
