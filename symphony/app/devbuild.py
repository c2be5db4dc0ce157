"""`dev` profile: build each Sentiric service whose checkout exists in the sources directory
(SYMPHONY_SOURCES_DIR, default: this repository's parent, where `../sentiric-<name>` checkouts
live beside it). `build_override` decides; `dev_build_override` writes the override file."""
from __future__ import annotations

from pathlib import Path

from symphony.infra import state

SOURCE_KEY = "x-sentiric-source"
OVERRIDE_FILE = ".compose.dev-build.yml"
BUILT_BY = {"com.sentiric.built-by": "symphony"}
IMAGE_PROJECT_LABEL = "com.sentiric.project"  # which project built it: `clean` removes only its own projects' images


def build_override(model: dict, sources_dir: Path, project: str) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """(override compose dict, [(service, checkout)] built from source, [service] using images).
    `x-sentiric-source` names the checkout directory inside `sources_dir`; the images are labelled
    as built by Symphony for `project`."""
    services, built, images = {}, [], []
    for name, svc in sorted(model.get("services", {}).items()):
        source = svc.get(SOURCE_KEY)
        if not source:
            continue
        checkout = (sources_dir / Path(source).name).resolve()
        if (checkout / "Dockerfile").is_file():
            labels = {**BUILT_BY, IMAGE_PROJECT_LABEL: project}
            services[name] = {"build": {"context": str(checkout), "labels": labels}, "pull_policy": "build"}
            built.append((name, str(checkout)))
        else:
            images.append(name)
    return {"services": services}, built, images


def dev_build_override(compose_file: Path, project: str, dry_run: bool = False) -> list[Path]:
    """The override file that builds each service whose checkout exists ([] when none does)."""
    import yaml

    # from the file itself: `compose config` drops service-level x- extensions
    from symphony.core.yamlio import load_yaml
    from symphony.infra import console as ui
    from symphony.infra.files import write_file

    raw = load_yaml(compose_file.read_text(encoding="utf-8")) or {}
    override, built, images = build_override(raw, state.SOURCES_DIR, project)
    if built:
        ui.status("info", "dev: building from source: " + ", ".join(f"{n} ({p})" for n, p in built))
    if images:
        ui.status("info", "dev: no checkout, using published images: " + ", ".join(images))
    if not built:
        return []
    path = state.STATE_DIR / OVERRIDE_FILE
    write_file(path, "# written by `inv start --profile dev`; regenerated on every start\n"
               + yaml.safe_dump(override, sort_keys=True), dry_run=dry_run,
               what=f"build contexts for {len(built)} service(s)", say=lambda line: ui.say(ui.paint(line, "info")))
    return [path]
