"""Compose model → Kubernetes manifests (pure: data in, data out; no cluster, no files).

The model is what `docker compose config --format json` prints: every variable already
resolved, `$` re-escaped as `$$`. Every key of every service is either mapped here or
reported as a warning; nothing is dropped silently.
"""
from __future__ import annotations

import base64
import copy
import posixpath
import re
from dataclasses import dataclass, field

from symphony.core.kube import quantities
from symphony.core.kube.names import dns_label, port_name
from symphony.core.secrets import is_secret

PART_OF = "sentiric"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ANNOTATION_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
WAIT_IMAGE = "busybox:1.36"
DEFAULT_VOLUME_SIZE = "1Gi"
LARGE_RANGE = 20
# Keys handled below; anything else a service carries is reported.
MAPPED = {
    "image", "environment", "ports", "expose", "healthcheck", "depends_on", "command", "entrypoint", "deploy",
    "volumes", "labels", "restart", "working_dir", "user", "pull_policy", "networks", "build", "hostname",
    "container_name", "stop_grace_period", "tty", "stdin_open", "read_only", "cap_add", "cap_drop", "privileged",
}
IGNORED = {  # keys with a deliberate, stated reason
    "networks": "Kubernetes pods share one flat network; Services replace the compose network",
    "container_name": "pods are named by their controller",
    "build": "Kubernetes runs images only: push the built image to a registry and set its name",
    "hostname": "the Service name is the stable DNS name",
}


@dataclass
class Export:
    manifests: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def unescape(value):
    """Compose's `$$` is a literal `$`; Kubernetes expands `$(VAR)` in command/env, so escape that."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    return value


def k8s_literal(value: str) -> str:
    return unescape(value).replace("$(", "$$(")


def labels_for(service: str, profile: str, component: str) -> dict:
    return {
        "app.kubernetes.io/name": dns_label(service),
        "app.kubernetes.io/instance": f"sentiric-{profile}",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "symphony",
    }


def selector_for(service: str, profile: str) -> dict:
    return {"app.kubernetes.io/name": dns_label(service), "app.kubernetes.io/instance": f"sentiric-{profile}"}


def _meta(name: str, namespace: str | None, labels: dict, annotations: dict | None = None) -> dict:
    meta = {"name": name, "labels": dict(labels)}
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = annotations
    return meta


def split_env(environment: dict) -> tuple[dict, dict, list[str]]:
    """(config, secret, keys left out) — the env compiler's secret rule, one place. Keys without a
    value, or that are not env var names (envFrom would skip them silently), are left out."""
    config, secret, unset = {}, {}, []
    for key, value in sorted((environment or {}).items()):
        if value is None or not _ENV_NAME.match(key):
            unset.append(key)
            continue
        value = unescape(str(value))
        (secret if is_secret(key, value) else config)[key] = value
    return config, secret, unset


def probe_command(test) -> list[str] | None:
    """CMD → exec argv; CMD-SHELL → sh -c; NONE/empty → no probe."""
    if isinstance(test, str):
        return ["sh", "-c", unescape(test)]
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return [unescape(a) for a in test[1:]]
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", unescape(" ".join(test[1:]))]
    return [unescape(a) for a in test]


def probes(healthcheck: dict | None) -> dict:
    if not healthcheck or healthcheck.get("disable"):
        return {}
    command = probe_command(healthcheck.get("test"))
    if not command:
        return {}
    period = quantities.seconds(healthcheck.get("interval"), 30)
    base = {
        "exec": {"command": command},
        "periodSeconds": period,
        "timeoutSeconds": quantities.seconds(healthcheck.get("timeout"), 30),
        "failureThreshold": int(healthcheck.get("retries") or 3),
    }
    out = {"readinessProbe": copy.deepcopy(base), "livenessProbe": copy.deepcopy(base)}
    start_period = healthcheck.get("start_period")
    if start_period:
        start = quantities.seconds(start_period, 0)
        out["startupProbe"] = {**copy.deepcopy(base), "failureThreshold": max(1, -(-start // period)) + base["failureThreshold"]}
    return out


def container_ports(svc: dict) -> list[tuple[int, str]]:
    found = set()
    for p in svc.get("ports") or []:
        found.add((int(p["target"]), (p.get("protocol") or "tcp").upper()))
    for e in svc.get("expose") or []:
        text, _, proto = str(e).partition("/")
        start, _, end = text.partition("-")
        for port in range(int(start), int(end or start) + 1):
            found.add((port, (proto or "tcp").upper()))
    return sorted(found)


def _ranges_warning(name: str, ports: list[tuple[int, str]]) -> str | None:
    by_proto: dict[str, list[int]] = {}
    for port, proto in ports:
        by_proto.setdefault(proto, []).append(port)
    for proto, nums in sorted(by_proto.items()):
        if len(nums) > LARGE_RANGE:
            return (f"{name}: {len(nums)} {proto} ports ({min(nums)}-{max(nums)}) become {len(nums)} Service ports; "
                    "for RTP consider hostNetwork or a smaller range (RTP_PORT_MIN/MAX)")
    return None


def _resources(name: str, deploy: dict, warnings: list[str]) -> dict:
    out = {}
    for section in ("limits", "reservations"):
        spec = ((deploy or {}).get("resources") or {}).get(section) or {}
        target = "limits" if section == "limits" else "requests"
        values = {}
        if spec.get("memory") not in (None, "", 0):
            values["memory"] = quantities.memory(spec["memory"])
        if spec.get("cpus") not in (None, "", 0, "0"):
            values["cpu"] = quantities.cpu(spec["cpus"])
        for extra in sorted(set(spec) - {"memory", "cpus"}):
            warnings.append(f"{name}: deploy.resources.{section}.{extra} is not mapped")
        if values:
            out[target] = values
    return out


def _wait_init_containers(name: str, svc: dict, model: dict, jobs: set[str], warnings: list[str]) -> list[dict]:
    inits = []
    for dep, spec in sorted((svc.get("depends_on") or {}).items()):
        condition = (spec or {}).get("condition", "service_started")
        target = model["services"].get(dep) or {}
        if condition == "service_completed_successfully" or dep in jobs:
            warnings.append(f"{name}: waits for one-shot {dep} (service_completed_successfully); {dep} is a Job and "
                            f"{name} starts without waiting — its own readiness probe gates traffic until {dep} is done")
            continue
        ports = [p for p, proto in container_ports(target) if proto == "TCP"]
        if not ports:
            warnings.append(f"{name}: depends on {dep}, which has no TCP port to wait for; no init container")
            continue
        host, port = dns_label(dep), ports[0]
        # service_healthy: the dependency's Service only routes to pods whose readiness probe
        # passes, so a TCP connect through it means "healthy"; service_started: its port is open
        inits.append({
            "name": f"wait-for-{dns_label(dep)}"[:63],
            "image": WAIT_IMAGE,
            "command": ["sh", "-c", f"until nc -z -w 2 {host} {port}; do echo waiting for {host}:{port}; sleep 2; done"],
        })
    return inits


def one_shots(model: dict) -> set[str]:
    """Jobs: labelled one-shot, or awaited with service_completed_successfully."""
    found = {n for n, s in (model.get("services") or {}).items()
             if (s.get("labels") or {}).get("com.sentiric.one-shot") == "true"}
    for svc in (model.get("services") or {}).values():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if (spec or {}).get("condition") == "service_completed_successfully":
                found.add(dep)
    return found


def _mount_name(service: str, source: str) -> str:
    return dns_label(f"{service}-{posixpath.basename(source.rstrip('/')) or 'files'}")


def _files_object(kind: str, name: str, namespace, labels, files: dict[str, bytes]) -> dict:
    obj = {"apiVersion": "v1", "kind": kind, "metadata": _meta(name, namespace, labels)}
    text, binary = {}, {}
    for fname, content in sorted(files.items()):
        try:
            text[fname] = content.decode("utf-8")
        except UnicodeDecodeError:
            binary[fname] = base64.b64encode(content).decode()
    if kind == "Secret":
        obj["type"] = "Opaque"
        data = {k: base64.b64encode(v.encode()).decode() for k, v in text.items()} | binary
        if data:
            obj["data"] = data
    else:
        if text:
            obj["data"] = text
        if binary:
            obj["binaryData"] = binary
    return obj


def _is_secret_files(source: str, files: dict[str, bytes]) -> bool:
    return "tls" in source.split("/") or any(f.endswith((".key", ".pem", ".p12")) for f in files)


def convert(model: dict, *, profile: str, namespace: str | None = None,
            bind_files: dict[str, dict[str, bytes]] | None = None, config_root: str = "") -> Export:
    """`bind_files`: for each bind-mount source, its files (name → content) as the shell read them.
    Sources under `config_root` (the config repo) become ConfigMap/Secret volumes."""
    out = Export()
    bind_files = bind_files or {}
    volumes_declared = model.get("volumes") or {}
    jobs = one_shots(model)
    users: dict[str, list[str]] = {}
    for name, svc in (model.get("services") or {}).items():
        for vol in svc.get("volumes") or []:
            if vol.get("type") == "volume" and vol.get("source"):
                users.setdefault(vol["source"], []).append(name)
    for volume, names in sorted(users.items()):
        if len(names) > 1:
            out.warnings.append(f"volume {volume} is shared by {', '.join(sorted(names))}: each gets its own claim "
                                "(ReadWriteOnce); share data through a service instead, or use a ReadWriteMany class")
    for name in sorted(model.get("services") or {}):
        svc = model["services"][name]
        out.manifests.extend(_convert_service(name, svc, model, profile, namespace, bind_files, config_root,
                                              volumes_declared, jobs, out.warnings))
    out.manifests.sort(key=sort_key)
    out.warnings = _aggregate(out.warnings)
    return out


KIND_ORDER = ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet", "Job"]


def sort_key(obj: dict):
    kind = obj["kind"]
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), obj["metadata"]["name"])


def _aggregate(warnings: list[str]) -> list[str]:
    """One line per ignored key (listing the services), the rest as they are."""
    per_key: dict[tuple[str, str], list[str]] = {}
    rest = []
    for w in warnings:
        if w.startswith("\0"):
            _, key, service, reason = w.split("\0")
            per_key.setdefault((key, reason), []).append(service)
        else:
            rest.append(w)
    for (key, reason), services in per_key.items():
        rest.append(f"`{key}` ignored ({', '.join(sorted(services))}): {reason}")
    return sorted(dict.fromkeys(rest))


def _convert_service(name, svc, model, profile, namespace, bind_files, config_root, volumes_declared, jobs, warnings):
    k8s_name = dns_label(name)
    if k8s_name != name:
        warnings.append(f"{name}: renamed {k8s_name!r} (DNS-1123)")
    labels_in = svc.get("labels") or {}
    one_shot = name in jobs
    component = labels_in.get("com.sentiric.tier", "job" if one_shot else "app")
    labels = labels_for(name, profile, component)
    selector = selector_for(name, profile)
    objs = []
    for key in sorted(set(svc) - MAPPED):
        if key.startswith("x-"):
            warnings.append(f"{name}: extension {key} has no Kubernetes meaning; ignored")
        else:
            warnings.append(f"{name}: compose key `{key}` is not mapped to Kubernetes")
    for key, reason in IGNORED.items():
        if key in svc:
            warnings.append(f"\0{key}\0{name}\0{reason}")  # aggregated per key in _aggregate

    config, secret, unset = split_env(svc.get("environment"))
    for key in unset:
        if _ENV_NAME.match(key):
            warnings.append(f"{name}: environment {key} has no value in the model; left out")
        else:
            warnings.append(f"{name}: environment key {key!r} is not a valid variable name; left out "
                            "(Kubernetes envFrom would skip it)")
    env_from = []
    if config:
        objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(f"{k8s_name}-env", namespace, labels),
                     "data": config})
        env_from.append({"configMapRef": {"name": f"{k8s_name}-env"}})
    if secret:
        objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": _meta(f"{k8s_name}-env", namespace, labels),
                     "type": "Opaque", "stringData": secret})
        env_from.append({"secretRef": {"name": f"{k8s_name}-env"}})

    container: dict = {"name": k8s_name, "image": svc.get("image") or f"{k8s_name}:latest"}
    if "image" not in svc:
        warnings.append(f"{name}: no image in the compose model; using {container['image']}")
    if svc.get("build"):
        container["imagePullPolicy"] = "IfNotPresent"
    elif svc.get("pull_policy") in ("always",):
        container["imagePullPolicy"] = "Always"
    elif svc.get("pull_policy") in ("never",):
        container["imagePullPolicy"] = "Never"
    if svc.get("entrypoint"):
        container["command"] = [k8s_literal(a) for a in svc["entrypoint"]]
    if svc.get("command"):
        container["args"] = [k8s_literal(a) for a in svc["command"]]
    if svc.get("working_dir"):
        container["workingDir"] = svc["working_dir"]
    if env_from:
        container["envFrom"] = env_from
    ports = container_ports(svc)
    if ports:
        container["ports"] = [{"name": port_name(proto, p), "containerPort": p, "protocol": proto} for p, proto in ports]
        warning = _ranges_warning(name, ports)
        if warning:
            warnings.append(warning)
    published = [f"{p.get('host_ip') or '0.0.0.0'}:{p['published']}/{p.get('protocol') or 'tcp'}"
                 for p in svc.get("ports") or [] if p.get("published")]
    if published:
        shown = ", ".join(published[:3]) + (f" and {len(published) - 3} more" if len(published) > 3 else "")
        warnings.append(f"{name}: host port(s) {shown} become ClusterIP Service ports; expose them with an Ingress "
                        "(helm values: ingress) or a LoadBalancer/NodePort Service")
    container.update(probes(svc.get("healthcheck")))
    resources = _resources(name, svc.get("deploy"), warnings)
    if resources:
        container["resources"] = resources
    security = {}
    if svc.get("user"):
        uid = str(svc["user"]).split(":")
        if uid[0].isdigit():
            security["runAsUser"] = int(uid[0])
            if len(uid) > 1 and uid[1].isdigit():
                security["runAsGroup"] = int(uid[1])
        else:
            warnings.append(f"{name}: user {svc['user']!r} is not numeric; Kubernetes needs a uid")
    if svc.get("read_only"):
        security["readOnlyRootFilesystem"] = True
    if svc.get("privileged"):
        security["privileged"] = True
    caps = {k: v for k, v in (("add", svc.get("cap_add")), ("drop", svc.get("cap_drop"))) if v}
    if caps:
        security["capabilities"] = caps
    if security:
        container["securityContext"] = security
    if svc.get("tty"):
        container["tty"] = True
    if svc.get("stdin_open"):
        container["stdin"] = True

    pod_volumes, mounts, claims, templates = [], [], [], []
    for vol in svc.get("volumes") or []:
        target = vol.get("target")
        if vol.get("type") == "volume" and vol.get("source"):
            claim = dns_label(f"{name}-{vol['source']}")
            read_only = bool(vol.get("read_only"))
            if not one_shot and _is_data_service(svc, labels_in):
                templates.append(_pvc(dns_label(vol["source"]), None, labels, volumes_declared.get(vol["source"])))
                mounts.append({"name": dns_label(vol["source"]), "mountPath": target, "readOnly": read_only})
            else:
                claims.append(_pvc(claim, namespace, labels, volumes_declared.get(vol["source"])))
                pod_volumes.append({"name": dns_label(vol["source"]), "persistentVolumeClaim": {"claimName": claim}})
                mounts.append({"name": dns_label(vol["source"]), "mountPath": target, "readOnly": read_only})
        elif vol.get("type") == "bind":
            source = vol.get("source", "")
            files = bind_files.get(source)
            if files is None or (config_root and not source.startswith(config_root)):
                warnings.append(f"{name}: bind mount {source} -> {target} is not from the config repo; not exported "
                                "(use a volume or bake the files into the image)")
                continue
            kind = "Secret" if _is_secret_files(source, files) else "ConfigMap"
            obj_name = _mount_name(name, source)
            objs.append(_files_object(kind, obj_name, namespace, labels, files))
            ref = {"secret": {"secretName": obj_name}} if kind == "Secret" else {"configMap": {"name": obj_name}}
            pod_volumes.append({"name": obj_name, **ref})
            mounts.append({"name": obj_name, "mountPath": target, "readOnly": True})
        elif vol.get("type") == "tmpfs":
            vname = dns_label(f"tmp-{posixpath.basename(target)}")
            pod_volumes.append({"name": vname, "emptyDir": {"medium": "Memory"}})
            mounts.append({"name": vname, "mountPath": target})
        else:
            warnings.append(f"{name}: volume {vol} is not mapped")
    if mounts:
        container["volumeMounts"] = sorted(mounts, key=lambda m: m["mountPath"])
    objs.extend(claims)

    # compose labels are metadata: they travel as pod annotations (where the key is valid)
    annotations = {}
    for key, value in sorted(labels_in.items()):
        if _ANNOTATION_KEY.match(key):
            annotations[key] = str(value)
        else:
            warnings.append(f"{name}: label {key!r} is not a valid annotation key; not carried")
    metrics_port = labels_in.get("com.sentiric.metrics.port")
    if metrics_port and labels_in.get("com.sentiric.metrics.enabled") != "false":
        annotations.update({"prometheus.io/scrape": "true", "prometheus.io/port": str(metrics_port),
                            "prometheus.io/path": labels_in.get("com.sentiric.metrics.path", "/metrics")})
    pod_spec: dict = {"containers": [container]}
    inits = _wait_init_containers(name, svc, model, jobs, warnings)
    if inits:
        pod_spec["initContainers"] = inits
    if pod_volumes:
        pod_spec["volumes"] = sorted(pod_volumes, key=lambda v: v["name"])
    if svc.get("stop_grace_period"):
        pod_spec["terminationGracePeriodSeconds"] = quantities.seconds(svc["stop_grace_period"], 10)
    template = {"metadata": {"labels": dict(labels), **({"annotations": annotations} if annotations else {})},
                "spec": pod_spec}
    replicas = int(((svc.get("deploy") or {}).get("replicas")) or 1)
    for key in sorted(k for k, v in (svc.get("deploy") or {}).items() if v and k not in ("resources", "replicas")):
        warnings.append(f"{name}: deploy.{key} is not mapped (Kubernetes has its own scheduling and rollout settings)")
    if svc.get("restart") == "no" and not one_shot:
        warnings.append(f"{name}: restart: \"no\" but long-running; a Deployment always restarts its pods")

    if one_shot:
        pod_spec["restartPolicy"] = "Never"
        objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(k8s_name, namespace, labels),
                     "spec": {"backoffLimit": 3, "template": template}})
        return objs
    if ports:
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta(k8s_name, namespace, labels),
                     "spec": {"selector": selector, "ports": [
                         {"name": port_name(proto, p), "port": p, "targetPort": p, "protocol": proto} for p, proto in ports]}})
    else:
        warnings.append(f"{name}: no ports, so no Service (nothing can connect to it)")
    restart = svc.get("restart")
    if restart in ("on-failure",):
        warnings.append(f"{name}: restart: on-failure becomes the pod's restartPolicy Always (the only one for Deployments)")
    spec = {"replicas": replicas, "selector": {"matchLabels": selector}, "template": template}
    if templates:
        spec["serviceName"] = k8s_name
        spec["volumeClaimTemplates"] = templates
        objs.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta(k8s_name, namespace, labels),
                     "spec": spec})
    else:
        objs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(k8s_name, namespace, labels),
                     "spec": spec})
    return objs


def _is_data_service(svc: dict, labels: dict) -> bool:
    return labels.get("com.sentiric.tier") == "data" or any(v.get("type") == "volume" for v in svc.get("volumes") or [])


def _pvc(name: str, namespace, labels, declared) -> dict:
    size = ((declared or {}).get("labels") or {}).get("com.sentiric.volume.size", DEFAULT_VOLUME_SIZE)
    meta = {"name": name, "labels": dict(labels)}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}
