"""What schema validation misses: names, selectors, references, secrets in the clear, empty Services."""
from __future__ import annotations

from symphony.core.kube.names import is_dns_label, is_port_name
from symphony.core.secrets import is_secret


def _pod_spec(obj: dict) -> dict | None:
    spec = obj.get("spec") or {}
    if obj["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"):
        return (spec.get("template") or {}).get("spec")
    if obj["kind"] == "Pod":
        return spec
    return None


def check_manifests(objs: list[dict]) -> list[str]:
    problems = []
    by_kind: dict[str, set[str]] = {}
    for obj in objs:
        by_kind.setdefault(obj["kind"], set()).add(obj["metadata"]["name"])
    pods = []
    for obj in objs:
        kind, name = obj["kind"], obj["metadata"]["name"]
        where = f"{kind}/{name}"
        if not is_dns_label(name):
            problems.append(f"{where}: name is not a DNS-1123 label of at most 63 characters")
        for key, value in (obj["metadata"].get("labels") or {}).items():
            if len(value) > 63:
                problems.append(f"{where}: label {key} value longer than 63")
        if kind == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                if is_secret(key, value):
                    problems.append(f"{where}: {key} looks secret but sits in a ConfigMap")
        if kind == "Service":
            ports = (obj.get("spec") or {}).get("ports") or []
            if not ports:
                problems.append(f"{where}: Service without ports")
            for p in ports:
                if "name" in p and not is_port_name(p["name"]):
                    problems.append(f"{where}: port name {p['name']!r} is not a valid IANA_SVC_NAME (≤ 15)")
        pod = _pod_spec(obj)
        if pod is not None:
            pods.append((obj, pod))
            selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels")
            labels = ((obj["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
            if selector and any(labels.get(k) != v for k, v in selector.items()):
                problems.append(f"{where}: selector {selector} does not match the pod labels")
            claims = {t["metadata"]["name"] for t in obj["spec"].get("volumeClaimTemplates") or []}
            for vol in pod.get("volumes") or []:
                if "configMap" in vol and vol["configMap"]["name"] not in by_kind.get("ConfigMap", set()):
                    problems.append(f"{where}: volume uses ConfigMap {vol['configMap']['name']} that is not generated")
                if "secret" in vol and vol["secret"]["secretName"] not in by_kind.get("Secret", set()):
                    problems.append(f"{where}: volume uses Secret {vol['secret']['secretName']} that is not generated")
                pvc = vol.get("persistentVolumeClaim")
                if pvc and pvc["claimName"] not in by_kind.get("PersistentVolumeClaim", set()):
                    problems.append(f"{where}: volume uses PVC {pvc['claimName']} that is not generated")
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                for ref in c.get("envFrom") or []:
                    if "configMapRef" in ref and ref["configMapRef"]["name"] not in by_kind.get("ConfigMap", set()):
                        problems.append(f"{where}: envFrom ConfigMap {ref['configMapRef']['name']} is not generated")
                    if "secretRef" in ref and ref["secretRef"]["name"] not in by_kind.get("Secret", set()):
                        problems.append(f"{where}: envFrom Secret {ref['secretRef']['name']} is not generated")
                for env in c.get("env") or []:
                    if "value" in env and is_secret(env["name"], env["value"]):
                        problems.append(f"{where}: {env['name']} is a secret written as a literal env value")
                for port in c.get("ports") or []:
                    if "name" in port and not is_port_name(port["name"]):
                        problems.append(f"{where}: container port name {port['name']!r} is invalid (≤ 15)")
                mounted = {v["name"] for v in pod.get("volumes") or []} | claims
                for m in c.get("volumeMounts") or []:
                    if m["name"] not in mounted:
                        problems.append(f"{where}: mount {m['name']} has no volume")
    for obj in objs:
        if obj["kind"] == "Service":
            selector = obj["spec"].get("selector") or {}
            if not any(all(((o["spec"].get("template") or {}).get("metadata") or {}).get("labels", {}).get(k) == v
                           for k, v in selector.items()) for o, _ in pods):
                problems.append(f"Service/{obj['metadata']['name']}: selector matches no workload's pods")
    return problems
