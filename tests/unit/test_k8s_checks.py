"""What `k8s.validate` checks beyond the schemas (core.kube.checks), against the API server's
rules (k8s.io/kubernetes pkg/apis/core/validation, apimachinery's name rules), Pod Security
admission and the project's secret rule: a valid set has no problem; each rule, broken alone,
is reported once, naming the object (and container) and what is wrong."""
from __future__ import annotations

import copy

import pytest

from symphony.core.kube.checks import check_manifests, check_notes

LABELS = {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "sentiric-demo"}
SAFE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def pod(**extra) -> dict:
    spec = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "api", "image": "api:1", "securityContext": copy.deepcopy(SAFE),
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "envFrom": [{"configMapRef": {"name": "api-env"}}, {"secretRef": {"name": "api-env"}}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                          "limits": {"cpu": "1", "memory": "1Gi"}},
                            "volumeMounts": [{"name": "conf", "mountPath": "/etc/api", "subPath": "a/b"}]}],
            "volumes": [{"name": "conf", "configMap": {"name": "api-files", "items": [{"key": "k", "path": "a/b"}]}}]}
    spec.update(extra)
    return spec


def valid_set() -> list[dict]:
    def meta(name):
        return {"name": name, "labels": dict(LABELS), "namespace": "demo"}

    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("api-env"), "data": {"LOG_LEVEL": "info"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("api-files"), "data": {"k": "v"},
         "binaryData": {"b.bin": "AA=="}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta("api-env"),
         "stringData": {"DB_PASSWORD": "s3cret"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("api"),
         "spec": {"selector": dict(LABELS), "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                                                      {"name": "grpc", "port": 81, "targetPort": 8081,
                                                       "appProtocol": "kubernetes.io/h2c"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("api-public"),
         "spec": {"type": "NodePort", "selector": dict(LABELS), "ports": [{"port": 80, "nodePort": 30080}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("db-headless"),
         "spec": {"clusterIP": "None", "selector": dict(LABELS)}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("api"),
         "spec": {"selector": {"matchLabels": dict(LABELS)},
                  "template": {"metadata": {"labels": dict(LABELS)}, "spec": pod()}}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("db"),
         "spec": {"selector": {"matchLabels": dict(LABELS)}, "serviceName": "db-headless",
                  "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
                  "template": {"metadata": {"labels": dict(LABELS)}, "spec": pod(containers=[{
                      "name": "db", "image": "db:1", "securityContext": copy.deepcopy(SAFE),
                      "volumeMounts": [{"name": "data", "mountPath": "/data"}]}], volumes=[])}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("migrate"),
         "spec": {"template": {"metadata": {"labels": dict(LABELS)}, "spec": pod(restartPolicy="Never")}}},
    ]


def obj(objs, kind, name):
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def deployment_pod(objs):
    return obj(objs, "Deployment", "api")["spec"]["template"]["spec"]


def api(objs):
    return deployment_pod(objs)["containers"][0]


def test_a_valid_set_has_no_problem_and_no_note():
    assert check_manifests(valid_set()) == []
    assert check_notes(valid_set()) == []


def _name(kind, name, new):
    return lambda objs: obj(objs, kind, name)["metadata"].update(name=new)


BROKEN = [
    (lambda o: o.append(copy.deepcopy(obj(o, "ConfigMap", "api-env"))),
     "ConfigMap/api-env in demo: defined 2 times (the API server keeps one object per kind, namespace and name)"),
    (_name("Service", "api", "1api"), "Service/1api: name is not a DNS-1035 label (lower-case letters, digits, '-', "
                                      "starting with a letter, ≤ 63)"),
    (_name("Namespace", "demo", "demo.x"), "Namespace/demo.x: name is not a DNS-1123 label (≤ 63)"),
    (_name("ConfigMap", "api-files", "Api_Files"), "ConfigMap/Api_Files: name is not a DNS-1123 subdomain "
                                                   "(lower-case letters, digits, '-', '.', ≤ 253)"),
    (_name("ConfigMap", "api-files", ""), "ConfigMap/: has no name"),
    (_name("StatefulSet", "db", "d" * 53), f"StatefulSet/{'d' * 53}: a StatefulSet name holds at most 52 characters "
                                           "(its pods' controller-revision-hash label is <name>-<hash>)"),
    (_name("Job", "migrate", "m" * 64), f"Job/{'m' * 64}: a Job name holds at most 63 characters (it becomes its "
                                        "pods' job-name label)"),
    (lambda o: obj(o, "ConfigMap", "api-env")["metadata"].update(namespace="Demo"),
     "ConfigMap/api-env: namespace 'Demo' is not a DNS-1123 label"),
    (lambda o: obj(o, "ConfigMap", "api-env")["metadata"]["labels"].update({"bad key!": "x"}),
     "ConfigMap/api-env: label key 'bad key!' is not a valid qualified name"),
    (lambda o: obj(o, "ConfigMap", "api-env")["metadata"]["labels"].update(tier="-x"),
     "ConfigMap/api-env: label tier value '-x' is not a valid label value (≤ 63, alphanumeric at both ends)"),
    (lambda o: obj(o, "ConfigMap", "api-env")["metadata"].update(annotations={"/x": "1"}),
     "ConfigMap/api-env: annotation key '/x' is not a valid qualified name"),
    (lambda o: obj(o, "ConfigMap", "api-env")["metadata"].update(annotations={"big": "x" * (256 * 1024)}),
     "ConfigMap/api-env: annotations exceed 256 KiB"),
    (lambda o: obj(o, "ConfigMap", "api-env")["data"].update({"a b": "1"}),
     "ConfigMap/api-env: key 'a b' is not a valid key ([-._a-zA-Z0-9]+, ≤ 253)"),
    (lambda o: obj(o, "Secret", "api-env")["stringData"].update({"..": "1"}),
     "Secret/api-env: key '..' is not a valid key ([-._a-zA-Z0-9]+, ≤ 253)"),
    (lambda o: obj(o, "ConfigMap", "api-files")["binaryData"].update(k="AA=="),
     "ConfigMap/api-files: key 'k' is in both data and binaryData"),
    (lambda o: obj(o, "ConfigMap", "api-files")["data"].update(big="x" * (1024 * 1024)),
     f"ConfigMap/api-files: holds {len('k') + len('v') + len('big') + 1024 * 1024 + len('b.bin') + len('AA==')} "
     "bytes, more than the 1 MiB an object may hold"),
    (lambda o: obj(o, "ConfigMap", "api-env")["data"].update(API_TOKEN="t0ken"),
     "ConfigMap/api-env: API_TOKEN looks secret but sits in a ConfigMap (the secret rule: move it to a Secret)"),
    (lambda o: obj(o, "Service", "api")["spec"].pop("ports"),
     "Service/api: a Service needs ports unless it is headless (clusterIP: None)"),
    (lambda o: obj(o, "Service", "db-headless")["spec"].update(type="LoadBalancer"),
     "Service/db-headless: a headless Service cannot be of type LoadBalancer"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][1].pop("name"),
     "Service/api: port 1 needs a name (the Service has several ports)"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][1].update(name="Grpc"),
     "Service/api: port name 'Grpc' is not a DNS-1123 label"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][1].update(name="http"),
     "Service/api: port name 'http' is duplicated"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][1].update(port=80),
     "Service/api: port 80/TCP is duplicated"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][0].update(targetPort="http--x"),
     "Service/api: targetPort 'http--x' is not a valid port name (IANA_SVC_NAME)"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][0].update(nodePort=30001),
     "Service/api: nodePort is only allowed for NodePort and LoadBalancer Services"),
    (lambda o: obj(o, "Service", "api-public")["spec"]["ports"][0].update(nodePort=32768),
     "Service/api-public: nodePort 32768 is outside the default range 30000-32767"),
    (lambda o: obj(o, "Service", "api")["spec"]["ports"][1].update(appProtocol="h2c/"),
     "Service/api: appProtocol 'h2c/' is not a valid qualified name"),
    (lambda o: obj(o, "Deployment", "api")["spec"]["template"]["metadata"]["labels"].update(
        {"app.kubernetes.io/name": "other"}),
     "Deployment/api: selector {'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'sentiric-demo'} "
     "does not match the pod template's labels"),
    (lambda o: obj(o, "Deployment", "api")["spec"].pop("selector"),
     "Deployment/api: spec.selector.matchLabels is required"),
    (lambda o: obj(o, "Deployment", "api")["spec"]["template"]["metadata"].update(annotations={"a/b/c": "x"}),
     "Deployment/api pod template: annotation key 'a/b/c' is not a valid qualified name"),
    (lambda o: (obj(o, "StatefulSet", "db")["spec"]["volumeClaimTemplates"][0]["metadata"].update(name="Data"),
                obj(o, "StatefulSet", "db")["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0].update(
                    name="Data")),
     "StatefulSet/db: volume claim template 'Data' is not a DNS-1123 label"),
    (lambda o: (deployment_pod(o)["volumes"][0].update(name="conf_x"), api(o)["volumeMounts"][0].update(name="conf_x")),
     "Deployment/api: volume name 'conf_x' is not a DNS-1123 label"),
    (lambda o: deployment_pod(o)["volumes"].append({"name": "conf", "emptyDir": {}}),
     "Deployment/api: volume name 'conf' is duplicated"),
    (lambda o: deployment_pod(o)["volumes"][0]["configMap"]["items"][0].update(path="../x"),
     "Deployment/api: volume conf item path '../x' must be relative without '..'"),
    (lambda o: deployment_pod(o)["volumes"][0]["configMap"]["items"][0].update(path="/x"),
     "Deployment/api: volume conf item path '/x' must be relative without '..'"),
    (lambda o: deployment_pod(o).update(initContainers=[{"name": "api", "image": "x", "securityContext": SAFE}]),
     "Deployment/api: container name 'api' is duplicated"),
    (lambda o: api(o).update(name="API"), "Deployment/api container API: name is not a DNS-1123 label"),
    (lambda o: api(o)["ports"][0].update(name="http--2"),
     "Deployment/api container api: port name 'http--2' is not a valid IANA_SVC_NAME (≤ 15, a letter, no '--')"),
    (lambda o: api(o)["ports"].append({"name": "http", "containerPort": 9090}),
     "Deployment/api container api: port name 'http' is duplicated"),
    (lambda o: api(o)["volumeMounts"].append({"name": "nope", "mountPath": "/x"}),
     "Deployment/api container api: mount nope has no volume"),
    (lambda o: api(o)["volumeMounts"].append({"name": "conf", "mountPath": "/etc/api"}),
     "Deployment/api container api: mountPath /etc/api is used twice"),
    (lambda o: api(o)["volumeMounts"][0].update(subPath="a/../b"),
     "Deployment/api container api: subPath 'a/../b' must be relative without '..'"),
    (lambda o: api(o)["securityContext"]["capabilities"].update(drop=["ALL", "cap_sys_admin"]),
     "Deployment/api container api: capability cap_sys_admin carries the CAP_ prefix; Kubernetes wants "
     "sys_admin (the runtime adds the prefix itself)"),
    (lambda o: api(o)["resources"]["requests"].update(memory="2Gi"),
     "Deployment/api container api: request memory 2Gi exceeds its limit 1Gi"),
    (lambda o: api(o)["resources"]["requests"].update(cpu="lots"),
     "Deployment/api container api: request cpu 'lots' is not a quantity"),
    (lambda o: api(o)["resources"]["limits"].update(memory="1 Gi"),
     "Deployment/api container api: limit memory '1 Gi' is not a quantity"),
    (lambda o: deployment_pod(o).update(restartPolicy="Never"),
     "Deployment/api: restartPolicy must be Always for a Deployment"),
    (lambda o: obj(o, "Job", "migrate")["spec"]["template"]["spec"].update(restartPolicy="Always"),
     "Job/migrate: a Job's restartPolicy must be Never or OnFailure"),
    (lambda o: deployment_pod(o).update(containers=[]), "Deployment/api: a pod needs at least one container"),
    (lambda o: api(o).update(env=[{"name": "DB_PASSWORD", "value": "s3cret"}]),
     "Deployment/api: DB_PASSWORD is a secret written as a literal env value"),
    (lambda o: deployment_pod(o).update(hostNetwork=True),
     "Deployment/api: Pod Security restricted: hostNetwork: true (host namespaces are forbidden)"),
]


@pytest.mark.parametrize("breaks, problem", BROKEN,
                         ids=[b[1][:60].encode("ascii", "replace").decode() for b in BROKEN])
def test_each_broken_rule_is_reported_once(breaks, problem):
    objs = valid_set()
    breaks(objs)
    assert check_manifests(objs) == [problem]


def test_a_cluster_scoped_object_is_one_object_whatever_namespace_it_says():
    objs = valid_set()
    objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "namespace": "other"}})
    assert check_manifests(objs) == ["Namespace/demo: defined 2 times (the API server keeps one object per kind, "
                                     "namespace and name)"]
    other = valid_set()
    other.append(copy.deepcopy(obj(other, "ConfigMap", "api-env")))
    other[-1]["metadata"]["namespace"] = "prod"     # the same name in another namespace is another object
    assert check_manifests(other) == []


def test_pod_security_per_namespace_and_the_level_a_workload_declares():
    objs = valid_set()
    deployment_pod(objs)["hostNetwork"] = True
    assert check_manifests(objs, {"demo": "privileged"}) == []
    assert check_manifests(objs, {"demo": "baseline"}) == [
        "Deployment/api: Pod Security baseline: hostNetwork: true (host namespaces are forbidden)"]
    # a workload relaxed on purpose (the annotation the export writes) is checked at its level when no
    # Namespace says otherwise, and the problem says so
    tpl = obj(objs, "Deployment", "api")["spec"]["template"]["metadata"]
    tpl["annotations"] = {"com.sentiric.k8s.pod-security": "baseline"}
    assert check_manifests(objs, {None: "restricted"}) == [
        "Deployment/api: Pod Security baseline: hostNetwork: true (host namespaces are forbidden)"]
    assert check_manifests(objs, {"demo": "restricted"}) == [
        "Deployment/api: Pod Security restricted: hostNetwork: true (host namespaces are forbidden) (relaxed to "
        "baseline on purpose: its namespace must enforce baseline)"]
    del tpl["annotations"]
    obj(objs, "Deployment", "api")["metadata"]["annotations"] = {"com.sentiric.k8s.pod-security": "privileged"}
    assert check_manifests(objs, {None: "restricted"}) == []


def test_notes_name_what_must_exist_in_the_cluster_and_services_that_select_nothing():
    objs = [o for o in valid_set() if (o["kind"], o["metadata"]["name"]) not in
            (("ConfigMap", "api-files"), ("Secret", "api-env"), ("Service", "db-headless"))]
    deployment_pod(objs)["volumes"] += [{"name": "s", "secret": {"secretName": "tls"}},
                                        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    deployment_pod(objs)["imagePullSecrets"] = [{"name": "regcred"}]
    obj(objs, "Job", "migrate")["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "w", "envFrom": [{"configMapRef": {"name": "wait-env"}}]}]
    obj(objs, "Service", "api-public")["spec"]["selector"] = {"app": "nothing"}
    assert check_notes(objs) == [
        "Deployment/api uses ConfigMap api-files, which is not in this set: it must exist in the namespace",
        "Deployment/api uses PersistentVolumeClaim data, which is not in this set: it must exist in the namespace",
        "Deployment/api uses Secret api-env, which is not in this set: it must exist in the namespace",
        "Deployment/api uses Secret regcred, which is not in this set: it must exist in the namespace",
        "Deployment/api uses Secret tls, which is not in this set: it must exist in the namespace",
        "StatefulSet/db: its governing Service db-headless is not in this set",
        "Job/migrate uses ConfigMap api-files, which is not in this set: it must exist in the namespace",
        "Job/migrate uses ConfigMap wait-env, which is not in this set: it must exist in the namespace",
        "Job/migrate uses Secret api-env, which is not in this set: it must exist in the namespace",
        "Service/api-public: its selector matches no pod template in this set",
    ]


def test_names_of_other_kinds_and_pods_in_a_pod_or_a_cron_job():
    cron_pod = pod(restartPolicy="OnFailure")
    cron_pod["containers"][0]["securityContext"] = {}          # not restricted
    objs = [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "a/b"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "system:aggregate-to-view"}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c" * 53},
         "spec": {"jobTemplate": {"spec": {"template": {"metadata": {}, "spec": cron_pod}}}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"x": "-"}}, "spec": pod(hostPID=True)},
    ]
    assert check_manifests(objs, "baseline") == [
        "Role/a/b: name may not be '.' or '..' nor contain '/' or '%'",
        f"CronJob/{'c' * 53}: a CronJob name holds at most 52 characters",
        "Pod/p: label x value '-' is not a valid label value (≤ 63, alphanumeric at both ends)",
        "Pod/p pod template: label x value '-' is not a valid label value (≤ 63, alphanumeric at both ends)",
        "Pod/p: Pod Security baseline: hostPID: true (host namespaces are forbidden)",
    ]
    assert set(check_manifests(objs, "restricted")) - set(check_manifests(objs, "baseline")) == {
        f"CronJob/{'c' * 53}: Pod Security restricted: container api: allowPrivilegeEscalation must be false",
        f"CronJob/{'c' * 53}: Pod Security restricted: container api: capabilities.drop must include ALL",
        "Pod/p: Pod Security restricted: hostPID: true (host namespaces are forbidden)",
    }


def test_what_the_api_server_allows():
    objs = valid_set()
    deployment_pod(objs)["restartPolicy"] = "Always"                                  # the only one allowed
    obj(objs, "Service", "api-public")["spec"]["type"] = "LoadBalancer"                # nodePort allowed here too
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "external-db", "namespace": "demo"},
                 "spec": {"type": "ExternalName", "externalName": "db.example.com"}})  # no ports needed
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-env"}, "data": {}})   # no namespace
    for group in ("cert-manager.io/v1", "other.example.com/v1"):                      # same kind, other API groups
        objs.append({"apiVersion": group, "kind": "Certificate", "metadata": {"name": "tls", "namespace": "demo"}})
    obj(objs, "Job", "migrate")["metadata"]["name"] = "m" * 63                        # a Job name at its limit
    assert check_manifests(objs) == []


@pytest.mark.parametrize("kind", ["StatefulSet", "ReplicaSet"])
def test_a_statefulset_or_replicaset_restarts_always(kind):
    objs = valid_set()
    other = copy.deepcopy(obj(objs, "Deployment", "api"))
    other["kind"], other["metadata"]["name"] = kind, "other"
    other["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    objs.append(other)
    assert check_manifests(objs) == [f"{kind}/other: restartPolicy must be Always for a {kind}"]


def test_a_namespace_without_a_level_is_checked_at_restricted():
    objs = valid_set()
    deployment_pod(objs)["hostNetwork"] = True
    assert check_manifests(objs, {"other": "privileged"}) == [
        "Deployment/api: Pod Security restricted: hostNetwork: true (host namespaces are forbidden)"]


def test_one_level_for_every_namespace_outranks_what_a_workload_declares():
    # a level given for every namespace is what each namespace enforces: a workload relaxed on
    # purpose is still checked at it
    objs = valid_set()
    deployment_pod(objs)["hostNetwork"] = True
    tpl = obj(objs, "Deployment", "api")["spec"]["template"]["metadata"]
    tpl["annotations"] = {"com.sentiric.k8s.pod-security": "baseline"}
    assert check_manifests(objs, "restricted") == [
        "Deployment/api: Pod Security restricted: hostNetwork: true (host namespaces are forbidden) (relaxed to "
        "baseline on purpose: its namespace must enforce baseline)"]


def test_a_daemonset_restarts_always():
    objs = valid_set()
    ds = copy.deepcopy(obj(objs, "Deployment", "api"))
    ds["kind"], ds["metadata"]["name"] = "DaemonSet", "agent"
    ds["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    objs.append(ds)
    assert check_manifests(objs) == ["DaemonSet/agent: restartPolicy must be Always for a DaemonSet"]


def test_a_node_port_is_the_clusters_so_two_services_cannot_share_one():
    def service(name, namespace, *ports):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
                "spec": {"type": "NodePort", "selector": {"app": name},
                         "ports": [{"name": f"p{i}", "port": 80 + i, "protocol": proto, "nodePort": node}
                                   for i, (node, proto) in enumerate(ports)]}}

    # the same number for TCP and UDP in one Service is fine (the SIP case); not in two, not across namespaces
    assert check_manifests([service("sip", "a", (30060, "TCP"), (30060, "UDP")),
                            service("web", "a", (30080, "TCP"))]) == []
    assert check_manifests([service("a-public", "x", (30080, "TCP")), service("b-public", "y", (30080, "UDP"))]) == [
        "Service/b-public: nodePort 30080 is also Service/a-public's (a node port is the cluster's: the API server "
        "refuses the second, \"provided port is already allocated\")"]


def test_a_malformed_node_port_is_left_to_the_schema_not_a_crash():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [{"port": 80, "nodePort": [1]}, "80"]}}
    assert isinstance(check_manifests([svc]), list)
