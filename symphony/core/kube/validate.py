"""`k8s.validate`: strict schemas for a pinned Kubernetes version, plus checks schemas miss."""
from __future__ import annotations

from pathlib import Path

from symphony.core.kube.checks import check_manifests


def load_objects(directory: Path) -> list[tuple[str, dict]]:
    import yaml

    found = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or "templates" in path.parts or path.name in ("Chart.yaml", "values.yaml"):
            continue
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ValueError(f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML") from None
        for i, doc in enumerate(docs):
            if doc:
                found.append((f"{path.relative_to(directory)}#{i + 1}", doc))
    return found


def validate_directory(directory: Path, version: str) -> tuple[list[str], int]:
    from symphony.core.kube.schema import schema_errors

    if not directory.is_dir():
        return [f"{directory}: not a directory"], 0
    try:
        objects = load_objects(directory)
    except ValueError as exc:
        return [str(exc)], 0
    problems = []
    for where, obj in objects:
        if not isinstance(obj, dict):
            problems.append(f"{where}: not a Kubernetes object")
            continue
        for error in schema_errors(obj, version):
            problems.append(f"{where} {obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}: {error}")
    objs = [o for _, o in objects if isinstance(o, dict) and "kind" in o and "metadata" in o]
    problems += check_manifests(objs)
    if not objects:
        problems.append(f"{directory}: no manifests found")
    return problems, len(objects)
