"""The held-out set (tests/k8s_cases/meanings): one small compose file per Compose meaning, resolved
by the real Compose binary, exported, and checked against what Compose and Kubernetes define —
never against the converter's own output. Every export must also pass the API checks and Pod
Security `restricted` (or the level a service was relaxed to)."""
from __future__ import annotations

import base64
import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

from symphony.app.export import read_host_paths
from symphony.core.kube import pss
from symphony.core.kube.checks import check_manifests
from symphony.core.kube.convert import ConvertError, Options, convert
from symphony.core.kube.schema import schema_errors
from symphony.infra.runner import Runner

MEANINGS = Path(__file__).parent.parent / "k8s_cases" / "meanings"
ENV = {"API_TOKEN": "env-token-value"}


def model_of(case: str, *profiles: str) -> dict:
    return json.loads(_resolved(case, profiles))    # a fresh copy each time


@functools.lru_cache(maxsize=None)
def _resolved(case: str, profiles: tuple[str, ...]) -> str:
    """Compose's resolution of a case, once per process (the files do not change during a run)."""
    args = [a for p in profiles for a in ("--profile", p)]
    res = subprocess.run([*Runner(echo=False).compose_base, "-f", str(MEANINGS / f"{case}.yml"), "-p", "meaning",
                          *args, "config", "--format", "json"], capture_output=True, text=True,
                         env=dict(os.environ, **ENV), check=True)
    return res.stdout


class Result:
    def __init__(self, export):
        self.export = export
        self.objs = {(o["kind"], o["metadata"]["name"]): o for o in export.manifests}
        self.warnings = " | ".join(export.warnings)

    def __getitem__(self, key):
        return self.objs[key]

    def kinds(self, kind):
        return {name for k, name in self.objs if k == kind}


def export(case: str, *, levels: dict | None = None, **options) -> Result:
    model = model_of(case)
    result = convert(model, profile="meaning", options=Options(**options),
                     host_paths=read_host_paths(model, [str(MEANINGS)]), env=ENV)
    for obj in result.manifests:
        assert not schema_errors(obj, "1.31"), (obj["kind"], obj["metadata"]["name"], schema_errors(obj, "1.31"))
    assert not check_manifests(result.manifests, "privileged"), check_manifests(result.manifests, "privileged")
    for obj in result.manifests:  # every pod passes the level its service runs at
        pod = (obj.get("spec") or {}).get("template", {}).get("spec")
        if pod:
            name = obj["metadata"]["labels"]["app.kubernetes.io/name"]
            level = (levels or {}).get(name, "restricted")
            assert not pss.check(level, pod, obj["spec"]["template"]["metadata"]), (name, level)
    return Result(result)


def pod(obj):
    return obj["spec"]["template"]["spec"]


def container(obj):
    return pod(obj)["containers"][0]


def mount_at(obj, path):
    mounts = [m for m in container(obj).get("volumeMounts", []) if m["mountPath"] == path]
    assert len(mounts) == 1, (path, container(obj).get("volumeMounts"))
    templates = {t["metadata"]["name"]: {"claimTemplate": t} for t in obj["spec"].get("volumeClaimTemplates", [])}
    volumes = {v["name"]: v for v in pod(obj).get("volumes", [])} | templates
    return mounts[0], volumes[mounts[0]["name"]]


# -- secrets and configs ---------------------------------------------------------------------------

def test_secrets_and_configs_are_files_where_compose_mounts_them():
    r = export("secrets_configs")
    app = r["Deployment", "app"]
    # file secret: /run/secrets/<name>, its content, read-only
    mount, volume = mount_at(app, "/run/secrets/db_password")
    assert mount["readOnly"] is True
    secret = r["Secret", volume["secret"]["secretName"]]
    key = mount["subPath"]
    assert base64.b64decode(secret["data"][key]) == (MEANINGS / "files/db_password.txt").read_bytes()
    # environment secret with a relative target and a mode: /run/secrets/<target>, that mode
    mount, volume = mount_at(app, "/run/secrets/token")
    item = volume["secret"]["items"][0]
    assert item["mode"] == 0o400 and item["path"] == mount["subPath"]
    assert base64.b64decode(r["Secret", volume["secret"]["secretName"]]["data"][item["key"]]) == b"env-token-value"
    # external secret: the existing Secret is referenced, nothing is generated for it
    _, volume = mount_at(app, "/run/secrets/vault")
    assert volume["secret"]["secretName"] == "vault-creds" and ("Secret", "vault-creds") not in r.objs
    assert "external -> the existing Secret 'vault-creds'" in r.warnings
    # configs: default target /<name>, absolute target, relative target under /
    mount, volume = mount_at(app, "/app_conf")
    assert r["ConfigMap", volume["configMap"]["name"]]["data"][mount["subPath"]] == "listen 8080\n"
    mount, volume = mount_at(app, "/etc/app/inline.conf")
    # `$$` is Compose's escape for `$`; template braces are plain text
    assert r["ConfigMap", volume["configMap"]["name"]]["data"][mount["subPath"]] == "price: $5 {{ .Values }}"
    assert volume["configMap"]["items"][0]["mode"] == 0o444  # Compose's mode for inline content
    mount_at(app, "/etc/rel.conf")
    assert "env-token-value" not in r.warnings and "db-file-secret-value" not in r.warnings


# -- bind mounts --------------------------------------------------------------------------------------

def test_file_binds_travel_as_configmaps_and_secrets():
    r = export("binds")
    web = r["StatefulSet" if ("StatefulSet", "web") in r.objs else "Deployment", "web"]
    mount, volume = mount_at(web, "/etc/app/app.conf")  # a single file: one key, mounted by subPath
    assert mount["readOnly"]
    assert r["ConfigMap", volume["configMap"]["name"]]["data"][mount["subPath"]] == "listen 8080\n"
    mount, volume = mount_at(web, "/etc/app/conf.d")  # a directory with a subdirectory
    cm = r["ConfigMap", volume["configMap"]["name"]]
    paths = {i["path"]: cm["data"][i["key"]] for i in volume["configMap"]["items"]}
    assert paths == {"a.conf": "a = 1\n", "sub/b.conf": "b = 2\n"} and "subPath" not in mount
    mount, volume = mount_at(web, "/etc/certs")  # keys and certificates: a Secret, never a ConfigMap
    assert set(r["Secret", volume["secret"]["secretName"]]["data"]) == {"server.crt", "server.key"}
    # a writable bind keeps its content, read-only, and says so
    mount, volume = mount_at(web, "/docker-entrypoint-initdb.d/init.sql")
    assert mount["readOnly"] and "writable bind mount -> a read-only ConfigMap volume" in r.warnings
    # a missing host directory is created empty by Docker and written to: a claim
    _, volume = mount_at(web, "/var/lib/web")
    assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in r.objs
    # host paths outside the project are not read; the warning says why
    paths = [m["mountPath"] for m in container(web)["volumeMounts"]]
    assert "/etc/host-hostname" not in paths and "/var/run/docker.sock" not in paths
    assert "/etc/hostname -> /etc/host-hostname: bind mount not exported: it is outside the project" in r.warnings
    assert "not from the config repo" not in r.warnings


# -- reachability ----------------------------------------------------------------------------------------

def test_every_service_resolves_by_its_name_and_aliases():
    r = export("reachability")
    for name in ("worker", "db", "cache", "api", "rr"):
        assert ("Service", name) in r.objs, name
    assert r["Service", "worker"]["spec"] == {"clusterIP": "None", "selector": r["Deployment", "worker"]["spec"][
        "selector"]["matchLabels"]}  # headless: the name resolves to the pod, no ports needed
    db = r["StatefulSet", "db"]
    governing = r["Service", db["spec"]["serviceName"]]["spec"]
    assert governing["clusterIP"] == "None" and governing["publishNotReadyAddresses"] is True
    cache = r["StatefulSet", "cache"]
    assert r["Service", cache["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"
    # network alias and link alias: extra names for the same pods
    assert r["Service", "api-internal"]["spec"]["selector"] == r["Service", "api"]["spec"]["selector"]
    assert r["Service", "database"]["spec"]["selector"] == r["Service", "db"]["spec"]["selector"]
    # endpoint_mode dnsrr: DNS round-robin over the pods, i.e. headless
    assert r["Service", "rr"]["spec"]["clusterIP"] == "None" and r["Service", "rr"]["spec"]["ports"][0]["port"] == 9000


# -- one-shots ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,policy,backoff", [
    ("once", "Never", 0),  # restart: "no" — never retried
    ("retry", "OnFailure", 2147483647),  # on-failure without a limit: Docker retries forever
    ("retry3", "OnFailure", 3),
    ("swarm-style", "OnFailure", 2),  # deploy.restart_policy wins over restart
])
def test_one_shots_are_jobs_with_the_matching_backoff(name, policy, backoff):
    r = export("oneshots")
    job = r["Job", name]
    assert pod(job)["restartPolicy"] == policy and job["spec"]["backoffLimit"] == backoff
    assert ("Deployment", name) not in r.objs


def test_replicated_one_shot_and_long_running_service():
    r = export("oneshots")
    assert r["Job", "parallel"]["spec"]["parallelism"] == 3 and r["Job", "parallel"]["spec"]["completions"] == 3
    assert ("Deployment", "server") in r.objs and ("Job", "server") not in r.objs
    # service_started on a one-shot is not waited for: a finished Job's pod leaves its Service's endpoints
    # (Succeeded pods are never ready), so a wait would hold every later start of the client for ever
    assert "initContainers" not in pod(r["Deployment", "client"])
    assert "client: depends on one-shot once (service_started)" in r.warnings


def test_replicas_zero_and_scale_are_kept():
    r = export("replicas")
    assert r["Deployment", "paused"]["spec"]["replicas"] == 0
    assert r["Deployment", "scaled"]["spec"]["replicas"] == 3


# -- names -------------------------------------------------------------------------------------------------

def test_names_that_collide_are_refused_naming_both_services():
    with pytest.raises(ConvertError) as err:
        convert(model_of("collision"), profile="meaning")
    assert "'web-app'" in str(err.value) and "'web_app'" in str(err.value) and "rename one" in str(err.value)
    long_a, long_b = "a" * 63 + "-one", "a" * 63 + "-two"  # equal once cut to 63 characters
    with pytest.raises(ConvertError):
        convert({"services": {long_a: {"image": "x"}, long_b: {"image": "x"}}}, profile="p")


# -- volumes -------------------------------------------------------------------------------------------------

def test_volume_sub_options():
    r = export("volume_options")
    app = r["StatefulSet", "app"]
    mount, _ = mount_at(app, "/a")
    assert mount["subPath"] == "sub/dir"
    # external: the existing claim, nothing created
    _, volume = mount_at(app, "/c")
    assert volume["persistentVolumeClaim"]["claimName"] == "team-data"
    assert ("PersistentVolumeClaim", "team-data") not in r.objs
    # nocopy: Kubernetes never seeds volumes, so only the volumes without nocopy are reported
    assert "app:/a" in r.warnings and "app:/b" not in r.warnings
    assert "driver_opts (device=:/export, o=addr=10.0.0.1, type=nfs) are not mapped" in r.warnings
    assert "volume shared: labels com.example.team are not mapped" in r.warnings
    # tmpfs: memory emptyDirs, distinct names, sizes as limits; the mode is reported
    _, x = mount_at(app, "/x/cache")
    _, y = mount_at(app, "/y/cache")
    assert x["name"] != y["name"] and x["emptyDir"] == {"medium": "Memory", "sizeLimit": "64Mi"}
    assert y["emptyDir"] == {"medium": "Memory"}
    assert "tmpfs.mode is not mapped" in r.warnings
    _, run = mount_at(app, "/run")
    assert run["emptyDir"] == {"medium": "Memory", "sizeLimit": "16Mi"}
    mount_at(app, "/tmp")
    _, anon = mount_at(app, "/anon")
    assert anon["emptyDir"] == {} and "anonymous volume -> an emptyDir" in r.warnings
    # writable volumes are group-writable for the pod's fsGroup
    assert "fsGroup" in pod(app)["securityContext"]


def test_resources_from_the_service_level_keys():
    r = export("resources")
    assert container(r["Deployment", "legacy"])["resources"] == {
        "limits": {"memory": "512Mi", "cpu": "500m"}, "requests": {"memory": "128Mi"}}
    assert container(r["Deployment", "quota"])["resources"]["limits"] == {"cpu": "250m"}  # 25000/100000 µs
    _, shm = mount_at(r["Deployment", "shm"], "/dev/shm")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "256Mi"}
    assert container(r["Deployment", "unsized"])["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}}
    bare = export("resources", default_requests=())
    assert "resources" not in container(bare["Deployment", "unsized"])


def test_dollar_escapes_in_labels_are_unescaped():
    r = export("labels")
    annotations = r["Deployment", "app"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["com.example.price"] == "$5" and annotations["com.example.team"] == "payments"


# -- healthchecks, dependencies, commands, users ---------------------------------------------------------------

def test_healthcheck_zero_means_dockers_default():
    r = export("healthchecks")
    probe = container(r["Deployment", "zero"])["readinessProbe"]
    assert (probe["periodSeconds"], probe["timeoutSeconds"], probe["failureThreshold"]) == (30, 30, 3)
    startup = container(r["Deployment", "fast-start"])["startupProbe"]
    assert startup["periodSeconds"] == 2  # start_interval
    assert startup["periodSeconds"] * startup["failureThreshold"] == 20 + 2 * 30  # start period + retries


def test_optional_dependencies_do_not_block():
    r = export("optional_deps")
    inits = {c["name"]: c for c in pod(r["Deployment", "app"])["initContainers"]}
    assert set(inits) == {"wait-for-db", "wait-for-cache"}  # metrics is not exported (profile)
    optional, required = inits["wait-for-db"]["command"][2], inits["wait-for-cache"]["command"][2]
    assert "exit 0" in optional and "300" in optional  # gives up and starts anyway
    assert "exit 0" not in required and "nslookup cache" in required  # no ports: waits for its name
    assert "depends on metrics, which is not exported (required: false)" in r.warnings
    for c in inits.values():
        assert c["resources"]["limits"] and c["securityContext"]["runAsNonRoot"] is True


def test_empty_entrypoint_and_command():
    r = export("commands")
    cleared = container(r["Deployment", "cleared"])
    assert cleared["command"] == ["run", "--fast"] and "args" not in cleared  # the ENTRYPOINT is gone
    override = container(r["Deployment", "override"])
    assert override["command"] == ["/bin/app"] and "args" not in override  # Compose ignores the CMD too
    assert "only-cleared: entrypoint: [] clears the image's ENTRYPOINT" in r.warnings
    assert "no-args: command: [] clears the image's CMD" in r.warnings


def test_users_and_groups():
    r = export("users", levels={"root-relaxed": "baseline"})
    named_group = container(r["Deployment", "named-group"])["securityContext"]
    assert named_group["runAsUser"] == 1000 and "runAsGroup" not in named_group
    assert "group 'staff' of `user: 1000:staff` is a name" in r.warnings
    both = r["Deployment", "both"]
    assert container(both)["securityContext"]["runAsGroup"] == 1000
    assert pod(both)["securityContext"]["supplementalGroups"] == [2000] and "group_add 'audio' is a name" in r.warnings
    assert "runAsUser" not in container(r["Deployment", "named"])["securityContext"]
    assert "user 'postgres' is a name" in r.warnings
    assert "runAsUser" not in container(r["Deployment", "root"])["securityContext"]
    assert "root: user 0 (root) is refused by the restricted profile" in r.warnings
    relaxed = r["Deployment", "root-relaxed"]
    assert container(relaxed)["securityContext"]["runAsUser"] == 0
    assert pss.check("restricted", pod(relaxed)) and not pss.check("baseline", pod(relaxed))


# -- Pod Security ------------------------------------------------------------------------------------------

def test_restricted_by_default_and_relaxed_per_service_on_purpose():
    r = export("security", levels={"chowner": "baseline", "privileged": "privileged"})
    plain = r["Deployment", "plain"]
    assert pod(plain)["securityContext"]["runAsNonRoot"] is True
    assert pod(plain)["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container(plain)["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # Docker lets a non-root process bind ports below 1024; so does this (a safe sysctl)
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"} in pod(plain)["securityContext"]["sysctls"]
    assert container(r["Deployment", "bind-low"])["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
    assert "add" not in container(r["Deployment", "needs-admin"])["securityContext"]["capabilities"]
    assert "cap_add NET_ADMIN not granted at level restricted (needs privileged" in r.warnings
    chowner = r["Deployment", "chowner"]
    assert container(chowner)["securityContext"]["capabilities"]["add"] == ["CHOWN"]
    assert pss.check("restricted", pod(chowner)) and "chowner: Pod Security relaxed to baseline" in r.warnings
    assert container(r["Deployment", "privileged"])["securityContext"]["privileged"] is True
    assert r.export.levels == {"plain": "restricted", "bind-low": "restricted", "needs-admin": "restricted",
                               "chowner": "baseline", "privileged": "privileged"}
    # the same relaxation from the command line, with Docker's CAP_ spelling
    cli = export("security", relax=(("needs-admin", "privileged"),),
                 levels={"chowner": "baseline", "privileged": "privileged", "needs-admin": "privileged"})
    assert container(cli["Deployment", "needs-admin"])["securityContext"]["capabilities"]["add"] == ["NET_ADMIN"]
    assert "needs-admin: Pod Security relaxed to privileged (--relax)" in cli.warnings


def test_a_bad_relax_label_is_refused():
    model = {"services": {"a": {"image": "x", "labels": {"com.sentiric.k8s.pod-security": "rooted"}}}}
    with pytest.raises(ConvertError, match="not one of restricted, baseline, privileged"):
        convert(model, profile="p")


# -- published ports ---------------------------------------------------------------------------------------

def test_published_ports_stay_in_the_cluster_by_default():
    r = export("published")
    assert r.kinds("Service") == {"web", "sip"} and not r.kinds("Ingress")
    assert "choose --expose nodeport|loadbalancer|ingress" in r.warnings


def test_loadbalancer_publishes_host_ports_but_never_loopback_ones():
    r = export("published", expose="loadbalancer")
    public = r["Service", "web-public"]["spec"]
    assert public["type"] == "LoadBalancer"
    assert {(p["port"], p["targetPort"]) for p in public["ports"]} == {(8080, 80), (30080, 8081)}
    assert "127.0.0.1:9090/tcp are bound to the loopback address" in r.warnings
    assert r["Service", "sip-public"]["spec"]["ports"][0]["protocol"] == "UDP"


def test_nodeport_keeps_ports_in_the_node_port_range():
    r = export("published", expose="nodeport")
    ports = {p["port"]: p for p in r["Service", "web-public"]["spec"]["ports"]}
    assert ports[30080]["nodePort"] == 30080 and "nodePort" not in ports[8080]
    assert "host port 8080 is outside the NodePort range" in r.warnings


def test_ingress_routes_a_host_to_the_first_http_port():
    r = export("published", expose="ingress", ingress_domain="apps.example.org")
    rule = r["Ingress", "web"]["spec"]["rules"][0]
    assert rule["host"] == "web.apps.example.org"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "web", "port": {"number": 80}}
    assert ("Ingress", "sip") not in r.objs and "sip: host port(s) 0.0.0.0:5060/udp not exposed" in r.warnings


def test_image_pull_secrets_and_namespace():
    r = export("published", image_pull_secrets=("regcred",), namespace="team-a")
    for obj in r.export.manifests:
        assert obj["metadata"]["namespace"] == "team-a"
        if obj["kind"] == "Deployment":
            assert pod(obj)["imagePullSecrets"] == [{"name": "regcred"}]
    unpinned = export("published")
    assert all("namespace" not in o["metadata"] for o in unpinned.export.manifests)


# -- the other runtime keys -------------------------------------------------------------------------------------

def test_runtime_keys_with_a_pod_or_container_field():
    r = export("runtime")
    app = r["Deployment", "app"]
    spec, c = pod(app), container(app)
    assert spec["hostname"] == "app-host"
    assert spec["hostAliases"] == [{"ip": "10.0.0.5", "hostnames": ["cache.local", "db.local"]}]
    assert "extra_hosts gw=host-gateway is not mapped" in r.warnings
    assert spec["dnsConfig"] == {"searches": ["corp.example"], "options": [{"name": "ndots", "value": "2"},
                                                                          {"name": "use-vc"}]}
    assert spec["shareProcessNamespace"] is True and spec["terminationGracePeriodSeconds"] == 90
    assert spec["nodeSelector"] == {"disk": "ssd", "kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"}
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["old-node"]}]}]
    assert "placement constraint 'node.role==manager' is not mapped" in r.warnings
    assert app["spec"]["template"]["metadata"]["annotations"]["com.example.owner"] == "team-a"
    assert app["metadata"]["annotations"] == {"com.example.tier": "frontend"}
    assert c["lifecycle"] == {"postStart": {"exec": {"command": ["touch", "/tmp/started"]}},
                              "preStop": {"exec": {"command": ["sleep", "5"]}}}
    assert "pre_stop user is not mapped" in r.warnings
    assert c["imagePullPolicy"] == "Always"
    assert c["ports"] == [{"name": "web", "containerPort": 8443, "protocol": "TCP"}]
    assert r["Service", "app"]["spec"]["ports"][0] == {"name": "web", "appProtocol": "https", "port": 8443,
                                                       "targetPort": 8443, "protocol": "TCP"}
    assert (c["tty"], c["stdin"], c["workingDir"]) == (True, True, "/srv")
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert app["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}
    assert "deploy.update_config.delay is not mapped" in r.warnings
    assert ("DaemonSet", "agent") in r.objs and "replicas" not in r["DaemonSet", "agent"]["spec"]
