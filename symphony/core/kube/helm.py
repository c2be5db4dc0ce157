"""A Helm chart from the exported objects (pure: objects → chart files).

Each template is its service's manifests with the tunable fields replaced by values
(image, tag, replicas, resources, env, secret env, probes, persistence) and an optional
Ingress, so the default render is exactly the plain manifests.
"""
from __future__ import annotations

import copy
import json
import re

from symphony.core.kube.emit import dump_all, group_by_service
from symphony.core.kube.names import dns1035_label
from symphony.core.kube.quantities import QUANTITY_PATTERN

_SENTINEL = "__helm_{}__"
_NAMESPACE_SENTINEL = "__helm_release_namespace__"
_SENTINEL_LINE = re.compile(r"^(?P<indent> *)(?P<dash>- )?(?P<key>[^:\s]+): '?__helm_(?P<id>\d+)__'?$")


class _Slots:
    """Collects the template expressions that replace sentinel values in the dumped YAML."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []  # (kind, values path)

    def scalar(self, path: str) -> str:
        self.items.append(("scalar", path))
        return _SENTINEL.format(len(self.items) - 1)

    def block(self, path: str) -> str:
        self.items.append(("block", path))
        return _SENTINEL.format(len(self.items) - 1)

    def optional(self, path: str) -> str:
        self.items.append(("with", path))
        return _SENTINEL.format(len(self.items) - 1)

    def render(self, text: str) -> str:
        out = []
        for line in escape_template(text).splitlines():
            if line.endswith(f"namespace: {_NAMESPACE_SENTINEL}"):
                out.append(line.replace(_NAMESPACE_SENTINEL, "{{ .Release.Namespace }}"))
                continue
            m = _SENTINEL_LINE.match(line)
            if not m:
                out.append(line)
                continue
            kind, path = self.items[int(m.group("id"))]
            indent, dash, key = m.group("indent"), m.group("dash") or "", m.group("key")
            inner = len(indent) + len(dash) + 2
            if kind == "scalar":
                out.append(f"{indent}{dash}{key}: {{{{ {path} | toJson }}}}")
            elif kind == "block":
                out.append(f"{indent}{dash}{key}:")
                out.append(f"{{{{- toYaml {path} | nindent {inner} }}}}")
            else:
                out.append(f"{{{{- with {path} }}}}")
                out.append(f"{indent}{dash}{key}:")
                out.append(f"{{{{- toYaml . | nindent {inner} }}}}")
                out.append("{{- end }}")
        return "\n".join(out) + "\n"


def escape_template(text: str) -> str:
    """Compose text copied into a template must not be read as template syntax: every `{{` becomes
    an action printing `{{` (Go templates: `{{ "{{" }}`)."""
    return text.replace("{{", '{{ "{{" }}')


def _split_image(image: str) -> tuple[str, str]:
    head, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return head, tag
    return image, "latest"


def _values_key(name: str) -> str:
    return name  # service names are DNS labels; Helm paths use `index` for the dashes


def _path(service: str, *keys: str) -> str:
    return f'(index .Values.services "{service}")' + "".join(f".{k}" for k in keys)


def chart_parts(objs: list[dict], pinned: bool = False) -> tuple[dict, dict[str, str]]:
    """(values, {template file: text}). Unless the namespace is pinned, every object's namespace
    is the release's (`helm install -n NS`)."""
    values: dict = {"services": {}}
    templates = {}
    for filename, group in group_by_service(objs).items():
        service = filename.removesuffix(".yaml")
        slots = _Slots()
        svc_values: dict = {"ingress": {"enabled": False, "host": f"{service}.example.com", "path": "/", "port": None}}
        rendered = []
        for obj in copy.deepcopy(group):
            kind = obj["kind"]
            if not pinned:
                obj["metadata"]["namespace"] = _NAMESPACE_SENTINEL
            if kind == "Ingress":  # --expose ingress: the chart's own optional Ingress, enabled
                rule = obj["spec"]["rules"][0]
                backend = rule["http"]["paths"][0]
                svc_values["ingress"].update(enabled=True, host=rule["host"], path=backend["path"],
                                             port=backend["backend"]["service"]["port"]["number"])
                continue
            if kind == "ConfigMap" and obj["metadata"]["name"] == f"{service}-env":
                svc_values["env"] = obj.get("data") or {}
                obj["data"] = slots.block(_path(service, "env"))
            elif kind == "Secret" and obj["metadata"]["name"] == f"{service}-env":
                svc_values["secretEnv"] = obj.get("stringData") or {}
                obj["stringData"] = slots.block(_path(service, "secretEnv"))
            elif kind in ("Deployment", "StatefulSet", "Job"):
                spec = obj["spec"]
                if kind != "Job":
                    svc_values["replicas"] = spec["replicas"]
                    spec["replicas"] = slots.scalar(_path(service, "replicas"))
                container = spec["template"]["spec"]["containers"][0]
                repo, tag = _split_image(container["image"])
                svc_values["image"] = {"repository": repo, "tag": tag}
                container["image"] = slots.scalar(
                    f'(printf "%s:%s" {_path(service, "image", "repository")} {_path(service, "image", "tag")})')
                svc_values["resources"] = container.get("resources") or {}
                container["resources"] = slots.optional(_path(service, "resources"))
                svc_values["probes"] = {}
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    short = probe.removesuffix("Probe")
                    svc_values["probes"][short] = container.get(probe) or {}
                    container[probe] = slots.optional(_path(service, "probes", short))
                for template in spec.get("volumeClaimTemplates") or []:
                    svc_values.setdefault("persistence", {})[template["metadata"]["name"]] = {
                        "size": template["spec"]["resources"]["requests"]["storage"]}
                    template["spec"]["resources"]["requests"]["storage"] = slots.scalar(
                        _persistence_path(service, template["metadata"]["name"]))
            elif kind == "PersistentVolumeClaim":
                svc_values.setdefault("persistence", {})[obj["metadata"]["name"]] = {
                    "size": obj["spec"]["resources"]["requests"]["storage"]}
                obj["spec"]["resources"]["requests"]["storage"] = slots.scalar(
                    _persistence_path(service, obj["metadata"]["name"]))
            elif kind == "Service" and obj["metadata"]["name"] == dns1035_label(service) and \
                    svc_values["ingress"]["port"] is None:
                http = [p for p in obj["spec"].get("ports") or [] if p["protocol"] == "TCP"]
                if http:
                    svc_values["ingress"]["port"] = http[0]["port"]
            rendered.append(obj)
        text = slots.render(dump_all(rendered))
        if svc_values["ingress"]["port"]:
            text += _ingress_template(service, group, pinned)
        else:
            svc_values.pop("ingress")
        values["services"][_values_key(service)] = svc_values
        templates[f"templates/{filename}"] = text
    return values, templates


def _persistence_path(service: str, claim: str) -> str:
    return f'(index (index .Values.services "{service}").persistence "{claim}").size'


def _ingress_template(service: str, group: list[dict], pinned: bool) -> str:
    meta = next(o for o in group
                if o["kind"] == "Service" and o["metadata"]["name"] == dns1035_label(service))["metadata"]
    labels = "".join(f"\n    {k}: {v}" for k, v in sorted(meta["labels"].items()))
    ns = f"\n  namespace: {meta['namespace']}" if pinned else "\n  namespace: {{ .Release.Namespace }}"
    ing = _path(service, "ingress")
    return (
        f"{{{{- if {ing}.enabled }}}}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n"
        f"  name: {meta['name']}{ns}\n  labels:{labels}\nspec:\n  rules:\n  - host: {{{{ {ing}.host | toJson }}}}\n"
        f"    http:\n      paths:\n      - path: {{{{ {ing}.path | toJson }}}}\n        pathType: Prefix\n"
        f"        backend:\n          service:\n            name: {meta['name']}\n"
        f"            port:\n              number: {{{{ {ing}.port }}}}\n{{{{- end }}}}\n"
    )


def values_schema(values: dict) -> dict:
    probe = {"type": "object"}
    service = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "image": {"type": "object", "required": ["repository", "tag"], "additionalProperties": False,
                      "properties": {"repository": {"type": "string", "minLength": 1},
                                     "tag": {"type": "string", "minLength": 1}}},
            "replicas": {"type": "integer", "minimum": 0},
            "resources": {"type": "object", "additionalProperties": False, "properties": {
                k: {"type": "object", "additionalProperties": False, "properties": {
                    "cpu": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?m?$"},
                    "memory": {"type": "string", "pattern": r"^[0-9]+(Ki|Mi|Gi|Ti)?$"}}}
                for k in ("limits", "requests")}},
            "env": {"type": "object", "additionalProperties": {"type": "string"}},
            "secretEnv": {"type": "object", "additionalProperties": {"type": "string"}},
            "probes": {"type": "object", "additionalProperties": False,
                       "properties": {k: probe for k in ("readiness", "liveness", "startup")}},
            "persistence": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["size"],
                "properties": {"size": {"type": "string", "pattern": QUANTITY_PATTERN}}}},
            "ingress": {"type": "object", "additionalProperties": False, "properties": {
                "enabled": {"type": "boolean"}, "host": {"type": "string"}, "path": {"type": "string"},
                "port": {"type": ["integer", "null"]}}},
        },
    }
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["services"],
            "properties": {"services": {"type": "object", "additionalProperties": False,
                                        "properties": {name: service for name in sorted(values["services"])}}}}


def chart_files(objs: list[dict], *, profile: str, namespace: str | None) -> dict[str, str]:
    """The chart never creates its namespace (`helm install -n NS --create-namespace` does, and
    Pod Security labels belong to whoever owns the namespace)."""
    import yaml

    values, templates = chart_parts(objs, pinned=bool(namespace))
    files = dict(templates)
    files["Chart.yaml"] = yaml.safe_dump({
        "apiVersion": "v2", "name": f"sentiric-{profile}", "version": "0.1.0", "appVersion": "latest",
        "description": f"The Sentiric platform, profile {profile} (exported by Symphony's k8s.export)",
        "type": "application"}, sort_keys=True)
    files["values.yaml"] = (
        "# Defaults reproduce the plain manifests exactly. secretEnv holds secrets: keep this file\n"
        "# out of version control or pass secrets with --set / a private values file.\n"
        + yaml.safe_dump(values, sort_keys=True, width=1000))
    files["values.schema.json"] = json.dumps(values_schema(values), indent=2, sort_keys=True) + "\n"
    return files
