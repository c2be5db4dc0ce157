"""`k8s.validate` over a directory (it reads files and builds kustomizations with kubectl, so it
lives here, over the pure checks of core/kube): strict schemas, the API server's checks, Pod
Security admission, and the secret rule.

A directory of manifests is validated as one set. A kustomization (the directory itself, or
each `overlays/*` of a `k8s.export --format kustomize` tree) is built with `kubectl kustomize`
first and each build is validated as its own set, as `kubectl apply -k` would send it.
"""
from __future__ import annotations

from pathlib import Path

from symphony.core.kube.checks import check_manifests, check_notes
from symphony.errors import UsageError

PSS_LABEL = "pod-security.kubernetes.io/enforce"


def load_objects(directory: Path) -> list[tuple[str, dict]]:
    import yaml

    from symphony.infra.files import read_text_file

    found = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or "templates" in path.parts or path.name in ("Chart.yaml", "values.yaml"):
            continue
        try:
            docs = list(yaml.safe_load_all(read_text_file(path)))
        except UsageError as exc:  # not text, not a regular file: a problem of the directory, with its file
            raise ValueError(exc.message) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ValueError(f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML") from None
        for i, doc in enumerate(docs):
            where = f"{path.relative_to(directory)}#{i + 1}"
            if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
                # `kubectl get -o yaml` writes a List: kubectl apply takes each item
                found += [(f"{where}.items[{j}]", item) for j, item in enumerate(doc["items"])]
            elif doc:
                found.append((where, doc))
    return found


def _kustomize(directory: Path) -> tuple[list[tuple[str, dict]], str | None]:
    import shutil

    import yaml

    from symphony.infra.runner import Runner

    if not shutil.which("kubectl"):
        from symphony.errors import ToolMissing

        raise ToolMissing(f"{directory} is a kustomization; building it needs kubectl, which is not installed",
                          hint="install kubectl, or validate the plain manifests (`k8s.export --format manifests`)")
    res = Runner(echo=False).query(["kubectl", "kustomize", str(directory)], check=False)
    if res.code != 0:
        return [], f"{directory}: `kubectl kustomize` failed: {res.stderr.strip()}"
    docs = [d for d in yaml.safe_load_all(res.stdout) if d]
    return [(f"{directory.name} (kustomize build) #{i + 1}", d) for i, d in enumerate(docs)], None


def object_sets(directory: Path) -> list[tuple[str, list[tuple[str, dict]], list[str]]]:
    """(label, objects, problems reading them) per set to validate."""
    if (directory / "kustomization.yaml").exists():
        objs, problem = _kustomize(directory)
        return [("", objs, [problem] if problem else [])]
    overlays = sorted(p.parent for p in directory.glob("overlays/*/kustomization.yaml"))
    if overlays:
        sets = []
        for overlay in overlays:
            objs, problem = _kustomize(overlay)
            sets.append((f"[{overlay.name}] ", objs, [problem] if problem else []))
        return sets
    try:
        return [("", load_objects(directory), [])]
    except ValueError as exc:
        return [("", [], [str(exc)])]


def pod_security_levels(objs: list[dict], forced: str | None) -> str | dict:
    """The level each object's pods are admitted at: --pod-security, else the enforce label of
    its Namespace when the set has it, else restricted."""
    if forced:
        return forced
    levels: dict = {None: "restricted"}
    for obj in objs:
        if obj.get("kind") == "Namespace":
            label = ((obj.get("metadata") or {}).get("labels") or {}).get(PSS_LABEL)
            if label:
                levels[obj["metadata"]["name"]] = label
    return levels


def validate_directory(directory: Path, version: str, pod_security: str | None = None
                       ) -> tuple[list[str], int, list[str]]:
    """(problems, number of objects, notes)."""
    from symphony.core.kube.schema import schema_errors

    if not directory.is_dir():
        return [f"{directory}: not a directory"], 0, []
    problems, notes, count = [], [], 0
    major, minor = (int(x) for x in version.split(".")[:2])
    for label, objects, read_problems in object_sets(directory):
        problems += [label + p for p in read_problems]
        count += len(objects)
        for where, obj in objects:
            if not isinstance(obj, dict) or "kind" not in obj or not isinstance(obj.get("metadata"), dict):
                problems.append(f"{label}{where}: not a Kubernetes object")
                continue
            for error in schema_errors(obj, version):
                problems.append(f"{label}{where} {obj.get('kind')}/{obj['metadata'].get('name')}: {error}")
        objs = [o for _, o in objects if isinstance(o, dict) and "kind" in o and isinstance(o.get("metadata"), dict)]
        levels = pod_security_levels(objs, pod_security)
        problems += [label + p for p in check_manifests(objs, levels, (major, minor))]
        notes += [label + n for n in check_notes(objs)]
        if not objects and not read_problems:
            problems.append(f"{label}{directory}: no manifests found")
    return problems, count, notes
