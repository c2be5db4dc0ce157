"""Output layouts: plain manifests, kustomize (base + overlay), Helm chart (pure: objects → files)."""
from __future__ import annotations

import copy

from tasks.kube.emit import dump_all, group_by_service


def namespace_object(namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace, "labels": {"app.kubernetes.io/part-of": "sentiric"}}}


def manifests_files(objs: list[dict], namespace: str) -> dict[str, str]:
    files = {"00-namespace.yaml": dump_all([namespace_object(namespace)])}
    for name, group in group_by_service(objs).items():
        files[name] = dump_all(group)
    return files


def kustomize_files(objs: list[dict], profile: str, namespace: str) -> dict[str, str]:
    import yaml

    base = []
    for obj in objs:
        obj = copy.deepcopy(obj)
        obj["metadata"].pop("namespace", None)
        base.append(obj)
    files = {f"base/{name}": dump_all(group) for name, group in group_by_service(base).items()}
    files["base/kustomization.yaml"] = yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": sorted(name.split("/", 1)[1] for name in files),
    }, sort_keys=True)
    files[f"overlays/{profile}/namespace.yaml"] = dump_all([namespace_object(namespace)])
    files[f"overlays/{profile}/kustomization.yaml"] = yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": namespace,
        "resources": ["../../base", "namespace.yaml"],
        "labels": [{"pairs": {"sentiric.io/profile": profile}, "includeSelectors": False}],
    }, sort_keys=True)
    return files


def render_layout(fmt: str, objs: list[dict], *, profile: str, namespace: str) -> dict[str, str]:
    if fmt == "manifests":
        return manifests_files(objs, namespace)
    if fmt == "kustomize":
        return kustomize_files(objs, profile, namespace)
    from tasks.kube.helm import chart_files

    return chart_files(objs, profile=profile, namespace=namespace)
