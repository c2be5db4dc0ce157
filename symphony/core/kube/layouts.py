"""Output layouts: plain manifests, kustomize (base + overlay), Helm chart (pure: objects → files)."""
from __future__ import annotations

import copy

from symphony.core.kube.emit import dump_all, group_by_service


def namespace_object(namespace: str, level: str = "restricted") -> dict:
    """A pinned namespace, labelled for Pod Security admission: enforce the widest level a
    service needs (restricted unless one is relaxed), warn and audit at restricted."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": namespace, "labels": {
                "app.kubernetes.io/part-of": "sentiric",
                "pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}}}


def manifests_files(objs: list[dict], namespace: str | None, level: str = "restricted") -> dict[str, str]:
    files = {"00-namespace.yaml": dump_all([namespace_object(namespace, level)])} if namespace else {}
    for name, group in group_by_service(objs).items():
        files[name] = dump_all(group)
    return files


def kustomize_files(objs: list[dict], profile: str, namespace: str | None, level: str = "restricted") -> dict[str, str]:
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
    overlay = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["../../base"],
               "labels": [{"pairs": {"sentiric.io/profile": profile}, "includeSelectors": False}]}
    if namespace:
        files[f"overlays/{profile}/namespace.yaml"] = dump_all([namespace_object(namespace, level)])
        overlay["namespace"] = namespace
        overlay["resources"].append("namespace.yaml")
    files[f"overlays/{profile}/kustomization.yaml"] = yaml.safe_dump(overlay, sort_keys=True)
    return files


INSTANCE = "app.kubernetes.io/instance"


def _without_instance(obj: dict) -> dict:
    """The profile-independent form of an object: the overlay adds the instance label back."""
    obj = copy.deepcopy(obj)

    def strip(labels):
        if isinstance(labels, dict):
            labels.pop(INSTANCE, None)

    strip(obj["metadata"].get("labels"))
    obj["metadata"].pop("namespace", None)  # the overlay sets it
    spec = obj.get("spec") or {}
    strip(spec.get("selector") if obj["kind"] == "Service" else (spec.get("selector") or {}).get("matchLabels"))
    strip(((spec.get("template") or {}).get("metadata") or {}).get("labels"))
    for claim in spec.get("volumeClaimTemplates") or []:
        strip(claim["metadata"].get("labels"))
    return obj


def kustomize_tree(per_profile: dict[str, list[dict]], namespace: str | None,
                   level: str = "restricted") -> dict[str, str]:
    """base/<service>/ holds the objects that are the same in every profile running the service
    (typically its workload and Service); overlays/<profile>/ sets the namespace and the instance
    label, pulls in those bases, and carries its own copies of what differs (env ConfigMaps, ...)."""
    import yaml

    # service -> profile -> {(kind, name): object}
    services: dict[str, dict[str, dict]] = {}
    for profile, objs in per_profile.items():
        for filename, group in group_by_service([_without_instance(o) for o in objs]).items():
            services.setdefault(filename.removesuffix(".yaml"), {})[profile] = {
                (o["kind"], o["metadata"]["name"]): o for o in group}
    files: dict[str, str] = {}
    shared: dict[str, set] = {}
    for name, per in services.items():
        keys = set.intersection(*(set(objs) for objs in per.values()))
        shared[name] = {k for k in keys if len({dump_all([objs[k]]) for objs in per.values()}) == 1}
        if shared[name]:
            first = next(iter(per.values()))
            files[f"base/{name}/{name}.yaml"] = dump_all([first[k] for k in _ordered(shared[name])])
            files[f"base/{name}/kustomization.yaml"] = yaml.safe_dump(
                {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                 "resources": [f"{name}.yaml"]},
                sort_keys=True)
    for profile in sorted(per_profile):
        resources = ["namespace.yaml"] if namespace else []
        for name in sorted(services):
            objs = services[name].get(profile)
            if objs is None:
                continue
            if shared[name]:
                resources.append(f"../../base/{name}")
            own = [objs[k] for k in _ordered(set(objs) - shared[name])]
            if own:
                files[f"overlays/{profile}/{name}.yaml"] = dump_all(own)
                resources.append(f"{name}.yaml")
        overlay = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources,
                   "labels": [{"pairs": {INSTANCE: f"sentiric-{profile}"}, "includeSelectors": True,
                               "includeTemplates": True}]}
        if namespace:
            files[f"overlays/{profile}/namespace.yaml"] = dump_all([namespace_object(namespace, level)])
            overlay["namespace"] = namespace
        files[f"overlays/{profile}/kustomization.yaml"] = yaml.safe_dump(overlay, sort_keys=True)
    return files


def _ordered(keys) -> list:
    from symphony.core.kube.convert import KIND_ORDER

    return sorted(keys, key=lambda k: (KIND_ORDER.index(k[0]) if k[0] in KIND_ORDER else 99, k[1]))


def render_layout(fmt: str, objs: list[dict], *, profile: str, namespace: str | None,
                  level: str = "restricted") -> dict[str, str]:
    if fmt == "manifests":
        return manifests_files(objs, namespace, level)
    if fmt == "kustomize":
        return kustomize_files(objs, profile, namespace, level)
    from symphony.core.kube.helm import chart_files

    return chart_files(objs, profile=profile, namespace=namespace)
