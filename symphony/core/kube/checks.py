"""What schema validation misses, as the API server checks it (pkg/apis/core/validation and
apimachinery's name rules), plus Pod Security admission and the project's secret rule.

`check_manifests` returns the problems (the API server or admission would refuse the object, or a
secret sits in the clear); `check_notes` the observations that are not errors (a reference to an
object that is not in the set must exist in the cluster; a Service that selects no pods here).
"""
from __future__ import annotations

from symphony.core.kube import pss
from symphony.core.kube.names import (
    JOB_NAME_MAX,
    STATEFULSET_NAME_MAX,
    is_config_key,
    is_dns1035_label,
    is_dns_label,
    is_dns_subdomain,
    is_label_value,
    is_port_name,
    is_qualified_name,
)
from symphony.core.kube.quantities import parse_quantity
from symphony.core.kube.security import LEVELS, RELAX_LABEL
from symphony.core.secrets import is_secret

WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet", "ReplicationController")
LABEL_NAMED = {"Namespace", "Service"}  # names that are DNS labels; everything else a subdomain
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
                  "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass"}
ANNOTATIONS_MAX = 256 * 1024
OBJECT_MAX = 1024 * 1024
NODE_PORTS = range(30000, 32768)


def pod_spec(obj: dict) -> dict | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") in WORKLOADS:
        return (spec.get("template") or {}).get("spec")
    if obj.get("kind") == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    if obj.get("kind") == "Pod":
        return spec
    return None


def pod_meta(obj: dict) -> dict:
    if obj.get("kind") == "Pod":
        return obj.get("metadata") or {}
    return ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}


SUBDOMAIN_NAMED = {
    "ConfigMap", "Secret", "PersistentVolumeClaim", "PersistentVolume", "Deployment", "StatefulSet", "DaemonSet",
    "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod", "PodTemplate", "Ingress", "IngressClass",
    "ServiceAccount", "NetworkPolicy", "StorageClass", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "LimitRange", "ResourceQuota", "PriorityClass", "RuntimeClass", "Endpoints", "EndpointSlice", "Lease",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}
PATH_SEGMENT_NAMED = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}  # "system:aggregate-to-view"


def _name_problem(kind: str, name: str) -> str | None:
    if not name:
        return "has no name"
    if kind == "Service":
        if not is_dns1035_label(name):
            return "name is not a DNS-1035 label (lower-case letters, digits, '-', starting with a letter, ≤ 63)"
    elif kind == "Namespace":
        if not is_dns_label(name):
            return "name is not a DNS-1123 label (≤ 63)"
    elif kind in SUBDOMAIN_NAMED:
        if not is_dns_subdomain(name):
            return "name is not a DNS-1123 subdomain (lower-case letters, digits, '-', '.', ≤ 253)"
    elif kind in PATH_SEGMENT_NAMED:
        if name in (".", "..") or "/" in name or "%" in name:
            return "name may not be '.' or '..' nor contain '/' or '%'"
    if kind == "StatefulSet" and len(name) > STATEFULSET_NAME_MAX:
        return (f"a StatefulSet name holds at most {STATEFULSET_NAME_MAX} characters (its pods' "
                "controller-revision-hash label is <name>-<hash>)")
    if kind in ("Job",) and len(name) > JOB_NAME_MAX:
        return f"a Job name holds at most {JOB_NAME_MAX} characters (it becomes its pods' job-name label)"
    if kind == "CronJob" and len(name) > 52:
        return "a CronJob name holds at most 52 characters"
    return None


def _meta_problems(where: str, meta: dict) -> list[str]:
    problems = []
    for key, value in (meta.get("labels") or {}).items():
        if not is_qualified_name(key):
            problems.append(f"{where}: label key {key!r} is not a valid qualified name")
        if not is_label_value(value if isinstance(value, str) else str(value)):
            problems.append(f"{where}: label {key} value {value!r} is not a valid label value (≤ 63, alphanumeric "
                            "at both ends)")
    annotations = meta.get("annotations") or {}
    for key in annotations:
        if not is_qualified_name(key):
            problems.append(f"{where}: annotation key {key!r} is not a valid qualified name")
    if sum(len(k) + len(str(v)) for k, v in annotations.items()) > ANNOTATIONS_MAX:
        problems.append(f"{where}: annotations exceed 256 KiB")
    return problems


def _service_problems(where: str, spec: dict) -> list[str]:
    problems = []
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    kind = spec.get("type", "ClusterIP")
    if not ports and not headless and kind != "ExternalName":
        problems.append(f"{where}: a Service needs ports unless it is headless (clusterIP: None)")
    if headless and kind in ("NodePort", "LoadBalancer"):
        problems.append(f"{where}: a headless Service cannot be of type {kind}")
    names, numbers = set(), set()
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            continue  # the schema names what is not a port
        pname = p.get("name")
        if len(ports) > 1 and not pname:
            problems.append(f"{where}: port {i} needs a name (the Service has several ports)")
        if pname:
            if not is_dns_label(pname):
                problems.append(f"{where}: port name {pname!r} is not a DNS-1123 label")
            if pname in names:
                problems.append(f"{where}: port name {pname!r} is duplicated")
            names.add(pname)
        key = (p.get("port"), p.get("protocol", "TCP"))
        if key in numbers:
            problems.append(f"{where}: port {key[0]}/{key[1]} is duplicated")
        numbers.add(key)
        target = p.get("targetPort")
        if isinstance(target, str) and not is_port_name(target):
            problems.append(f"{where}: targetPort {target!r} is not a valid port name (IANA_SVC_NAME)")
        if "nodePort" in p:
            if kind not in ("NodePort", "LoadBalancer"):
                problems.append(f"{where}: nodePort is only allowed for NodePort and LoadBalancer Services")
            elif p["nodePort"] not in NODE_PORTS:
                problems.append(f"{where}: nodePort {p['nodePort']} is outside the default range 30000-32767")
        if "appProtocol" in p and not is_qualified_name(p["appProtocol"]):
            problems.append(f"{where}: appProtocol {p['appProtocol']!r} is not a valid qualified name")
    return problems


def _data_problems(where: str, obj: dict) -> list[str]:
    problems = []
    data = obj.get("data") or {}
    other = obj.get("binaryData") or {} if obj["kind"] == "ConfigMap" else obj.get("stringData") or {}
    for key in list(data) + list(other):
        if not is_config_key(key):
            problems.append(f"{where}: key {key!r} is not a valid key ([-._a-zA-Z0-9]+, ≤ 253)")
    if obj["kind"] == "ConfigMap":
        for key in set(data) & set(other):
            problems.append(f"{where}: key {key!r} is in both data and binaryData")
    size = sum(len(k) + len(str(v)) for k, v in list(data.items()) + list(other.items()))
    if size > OBJECT_MAX:
        problems.append(f"{where}: holds {size} bytes, more than the 1 MiB an object may hold")
    return problems


def _pod_problems(where: str, obj: dict, pod: dict, claims: set[str]) -> list[str]:
    problems = []
    volumes = pod.get("volumes") or []
    volume_names = [v.get("name") for v in volumes]
    for vname in volume_names:
        if not is_dns_label(vname or ""):
            problems.append(f"{where}: volume name {vname!r} is not a DNS-1123 label")
    for dup in sorted({n for n in volume_names if volume_names.count(n) > 1}):
        problems.append(f"{where}: volume name {dup!r} is duplicated")
    for v in volumes:
        for source in ("configMap", "secret"):
            for item in (v.get(source) or {}).get("items") or []:
                path = str(item.get("path", ""))
                if path.startswith("/") or ".." in path.split("/"):
                    problems.append(f"{where}: volume {v.get('name')} item path {path!r} must be relative without '..'")
    containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
    cnames = [c.get("name") for c in containers]
    for dup in sorted({n for n in cnames if cnames.count(n) > 1}):
        problems.append(f"{where}: container name {dup!r} is duplicated")
    if not pod.get("containers"):
        problems.append(f"{where}: a pod needs at least one container")
    mounted = set(volume_names) | claims
    for c in containers:
        cwhere = f"{where} container {c.get('name')}"
        if not is_dns_label(c.get("name") or ""):
            problems.append(f"{cwhere}: name is not a DNS-1123 label")
        pnames = set()
        for port in c.get("ports") or []:
            pname = port.get("name")
            if pname is not None:
                if not is_port_name(pname):
                    problems.append(f"{cwhere}: port name {pname!r} is not a valid IANA_SVC_NAME (≤ 15, a letter, "
                                    "no '--')")
                if pname in pnames:
                    problems.append(f"{cwhere}: port name {pname!r} is duplicated")
                pnames.add(pname)
        paths = set()
        for m in c.get("volumeMounts") or []:
            if m.get("name") not in mounted:
                problems.append(f"{cwhere}: mount {m.get('name')} has no volume")
            if m.get("mountPath") in paths:
                problems.append(f"{cwhere}: mountPath {m.get('mountPath')} is used twice")
            paths.add(m.get("mountPath"))
            sub = str(m.get("subPath", ""))
            if sub.startswith("/") or ".." in sub.split("/"):
                problems.append(f"{cwhere}: subPath {sub!r} must be relative without '..'")
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        for cap in (caps.get("add") or []) + (caps.get("drop") or []):
            if str(cap).upper().startswith("CAP_"):
                problems.append(f"{cwhere}: capability {cap} carries the CAP_ prefix; Kubernetes wants {cap[4:]} "
                                "(the runtime adds the prefix itself)")
        resources = c.get("resources") or {}
        for key, req in (resources.get("requests") or {}).items():
            lim = (resources.get("limits") or {}).get(key)
            rq, lq = parse_quantity(req), parse_quantity(lim) if lim is not None else None
            if rq is None:
                problems.append(f"{cwhere}: request {key} {req!r} is not a quantity")
            elif lq is not None and rq > lq:
                problems.append(f"{cwhere}: request {key} {req} exceeds its limit {lim}")
        for key, lim in (resources.get("limits") or {}).items():
            if parse_quantity(lim) is None:
                problems.append(f"{cwhere}: limit {key} {lim!r} is not a quantity")
    policy = pod.get("restartPolicy")
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet") and policy not in (None, "Always"):
        problems.append(f"{where}: restartPolicy must be Always for a {obj['kind']}")
    if obj["kind"] == "Job" and policy not in ("Never", "OnFailure"):
        problems.append(f"{where}: a Job's restartPolicy must be Never or OnFailure")
    return problems


def check_manifests(objs: list[dict], pod_security: str | dict = "restricted",
                    version: tuple[int, int] = (1, 31)) -> list[str]:
    """Problems the API server (or Pod Security admission at `pod_security`, or the secret rule)
    would have with these objects. `pod_security` is a level, or {namespace: level} with the
    key None for objects without a namespace."""
    problems = []
    seen: dict[tuple, int] = {}
    for obj in objs:
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        name = meta.get("name", "")
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        key = (group, kind, None if kind in CLUSTER_SCOPED else meta.get("namespace"), name)
        seen[key] = seen.get(key, 0) + 1
    for (_group, kind, namespace, name), count in sorted(seen.items(), key=str):
        if count > 1:
            where = f"{kind}/{name}" + (f" in {namespace}" if namespace else "")
            problems.append(f"{where}: defined {count} times (the API server keeps one object per kind, "
                            "namespace and name)")
    # a node port is the cluster's, whatever the namespace or protocol (the allocator holds port numbers;
    # only one Service may use one for TCP and UDP both)
    node_ports: dict[int, list[str]] = {}
    for obj in objs:
        if obj.get("kind") == "Service":
            where = f"Service/{(obj.get('metadata') or {}).get('name', '')}"
            for p in (obj.get("spec") or {}).get("ports") or []:
                number = p.get("nodePort") if isinstance(p, dict) else None  # (a malformed one: the schema says)
                holders = node_ports.setdefault(number, []) if isinstance(number, int) else None
                if holders is not None and where not in holders:
                    holders.append(where)
    for port, holders in sorted(node_ports.items()):
        if len(holders) > 1:
            problems.append(f"{holders[1]}: nodePort {port} is also {holders[0]}'s (a node port is the cluster's: "
                            "the API server refuses the second, \"provided port is already allocated\")")
    for obj in objs:
        kind, meta = obj["kind"], obj.get("metadata") or {}
        name = meta.get("name", "")
        where = f"{kind}/{name}"
        why = _name_problem(kind, name)
        if why:
            problems.append(f"{where}: {why}")
        if meta.get("namespace") is not None and not is_dns_label(meta["namespace"]):
            problems.append(f"{where}: namespace {meta['namespace']!r} is not a DNS-1123 label")
        problems += _meta_problems(where, meta)
        spec = obj.get("spec") or {}
        if kind in ("ConfigMap", "Secret"):
            problems += _data_problems(where, obj)
        if kind == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                if is_secret(key, value):
                    problems.append(f"{where}: {key} looks secret but sits in a ConfigMap (the secret rule: move it "
                                    "to a Secret)")
        if kind == "Service":
            problems += _service_problems(where, spec)
        pod = pod_spec(obj)
        if pod is None:
            continue
        template_meta = pod_meta(obj)
        problems += _meta_problems(f"{where} pod template", template_meta)
        selector = (spec.get("selector") or {}).get("matchLabels") if kind != "Pod" else None
        labels = template_meta.get("labels") or {}
        if selector and any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{where}: selector {selector} does not match the pod template's labels")
        if kind in ("Deployment", "StatefulSet", "DaemonSet") and not selector:
            problems.append(f"{where}: spec.selector.matchLabels is required")
        claims = set()
        for t in spec.get("volumeClaimTemplates") or []:
            cname = (t.get("metadata") or {}).get("name", "")
            claims.add(cname)
            if not is_dns_label(cname):
                problems.append(f"{where}: volume claim template {cname!r} is not a DNS-1123 label")
        problems += _pod_problems(where, obj, pod, claims)
        for env_holder in (pod.get("containers") or []) + (pod.get("initContainers") or []):
            for env in env_holder.get("env") or []:
                if "value" in env and is_secret(env["name"], env["value"]):
                    problems.append(f"{where}: {env['name']} is a secret written as a literal env value")
        level = pod_security if isinstance(pod_security, str) else pod_security.get(
            meta.get("namespace"), pod_security.get(None, "restricted"))
        labelled = meta.get("namespace") is not None and meta.get("namespace") in pod_security \
            if not isinstance(pod_security, str) else True
        if not labelled:
            # no Namespace says otherwise: a workload the export relaxed on purpose (and reported)
            # is checked at the level it declares, every other one at restricted
            declared = ((template_meta.get("annotations") or {}).get(RELAX_LABEL)
                        or (meta.get("annotations") or {}).get(RELAX_LABEL))
            if declared in LEVELS:
                level = declared
        for violation in pss.check(level, pod, template_meta, version):
            hint = ""
            relaxed = (template_meta.get("annotations") or {}).get("com.sentiric.k8s.pod-security")
            if relaxed and relaxed != level:
                hint = f" (relaxed to {relaxed} on purpose: its namespace must enforce {relaxed})"
            problems.append(f"{where}: Pod Security {level}: {violation}{hint}")
    return problems


def check_notes(objs: list[dict]) -> list[str]:
    """References to objects that are not in the set (they must exist in the cluster), and
    Services that select no pods here. Not errors: the API server accepts both."""
    notes = []
    by_kind: dict[str, set[str]] = {}
    for obj in objs:
        by_kind.setdefault(obj["kind"], set()).add(obj["metadata"]["name"])
    pods = []
    for obj in objs:
        pod = pod_spec(obj)
        if pod is None:
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        pods.append(obj)
        refs = set()
        for vol in pod.get("volumes") or []:
            if "configMap" in vol:
                refs.add(("ConfigMap", vol["configMap"].get("name")))
            if "secret" in vol:
                refs.add(("Secret", vol["secret"].get("secretName")))
            if "persistentVolumeClaim" in vol:
                refs.add(("PersistentVolumeClaim", vol["persistentVolumeClaim"].get("claimName")))
        for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
            for ref in c.get("envFrom") or []:
                if "configMapRef" in ref:
                    refs.add(("ConfigMap", ref["configMapRef"].get("name")))
                if "secretRef" in ref:
                    refs.add(("Secret", ref["secretRef"].get("name")))
        for secret in pod.get("imagePullSecrets") or []:
            refs.add(("Secret", secret.get("name")))
        for kind, name in sorted(refs, key=str):
            if name not in by_kind.get(kind, set()):
                notes.append(f"{where} uses {kind} {name}, which is not in this set: it must exist in the namespace")
        service = (obj.get("spec") or {}).get("serviceName")
        if obj["kind"] == "StatefulSet" and service and service not in by_kind.get("Service", set()):
            notes.append(f"{where}: its governing Service {service} is not in this set")
    for obj in objs:
        if obj["kind"] != "Service":
            continue
        selector = (obj.get("spec") or {}).get("selector") or {}
        if selector and not any(all((pod_meta(o).get("labels") or {}).get(k) == v for k, v in selector.items())
                                for o in pods):
            notes.append(f"Service/{obj['metadata']['name']}: its selector matches no pod template in this set")
    return notes
