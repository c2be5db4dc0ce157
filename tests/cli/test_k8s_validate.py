"""k8s.validate checks what the API server and Pod Security admission check — no less (each rule
below is one the API server applies: pkg/apis/core/validation, apimachinery's name rules, the
Pod Security Standards) and no more (objects the API server accepts pass)."""
from __future__ import annotations

import copy

import pytest

from symphony.core.kube import pss
from symphony.core.kube.checks import check_manifests, check_notes
from symphony.core.kube.schema import schema_errors
from tests.invoke_helpers import inv

LABELS = {"app": "x"}


def restricted_pod(**extra) -> dict:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "example/app:1",
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
        **extra,
    }


def deployment(name="web", pod=None, **spec) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": LABELS},
            "spec": {"replicas": 1, "selector": {"matchLabels": LABELS},
                     "template": {"metadata": {"labels": LABELS}, "spec": pod or restricted_pod()}, **spec}}


def service(name="web", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": LABELS, **spec}}


def configmap(name="cfg", **data) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def problems(*objs, level="restricted"):
    for obj in objs:
        assert not schema_errors(obj, "1.31"), schema_errors(obj, "1.31")  # the cases are schema-valid
    return check_manifests(list(objs), level)


# -- accepted by the API server: must pass ------------------------------------------------------------------

def test_what_the_api_server_accepts_passes():
    long_name = "c" * 100  # ConfigMap, Secret and PVC names are DNS-1123 subdomains (≤ 253)
    objs = [
        deployment(),
        service(ports=[{"name": "80", "port": 80, "targetPort": 80, "protocol": "TCP"},  # a DNS-1123 label
                       {"name": "https", "port": 443, "targetPort": 443, "protocol": "TCP"}]),
        service("headless", clusterIP="None"),  # headless: no ports needed
        configmap(long_name, a="1"),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": long_name + ".x"}, "stringData": {"k": "v"}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": long_name},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        deployment("uses-existing-claim", restricted_pod(volumes=[
            {"name": "data", "persistentVolumeClaim": {"claimName": "made-elsewhere"}}])),
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",  # RBAC names are path segments
         "metadata": {"name": "system:aggregate-to-view"}, "rules": []},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s" * 52},
         "spec": {"selector": {"matchLabels": LABELS}, "serviceName": "headless",
                  "template": {"metadata": {"labels": LABELS}, "spec": restricted_pod()}}},
    ]
    assert problems(*objs) == []
    notes = check_notes(objs)
    assert any("made-elsewhere" in n and "must exist" in n for n in notes)  # a note, not a failure


# -- refused by the API server: must fail -------------------------------------------------------------------

@pytest.mark.parametrize("obj,expected", [
    (service("1st-web"), "not a DNS-1035 label"),  # Service names start with a letter
    (service("web", ports=[]), "needs ports unless it is headless"),
    (service("web", ports=[{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}]), "needs a name"),
    (service("web", ports=[{"name": "Web", "port": 80, "protocol": "TCP"}]), "not a DNS-1123 label"),
    (service("web", ports=[{"name": "a", "port": 80, "protocol": "TCP"}, {"name": "a", "port": 81, "protocol": "TCP"}]),
     "port name 'a' is duplicated"),
    (service("web", clusterIP="None", type="LoadBalancer"), "headless Service cannot be of type LoadBalancer"),
    (service("web", ports=[{"port": 80, "protocol": "TCP", "nodePort": 30000}]), "nodePort is only allowed"),
    (configmap("Bad_Name"), "not a DNS-1123 subdomain"),
    (configmap("ok", **{"bad key": "1"}), "not a valid key"),
    ({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s" * 53},
      "spec": {"selector": {"matchLabels": LABELS}, "serviceName": "x",
               "template": {"metadata": {"labels": LABELS}, "spec": restricted_pod()}}}, "at most 52 characters"),
    (deployment(pod=restricted_pod(volumes=[{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}])),
     "volume name 'v' is duplicated"),
    (deployment(pod={**restricted_pod(), "containers": [{**restricted_pod()["containers"][0], "volumeMounts": [
        {"name": "nope", "mountPath": "/x"}]}]}), "mount nope has no volume"),
    (deployment(pod={**restricted_pod(), "containers": [{**restricted_pod()["containers"][0], "ports": [
        {"name": "80", "containerPort": 80}]}]}), "not a valid IANA_SVC_NAME"),  # container ports: IANA names
    (deployment(pod={**restricted_pod(), "containers": [{**restricted_pod()["containers"][0], "resources": {
        "requests": {"cpu": "2"}, "limits": {"cpu": "500m"}}}]}), "request cpu 2 exceeds its limit 500m"),
    (deployment(pod=restricted_pod(), selector={"matchLabels": {"app": "other"}}), "does not match"),
    ({**deployment(), "metadata": {"name": "web", "labels": {"k": "v" * 64}}}, "not a valid label value"),
])
def test_what_the_api_server_refuses_fails(obj, expected):
    found = problems(obj)
    assert any(expected in p for p in found), found


def test_duplicate_objects_fail_and_namespaces_keep_them_apart():
    a, b = configmap("same", x="1"), configmap("same", x="2")
    assert any("defined 2 times" in p for p in problems(a, b))
    b["metadata"]["namespace"] = "other"
    assert problems(a, b) == []


def test_cap_prefixed_capabilities_fail():
    pod = restricted_pod()
    pod["containers"][0]["securityContext"]["capabilities"]["add"] = ["CAP_NET_BIND_SERVICE"]
    assert any("carries the CAP_ prefix" in p for p in problems(deployment(pod=pod), level="privileged"))


# -- Pod Security ----------------------------------------------------------------------------------------------

def mutate(path_value):
    pod = copy.deepcopy(restricted_pod())
    path, value = path_value
    target = pod
    for part in path[:-1]:
        target = target[part] if not isinstance(part, int) else target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return pod


RESTRICTED_RULES = [
    ((("securityContext", "runAsNonRoot"), None), "runAsNonRoot must be true"),
    ((("securityContext", "seccompProfile"), None), "seccompProfile must be RuntimeDefault or Localhost"),
    ((("containers", 0, "securityContext", "allowPrivilegeEscalation"), None),
     "allowPrivilegeEscalation must be false"),
    ((("containers", 0, "securityContext", "capabilities"), {"drop": ["NET_RAW"]}), "drop must include ALL"),
    ((("containers", 0, "securityContext", "capabilities"), {"drop": ["ALL"], "add": ["CHOWN"]}),
     "may only hold NET_BIND_SERVICE"),
    ((("containers", 0, "securityContext", "runAsUser"), 0), "runAsUser 0 is forbidden"),
    ((("volumes",), [{"name": "host", "hostPath": {"path": "/"}}]), "hostPath volumes are forbidden"),
    ((("hostNetwork",), True), "hostNetwork: true"),
    ((("containers", 0, "securityContext", "privileged"), True), "privileged: true is forbidden"),
    ((("securityContext", "sysctls"), [{"name": "net.core.somaxconn", "value": "1"}]), "not in the safe set"),
]


@pytest.mark.parametrize("change,expected", RESTRICTED_RULES)
def test_each_restricted_rule(change, expected):
    pod = mutate(change)
    found = pss.check("restricted", pod)
    assert any(expected in p for p in found), found


def test_the_restricted_pod_passes_and_baseline_allows_what_restricted_refuses():
    assert pss.check("restricted", restricted_pod()) == []
    root = mutate((("containers", 0, "securityContext"), {"runAsUser": 0, "capabilities": {"add": ["CHOWN"]}}))
    root["securityContext"] = {}
    assert pss.check("restricted", root) and pss.check("baseline", root) == []
    assert pss.check("baseline", mutate((("hostNetwork",), True)))
    # sysctls allowed from a version on: the safe set grows
    late = mutate((("securityContext", "sysctls"), [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]))
    assert pss.check("baseline", late, version=(1, 28)) and not pss.check("baseline", late, version=(1, 29))


def test_validate_task_on_a_directory(tmp_path):
    import yaml

    bad = tmp_path / "bad"
    bad.mkdir()
    pod = mutate((("securityContext", "runAsNonRoot"), None))
    (bad / "x.yaml").write_text(yaml.safe_dump_all([deployment(pod=pod), service("9lives", clusterIP="None")]))
    res = inv("k8s.validate", str(bad), state_dir=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "Service/9lives: name is not a DNS-1035 label" in res.stdout
    assert "Deployment/web: Pod Security restricted: container app: runAsNonRoot must be true" in res.stdout
    baseline = inv("k8s.validate", str(bad), "--pod-security", "baseline", state_dir=tmp_path).stdout
    assert [line for line in baseline.splitlines() if line.startswith("fail")] == [
        "fail  Service/9lives: name is not a DNS-1035 label (lower-case letters, digits, '-', starting with a letter, "
        "≤ 63)"]  # runAsNonRoot is a restricted rule only
    res = inv("k8s.validate", str(bad), "--pod-security", "root", state_dir=tmp_path)
    assert res.returncode == 2 and "--pod-security 'root' is not one of" in res.stderr


def test_a_kustomization_without_kubectl_is_a_missing_tool(tmp_path):
    import yaml

    k = tmp_path / "k"
    k.mkdir()
    (k / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["cm.yaml"]}))
    (k / "cm.yaml").write_text(yaml.safe_dump(configmap("cfg", a="1")))
    res = inv("k8s.validate", str(k), state_dir=tmp_path, env={"PATH": str(tmp_path / "empty-path")})
    assert res.returncode == 127 and "needs kubectl" in res.stderr and "Traceback" not in res.stderr


def test_a_list_is_validated_item_by_item(tmp_path):
    """`kubectl get -o yaml` writes `kind: List`; kubectl apply applies each item, so validate checks each."""
    import yaml

    good = {"apiVersion": "v1", "kind": "List", "items": [deployment(), service(ports=[{"port": 80}])]}
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "all.yaml").write_text(yaml.safe_dump(good))
    res = inv("k8s.validate", str(tmp_path / "ok"), state_dir=tmp_path)
    assert res.returncode == 0 and "not a Kubernetes object" not in res.stdout + res.stderr, res.stdout + res.stderr
    bad = {"apiVersion": "v1", "kind": "List", "items": [deployment(), deployment()]}  # one name twice
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "all.yaml").write_text(yaml.safe_dump(bad))
    res = inv("k8s.validate", str(tmp_path / "bad"), state_dir=tmp_path)
    assert res.returncode == 1 and "Deployment/web: defined 2 times" in res.stdout + res.stderr


def test_a_manifest_that_is_not_utf8_is_named_with_its_line(tmp_path):
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "latin.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
                                          b"data: {x: \"\xe9\"}\n")
    res = inv("k8s.validate", str(tmp_path), state_dir=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "latin.yaml:4: not UTF-8 text" in res.stdout + res.stderr, res.stdout + res.stderr
