"""Compose keys through the converter, one concern per test, on what Compose itself resolves
(`docker-compose config --format json`, cached per file): the Kubernetes field each key becomes,
and the report for what has no Kubernetes meaning. Expectations: the Compose specification's
meaning of the key and the Kubernetes API's field for it (README: Kubernetes, the key table)."""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from symphony.core.kube import pss
from symphony.core.kube.checks import check_manifests
from symphony.core.kube.convert import ConvertError, Options, convert
from symphony.core.kube.mounts import HostPath
from symphony.core.kube.names import dns_label

pytestmark = pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")


@functools.lru_cache(maxsize=None)
def _resolved(compose_json: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "compose.yml").write_text(yaml.safe_dump(json.loads(compose_json)))
        out = subprocess.run(["docker-compose", "-p", "t", "-f", "compose.yml", "config", "--format", "json"], cwd=d,
                             capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


class Export:
    def __init__(self, services: dict, options: Options | None = None, host_paths: dict | None = None,
                 env: dict | None = None, **top):
        model = json.loads(_resolved(json.dumps({"services": services, **top}, sort_keys=True)))
        result = convert(model, profile="t", options=options or Options(), host_paths=host_paths or {},
                         env=env or {})
        assert check_manifests(result.manifests, "privileged") == []
        self.manifests = result.manifests
        self.warnings = result.warnings
        self.objs = {(o["kind"], o["metadata"]["name"]): o for o in result.manifests}
        for obj in result.manifests:   # every pod passes the level its service was exported at
            pod = (obj.get("spec") or {}).get("template", {}).get("spec")
            if pod:
                levels = {dns_label(name): level for name, level in result.levels.items()}
                level = levels[obj["metadata"]["labels"]["app.kubernetes.io/name"]]
                assert pss.check(level, pod) == [], (obj["metadata"]["name"], pss.check(level, pod))

    def workload(self, name):
        return next(o for (k, n), o in self.objs.items() if n == name and k in ("Deployment", "StatefulSet", "Job",
                                                                                 "DaemonSet"))

    def pod(self, name):
        return self.workload(name)["spec"]["template"]["spec"]

    def container(self, name):
        return self.pod(name)["containers"][0]

    def kinds(self, kind):
        return sorted(n for k, n in self.objs if k == kind)


U = {"user": "1000"}     # a numeric user: the pods run under restricted without a report about it


def svc(**keys):
    return {"image": "app:1", **U, **keys}


# -- the pod: hostname, hosts, DNS, lifecycle, scheduling --------------------------------------------

def test_hostname_extra_hosts_and_dns():
    e = Export({"web": svc(hostname="web-1", extra_hosts=["a=10.0.0.1", "gw:host-gateway", "z=10.0.0.9",
                                                          "b=10.0.0.1", "v6=::1"],
                           dns_search=["svc.local", "corp"], dns_opt=["ndots:2", "edns0"]),
                "bad": svc(hostname="Web_1")})
    pod = e.pod("web")
    assert pod["hostname"] == "web-1" and "hostname" not in e.pod("bad")
    assert pod["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["a", "b"]}, {"ip": "10.0.0.9", "hostnames": ["z"]},
                                  {"ip": "::1", "hostnames": ["v6"]}]
    assert pod["dnsConfig"] == {"searches": ["svc.local", "corp"],
                                "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}
    assert "web: extra_hosts gw=host-gateway is not mapped (a pod has no Docker host gateway)" in e.warnings
    assert "bad: hostname 'Web_1' is not a DNS-1123 label; not set" in e.warnings


def test_a_stateful_service_keeps_the_hostname_its_statefulset_gives():
    e = Export({"db": svc(hostname="db0", volumes=["data:/data"])}, volumes={"data": {}})
    assert "hostname" not in e.pod("db")
    assert "db: hostname db0 is not mapped (a StatefulSet names its pods)" in e.warnings


def test_lifecycle_hooks():
    e = Export({"web": svc(post_start=[{"command": ["echo", "hi"], "user": "root", "working_dir": "/x"}],
                           pre_stop=[{"command": ["sleep", "5"]}, {"command": ["true"]}])})
    assert e.container("web")["lifecycle"] == {"postStart": {"exec": {"command": ["echo", "hi"]}},
                                               "preStop": {"exec": {"command": ["sleep", "5"]}}}
    why = "(a hook runs as the container, in its environment and working directory)"
    assert f"web: post_start user is not mapped {why}" in e.warnings
    assert f"web: post_start working_dir is not mapped {why}" in e.warnings
    assert "web: pre_stop has 2 hooks; Kubernetes runs one: only the first is mapped" in e.warnings


def test_platform_and_placement_select_nodes():
    e = Export({"web": svc(platform="linux/x86_64/v7", deploy={"placement": {
        "constraints": ["node.platform.os==linux", "node.platform.arch==aarch64", "node.labels.zone!=a",
                        "node.hostname==n1", "node.role==manager"],
        "preferences": [{"spread": "node.labels.zone"}]}}),
        "arm": svc(platform="linux/aarch64"),
        "win": svc(deploy={"placement": {"constraints": ["node.platform.os==windows"]}})})
    pod = e.pod("web")
    assert pod["nodeSelector"] == {"kubernetes.io/arch": "arm64", "kubernetes.io/hostname": "n1",
                                   "kubernetes.io/os": "linux"}       # the constraint wins over the platform
    assert pod["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}]}}}
    assert e.pod("arm")["nodeSelector"] == {"kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"}
    assert "web: platform variant v7 is not mapped (nodes are selected by os/arch)" in e.warnings
    assert "web: placement constraint 'node.role==manager' is not mapped (only node labels, hostname, os and arch " \
           "have node-label equivalents)" in e.warnings
    assert "web: deploy.placement.preferences is not mapped (use topologySpreadConstraints)" in e.warnings
    assert "affinity" not in e.pod("arm")
    assert e.pod("win")["nodeSelector"] == {"kubernetes.io/os": "windows"}


def test_platform_x86_64_is_amd64():
    assert Export({"web": svc(platform="linux/x86_64")}).pod("web")["nodeSelector"] == {
        "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"}


def test_pull_policy():
    e = Export({"a": svc(pull_policy="always"), "n": svc(pull_policy="never"), "m": svc(pull_policy="missing"),
                "b": svc(pull_policy="build"), "d": svc(pull_policy="daily"), "x": svc()})
    assert {n: e.container(n)["imagePullPolicy"] for n in "anmbdx"} == {
        "a": "Always", "n": "Never", "m": "IfNotPresent", "b": "IfNotPresent", "d": "IfNotPresent", "x": "IfNotPresent"}
    assert "d: pull_policy daily is not mapped (Kubernetes has no pull schedule); IfNotPresent" in e.warnings
    assert not any(w.startswith(("m: pull_policy", "b: pull_policy", "x: pull_policy")) for w in e.warnings)


def test_the_tier_label_is_the_component_when_it_is_a_label_value():
    e = Export({"api": svc(labels={"com.sentiric.tier": "edge"}), "odd": svc(labels={"com.sentiric.tier": "Front End"}),
                "job": svc(restart="no"), "plain": svc()})
    component = {n: e.workload(n)["metadata"]["labels"]["app.kubernetes.io/component"] for n in ("api", "odd", "job",
                                                                                               "plain")}
    assert component == {"api": "edge", "odd": "app", "job": "job", "plain": "app"}


# -- names, aliases, exposure -----------------------------------------------------------------------------

def test_a_name_that_is_no_dns_1035_label_is_renamed_and_said():
    e = Export({"My_Api": svc(), "9lives": svc()})
    assert e.kinds("Service") == ["my-api", "s-9lives"]
    assert "My_Api: renamed 'my-api' (DNS-1035); other services must use that name" in e.warnings
    assert "9lives: renamed 's-9lives' (DNS-1035) (a Service name must start with a letter); other services must use " \
           "that name" in e.warnings


def test_network_aliases_and_link_aliases_become_services():
    e = Export({"db": svc(expose=["5432"], networks={"a": {"aliases": ["pg", "Main_DB"]},
                                                       "b": {"aliases": ["postgres"], "ipv4_address": "172.20.0.5"}}),
                "web": svc(links=["db:database"], networks=["a"])},
               networks={"a": {}, "b": {"internal": True, "ipam": {"config": [{"subnet": "172.20.0.0/16"}]}}})
    assert e.kinds("Service") == ["database", "db", "main-db", "pg", "postgres", "web"]
    assert e.objs[("Service", "pg")]["spec"]["ports"] == e.objs[("Service", "db")]["spec"]["ports"]
    assert "db: alias Main_DB becomes the Service 'main-db' (DNS-1035)" in e.warnings
    assert not any(".aliases is not mapped" in w for w in e.warnings)       # aliases are mapped: Services
    assert "db: networks.b.ipv4_address is not mapped (pods get addresses and interfaces from the network plugin)" \
        in e.warnings
    assert "networks a, b: Kubernetes has one flat pod network, so services on different compose networks can reach " \
           "each other (isolate them with NetworkPolicies)" in e.warnings
    assert "network b is internal (no outside access): not mapped (a NetworkPolicy denying egress does that)" \
        in e.warnings
    assert "`depends_on.restart` not mapped (web): Kubernetes does not restart dependents when a dependency " \
           "restarts" in e.warnings           # Compose turns a link into depends_on with restart: true


def test_an_alias_that_is_another_service_is_not_created_twice():
    e = Export({"db": svc(expose=["5432"], networks={"default": {"aliases": ["cache"]}}),
                "cache": svc(expose=["6379"])})
    assert e.kinds("Service") == ["cache", "db"]
    assert "db: alias cache is already the name of another Service; not created" in e.warnings


def test_two_services_that_would_share_a_name_are_refused_naming_both():
    with pytest.raises(ConvertError) as err:
        Export({"my_api": svc(), "my-api": svc()})
    assert str(err.value) == ("compose services 'my-api' and 'my_api' both become Service 'my-api' (Kubernetes names "
                              "are lower-case DNS labels, cut to their length limit); rename one of them")


def test_an_alias_two_services_share_is_the_first_ones():
    e = Export({"a": svc(expose=["80"], networks={"default": {"aliases": ["shared"]}}),
                "b": svc(expose=["80"], networks={"default": {"aliases": ["shared"]}})})
    assert e.objs[("Service", "shared")]["spec"]["selector"] == e.objs[("Service", "a")]["spec"]["selector"]
    assert "b: alias shared is already the name of another Service; not created" in e.warnings


def test_a_statefulsets_headless_service_taken_by_another_service_is_refused_naming_both():
    with pytest.raises(ConvertError) as err:
        Export({"A_headless": svc(), "a": svc(expose=["5432"], volumes=["data:/data"])}, volumes={"data": {}})
    assert str(err.value) == ("compose services 'A_headless' and 'a' both become Service 'a-headless' (the "
                              "StatefulSet's headless Service); rename one of them")


def test_a_public_service_taken_by_another_services_alias_is_refused_naming_both():
    with pytest.raises(ConvertError) as err:
        Export({"api": svc(networks={"default": {"aliases": ["web-public"]}}), "web": svc(ports=["8080:80"])},
               Options(expose="loadbalancer"))
    assert str(err.value) == ("compose services 'api' and 'web' both become Service 'web-public' (its published "
                              "ports); rename one of them")


def test_a_secret_or_config_named_like_a_services_env_objects_gets_another_name():
    e = Export({"web": svc(environment={"DB_PASSWORD": "pw", "LOG_LEVEL": "info"}, secrets=["web-env"],
                           configs=["web-env"])},
               secrets={"web-env": {"environment": "TOKEN"}}, configs={"web-env": {"content": "x"}},
               env={"TOKEN": "t0ken"})
    assert e.kinds("Secret") == ["web-env", "web-env-2"] and e.kinds("ConfigMap") == ["web-env", "web-env-2"]
    m = mounts(e, "web")
    assert volumes(e, "web")[m["/run/secrets/web-env"]["name"]]["secret"]["secretName"] == "web-env-2"
    assert volumes(e, "web")[m["/web-env"]["name"]]["configMap"]["name"] == "web-env-2"


def test_port_names_app_protocols_and_host_mode():
    e = Export({"web": svc(ports=[{"target": 80, "name": "web", "app_protocol": "h2c/"},
                                  {"target": 81, "name": "web", "app_protocol": "kubernetes.io/h2c"},
                                  {"target": 82, "published": "8082", "mode": "host"}])})
    ports = {p["port"]: p for p in e.objs[("Service", "web")]["spec"]["ports"]}
    assert ports[80] == {"name": "web", "port": 80, "targetPort": 80, "protocol": "TCP"}
    assert ports[81] == {"name": "tcp-81", "appProtocol": "kubernetes.io/h2c", "port": 81, "targetPort": 81,
                         "protocol": "TCP"}
    assert [p["name"] for p in e.container("web")["ports"]] == ["web", "tcp-81", "tcp-82"]
    assert "web: port name 'web' is not a valid (or unique) port name (≤ 15 lower-case letters, digits, '-'); tcp-81 " \
           "used" in e.warnings
    assert "web: app_protocol 'h2c/' is not a valid appProtocol; left out" in e.warnings
    assert "web: port 82 mode host is Swarm's: Compose publishes it like any port, and so does the export (never " \
           "as a hostPort, which Pod Security refuses)" in e.warnings


LONG = "an-api-whose-name-is-long-enough-to-reach-the-service-name-limit"


@pytest.mark.parametrize("expose, kind", [("loadbalancer", "LoadBalancer"), ("nodeport", "NodePort")])
def test_published_ports_get_a_public_service(expose, kind):
    e = Export({LONG: svc(ports=["8080:80", "30080:81", "127.0.0.1:9090:90", "[::]:7070:70/udp", "8080:82"])},
               Options(expose=expose))
    public = [o for o in e.manifests if o["kind"] == "Service" and o["spec"].get("type") == kind]
    assert len(public) == 1 and public[0]["metadata"]["name"].endswith("-public")
    assert len(public[0]["metadata"]["name"]) <= 63
    ports = {(p["port"], p["protocol"]): p for p in public[0]["spec"]["ports"]}
    assert set(ports) == {(8080, "TCP"), (30080, "TCP"), (7070, "UDP")}      # loopback never; 8080 once
    assert ports[(8080, "TCP")]["targetPort"] == 80
    if expose == "nodeport":
        assert ports[(30080, "TCP")]["nodePort"] == 30080 and "nodePort" not in ports[(8080, "TCP")]
        assert f"{LONG}: host port 8080 is outside the NodePort range 30000-32767; the cluster assigns one (see " \
               "`kubectl get service`)" in e.warnings
    else:
        assert all("nodePort" not in p for p in ports.values())
    assert not any("host_ip" in w for w in e.warnings)          # 0.0.0.0 and :: are every address


def test_a_host_ip_that_limits_exposure_is_reported():
    e = Export({"web": svc(ports=["10.1.2.3:8080:80"])}, Options(expose="loadbalancer"))
    assert "web: host_ip 10.1.2.3 is not mapped (a loadbalancer Service listens on every node or load-balancer " \
           "address)" in e.warnings


# -- resources, rollout, restarts ---------------------------------------------------------------------

def test_resources_and_what_has_no_kubernetes_field():
    e = Export({"web": svc(deploy={"resources": {
        "limits": {"cpus": "1", "memory": "1g", "pids": 100},
        "reservations": {"cpus": "2", "memory": "256m", "devices": [{"capabilities": ["gpu"]}]}}}),
        "q": svc(cpu_quota=50000, cpu_period=100000), "half": svc(cpu_quota=50000),
        "res": svc(deploy={"resources": {"reservations": {"cpus": "0.25"}}}),
        "one": svc(deploy={"resources": {"reservations": {"cpus": 1}}})})
    assert e.container("web")["resources"] == {"limits": {"cpu": "1", "memory": "1Gi"},
                                               "requests": {"cpu": "1", "memory": "256Mi"}}
    assert e.container("q")["resources"] == {"limits": {"cpu": "500m"}}
    assert e.container("res")["resources"] == {"requests": {"cpu": "250m"}}
    assert e.container("one")["resources"] == {"requests": {"cpu": "1"}}
    why = "(Kubernetes has no per-pod pids limit; devices need a device plugin's extended resource)"
    assert f"web: deploy.resources.limits.pids is not mapped {why}" in e.warnings
    assert f"web: deploy.resources.reservations.devices is not mapped {why}" in e.warnings
    assert "web: reservation cpu 2 exceeds its limit 1 (the API server refuses a request above its limit); the " \
           "request is set to the limit" in e.warnings
    assert "half: cpu_quota/cpu_period need each other; not mapped" in e.warnings


def test_rollout_from_update_config():
    e = Export({"all": svc(deploy={"update_config": {"parallelism": 0, "order": "start-first", "monitor": "10s",
                                                     "delay": "5s", "failure_action": "rollback",
                                                     "max_failure_ratio": 0.5},
                                   "rollback_config": {"parallelism": 1}}),
                "two": svc(deploy={"update_config": {"parallelism": 2}}),
                "db": svc(volumes=["data:/data"], deploy={"update_config": {"parallelism": 2}})},
               volumes={"data": {}})
    assert e.workload("all")["spec"]["strategy"] == {"type": "RollingUpdate",
                                                     "rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 0}}
    assert e.workload("two")["spec"]["strategy"] == {"type": "RollingUpdate",
                                                     "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 2}}
    assert "strategy" not in e.workload("db")["spec"]
    for key in ("delay", "failure_action", "max_failure_ratio", "monitor"):
        assert f"all: deploy.update_config.{key} is not mapped (Kubernetes uses readiness and " \
               "progressDeadlineSeconds)" in e.warnings
    assert "all: deploy.rollback_config is not mapped (`kubectl rollout undo` rolls back)" in e.warnings
    assert "db: deploy.update_config is not mapped for a StatefulSet" in e.warnings


def test_a_deployment_with_a_claim_is_replaced_not_rolled():
    e = Export({"web": svc(volumes=["/proj/missing:/data"], deploy={"update_config": {"parallelism": 2}})},
               host_paths={"/proj/missing": HostPath("missing")})
    assert e.workload("web")["spec"]["strategy"] == {"type": "Recreate"}
    assert "web: deploy.update_config is not mapped: a pod with a ReadWriteOnce claim is replaced with the Recreate " \
           "strategy" in e.warnings


@pytest.mark.parametrize("keys, kind, policy, backoff", [
    ({"restart": "no"}, "Job", "Never", 0),
    ({"restart": "on-failure:3"}, "Job", "OnFailure", 3),
    ({"restart": "on-failure"}, "Job", "OnFailure", 2147483647),
    ({"deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 1}}}, "Job", "OnFailure", 1),
    ({"deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 0}}}, "Job", "OnFailure", 2147483647),
    ({"deploy": {"restart_policy": {"condition": "none"}}}, "Job", "Never", 0),
    ({"restart": "no", "deploy": {"restart_policy": {"condition": "any"}}}, "Deployment", None, None),
    ({"restart": "unless-stopped"}, "Deployment", None, None),
    ({"deploy": {"mode": "replicated-job"}}, "Job", "Never", 0),
])
def test_restart_policies(keys, kind, policy, backoff):
    e = Export({"s": svc(**keys)})
    obj = e.workload("s")
    assert obj["kind"] == kind
    if kind == "Job":
        assert obj["spec"]["template"]["spec"]["restartPolicy"] == policy and obj["spec"]["backoffLimit"] == backoff


def test_a_one_shot_with_an_always_policy_runs_once_and_says_why():
    e = Export({"seed": svc(deploy={"restart_policy": {"condition": "any"}}, labels={"com.sentiric.one-shot": "true"}),
                "init": svc(restart="always", labels={"com.sentiric.one-shot": "true"})})
    assert e.workload("seed")["kind"] == "Job" == e.workload("init")["kind"]
    assert "seed: deploy.restart_policy always on a one-shot service: the Job runs it to completion once" in e.warnings
    assert "init: restart always on a one-shot service: the Job runs it to completion once" in e.warnings


def test_restart_policy_timings_are_reported():
    e = Export({"s": svc(restart="always", deploy={"restart_policy": {"condition": "any", "delay": "5s",
                                                                      "window": "30s"}})})
    for key in ("delay", "window"):
        assert f"s: deploy.restart_policy.{key} is not mapped (Kubernetes backs off exponentially up to 5 minutes)" \
            in e.warnings


def test_a_global_service_is_a_daemonset():
    e = Export({"agent": svc(deploy={"mode": "global", "replicas": 2}, restart="always",
                             volumes=["/proj/missing:/data"])}, host_paths={"/proj/missing": HostPath("missing")})
    assert e.workload("agent")["kind"] == "DaemonSet" and "replicas" not in e.workload("agent")["spec"]
    assert "agent: replicas 2 is not mapped: deploy.mode global runs one pod per node" in e.warnings
    assert "agent: deploy.mode global with a ReadWriteOnce claim: only one node can mount it" in e.warnings


def test_the_data_tier_and_named_volumes_are_statefulsets_external_ones_are_not():
    e = Export({"cache": svc(labels={"com.sentiric.tier": "data"}, restart="always"),
                "app": svc(volumes=["shared:/data"], restart="always"),
                "ext": svc(volumes=["existing:/data"], restart="always")},
               volumes={"shared": {}, "existing": {"external": True}})
    assert {n: e.workload(n)["kind"] for n in ("cache", "app", "ext")} == {
        "cache": "StatefulSet", "app": "StatefulSet", "ext": "Deployment"}


def test_a_named_volume_shared_by_two_services_is_reported_an_external_one_is_not():
    e = Export({"a": svc(volumes=["vol:/a", "ext:/x"]), "b": svc(volumes=["vol:/b", "ext:/x"])},
               volumes={"vol": {}, "ext": {"external": True}})
    assert "volume vol is shared by a, b: each gets its own claim (ReadWriteOnce); share data through a service " \
           "instead, or use a ReadWriteMany class" in e.warnings
    assert not any(w.startswith("volume ext is shared") for w in e.warnings)


# -- probes and dependencies ----------------------------------------------------------------------------

def test_a_disabled_healthcheck_has_no_probe_and_a_short_start_period_has_a_startup_probe():
    e = Export({"off": svc(healthcheck={"test": ["CMD", "true"], "disable": True}),
                "quick": svc(healthcheck={"test": ["CMD", "true"], "interval": "10s", "retries": 1,
                                          "start_period": "500ms", "start_interval": "1s"}),
                "slow": svc(healthcheck={"test": ["CMD", "true"], "interval": "1s", "retries": 1,
                                         "start_period": "1s", "start_interval": "5s"})})
    assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(e.container("off"))
    startup = e.container("quick")["startupProbe"]
    assert startup["periodSeconds"] == 1 and startup["failureThreshold"] == 11     # ceil((0.5 + 1 x 10) / 1)
    startup = e.container("slow")["startupProbe"]
    assert startup["periodSeconds"] == 5 and startup["failureThreshold"] == 1      # ceil((1 + 1 x 1) / 5)


def test_a_start_interval_without_a_start_period_gets_no_startup_probe_and_is_reported():
    # Docker probes at start_interval only during start_period (compose-spec: start_interval "the time
    # between health checks during the start period"): without one it changes nothing, and the export says so
    e = Export({"web": svc(healthcheck={"test": ["CMD", "true"], "interval": "10s", "start_interval": "2s"})})
    assert "startupProbe" not in e.container("web")
    assert e.container("web")["readinessProbe"]["periodSeconds"] == 10
    assert "web: healthcheck start_interval has no effect without start_period (as in Docker)" in e.warnings


def test_waiting_for_dependencies():
    e = Export({"db": svc(expose=["5432"]), "dns": svc(expose=["53/udp"]), "job": svc(restart="no"),
                "web": svc(depends_on={"db": {"condition": "service_healthy", "restart": True},
                                       "dns": {"condition": "service_started"},
                                       "job": {"condition": "service_completed_successfully"}})})
    inits = e.pod("web")["initContainers"]
    assert [i["name"] for i in inits] == ["wait-for-db"]
    assert inits[0]["command"] == ["sh", "-c", "until nc -z -w 2 db 5432; do echo waiting for db:5432; sleep 2; done"]
    assert "web: waits for db to be healthy, but db has no healthcheck in the compose file (an image HEALTHCHECK is " \
           "not visible here and Kubernetes ignores it): waits for its Service only" in e.warnings
    assert "web: depends on dns, which has only UDP ports: nothing to wait for; no init container" in e.warnings
    assert "`depends_on.restart` not mapped (web): Kubernetes does not restart dependents when a dependency " \
           "restarts" in e.warnings


# -- keys with no Kubernetes meaning --------------------------------------------------------------------

def test_keys_that_are_reported():
    e = Export({"web": svc(build=".", container_name="webby", tmpfs=["/run:size=64m,mode=1777,uid=0"],
                           volumes=[{"type": "bind", "source": "/outside", "target": "/o", "consistency": "cached"}])},
               **{"x-top": 1})
    assert "`build` not mapped (web): Kubernetes runs images only: push the built image to a registry under its " \
           "`image:` name" in e.warnings
    assert "`container_name` not mapped (web): pods are named by their controller" in e.warnings
    assert "web: tmpfs /run option mode=1777 is not mapped (an emptyDir is created 0777)" in e.warnings
    assert "web: tmpfs /run option uid=0 is not mapped (an emptyDir is created 0777)" in e.warnings
    assert "web: volume /outside -> /o: consistency cached is not mapped (a Docker Desktop file-sharing hint)" \
        in e.warnings
    assert "web: volume /outside -> /o: bind mount not exported: it is outside the project and config directories " \
           "the export reads (hostPath volumes are refused by Pod Security; bake the files into the image or put " \
           "them under the project directory)" in e.warnings
    tmp = [v for v in e.pod("web")["volumes"] if v["name"] == "tmp-run"]
    assert tmp == [{"name": "tmp-run", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]
    assert not any("x-top" in w for w in e.warnings)


# -- volumes, secrets and configs ------------------------------------------------------------------------

def mounts(e, name):
    return {m["mountPath"]: m for m in e.container(name).get("volumeMounts", [])}


def volumes(e, name):
    return {v["name"]: v for v in e.pod(name).get("volumes", [])}


def test_named_volumes_external_claims_and_anonymous_volumes():
    e = Export({"web": svc(volumes=[
        {"type": "volume", "source": "Bad_Name", "target": "/b"},
        {"type": "volume", "source": "existing", "target": "/e"},
        {"type": "volume", "target": "/anon", "read_only": True}])},
        volumes={"Bad_Name": {"external": True, "name": "Bad_Name"}, "existing": {"external": True, "name": "pvc-1"}})
    assert set(mounts(e, "web")) == {"/e", "/anon"}                     # the bad external one alone is left out
    assert mounts(e, "web")["/anon"]["readOnly"] is True
    assert volumes(e, "web")["existing"] == {"name": "existing", "persistentVolumeClaim": {"claimName": "pvc-1"}}
    assert e.pod("web")["securityContext"]["fsGroup"] == 1000            # the claim is written to
    assert "web: volume Bad_Name -> /b: external volume 'Bad_Name' is not a valid claim name; not mounted (name the " \
           "existing PersistentVolumeClaim as a DNS-1123 subdomain)" in e.warnings
    assert "web: volume existing -> /e: external volume -> the existing PersistentVolumeClaim 'pvc-1' (it must exist " \
           "in the namespace; nothing is created)" in e.warnings


def test_what_docker_does_to_a_volume_and_kubernetes_does_not_is_reported():
    e = Export({"db": svc(volumes=[{"type": "volume", "source": "data", "target": "/d", "read_only": True,
                                    "volume": {"nocopy": True, "subpath": "sub"}},
                                   {"type": "volume", "source": "logs", "target": "/l", "volume": {"nocopy": False}}])},
               volumes={"data": {"labels": {"x": "y", "com.sentiric.volume.size": "5Gi"}, "driver": "nfs",
                                 "driver_opts": {"o": "addr=1"}}, "logs": {}})
    claims = {t["metadata"]["name"]: t for t in e.workload("db")["spec"]["volumeClaimTemplates"]}
    assert claims["data"]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert claims["logs"]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert mounts(e, "db")["/d"] == {"name": "data", "mountPath": "/d", "readOnly": True, "subPath": "sub"}
    assert "volume data: labels x are not mapped (only com.sentiric.volume.size sizes the claim)" in e.warnings
    assert "db: volume data -> /d: volume driver nfs is not mapped; the claim uses the cluster's default storage " \
           "class" in e.warnings
    assert "db: volume data -> /d: driver_opts (o=addr=1) are not mapped: create a PersistentVolume with that " \
           "storage (e.g. NFS) and bind the claim to it; the claim uses the default storage class" in e.warnings
    assert "named volumes without nocopy: Docker copies the image's files at the mount path into a new, empty " \
           "volume; Kubernetes never does (db:/l): seed them if the image ships data there" in e.warnings


def test_a_volume_label_is_reported():
    e = Export({"db": svc(volumes=[{"type": "volume", "source": "data", "target": "/d",
                                    "volume": {"nocopy": True, "labels": {"a": "b"}}}])}, volumes={"data": {}})
    assert "db: volume data -> /d: volume.labels is not mapped (volume labels apply when Docker creates it)" \
        in e.warnings


def test_a_bind_is_named_after_its_directory_even_with_a_trailing_slash():
    e = Export({"web": svc(volumes=["/proj/conf/:/etc/conf:ro", "/proj/data/:/data"])},
               host_paths={"/proj/conf/": HostPath("dir", {"a.conf": b"a"}), "/proj/data/": HostPath("missing")})
    assert "web-conf" in e.kinds("ConfigMap") and e.kinds("PersistentVolumeClaim") == ["web-data"]


def test_a_read_only_bind_of_a_missing_directory_is_a_read_only_empty_dir():
    e = Export({"web": svc(volumes=["/proj/missing:/data:ro"])}, host_paths={"/proj/missing": HostPath("missing")})
    assert mounts(e, "web")["/data"] == {"name": "missing", "mountPath": "/data", "readOnly": True}
    assert volumes(e, "web")["missing"] == {"name": "missing", "emptyDir": {}}
    assert e.kinds("PersistentVolumeClaim") == []
    assert "web: volume /proj/missing -> /data: the host directory does not exist; mounted as an empty read-only " \
           "emptyDir" in e.warnings


def test_a_bind_is_named_after_its_whole_directory_name():
    e = Export({"web": svc(volumes=["/proj/conf-X:/etc/conf:ro", "/proj/data-X:/data"])},
               host_paths={"/proj/conf-X": HostPath("dir", {"a.conf": b"a"}), "/proj/data-X": HostPath("missing")})
    assert e.kinds("ConfigMap") == ["web-conf-x"] and e.kinds("PersistentVolumeClaim") == ["web-data-x"]
    assert {m["name"] for m in mounts(e, "web").values()} == {"conf-x", "data-x"}


def test_claims_of_two_jobs_that_would_share_a_name_get_two_names():
    e = Export({"a": svc(restart="no", volumes=["b-c:/x"]), "a-b": svc(restart="no", volumes=["/proj/c:/y"])},
               volumes={"b-c": {}}, host_paths={"/proj/c": HostPath("missing")})
    assert volumes(e, "a")["b-c"]["persistentVolumeClaim"] == {"claimName": "a-b-c"}
    assert volumes(e, "a-b")["c"]["persistentVolumeClaim"] == {"claimName": "a-b-c-2"}


def test_a_job_writing_to_its_claim_gets_an_fsgroup_one_only_reading_it_does_not():
    e = Export({"job": svc(restart="no", volumes=["data:/data"]), "ro": svc(restart="no", volumes=["data:/data:ro"])},
               volumes={"data": {}})
    assert e.pod("job")["securityContext"]["fsGroup"] == 1000
    assert "fsGroup" not in e.pod("ro").get("securityContext", {})


def test_a_volume_subpath_must_be_relative_without_dotdot():
    e = Export({"db": svc(volumes=[{"type": "volume", "source": "data", "target": "/a", "volume": {"subpath": "../x"}},
                                   {"type": "volume", "source": "logs", "target": "/b", "volume": {"subpath": "/x"}}])},
               volumes={"data": {}, "logs": {}})
    assert "subPath" not in mounts(e, "db")["/a"] and "subPath" not in mounts(e, "db")["/b"]
    assert "db: volume data -> /a: subpath '../x' must be relative without '..'; left out" in e.warnings
    assert "db: volume logs -> /b: subpath '/x' must be relative without '..'; left out" in e.warnings


def test_a_job_with_a_volume_and_a_bind_of_the_same_name_gets_two_claims():
    e = Export({"job": svc(restart="no", volumes=["data:/a", "/proj/x/data:/b"])}, volumes={"data": {}},
               host_paths={"/proj/x/data": HostPath("missing")})
    assert e.kinds("PersistentVolumeClaim") == ["job-data", "job-data-2"]


def test_secrets_and_configs_where_compose_puts_them():
    e = Export({"web": svc(secrets=[{"source": "big"}, {"source": "tok", "mode": 256, "uid": "10", "gid": "20"},
                                    {"source": "ext"}, {"source": "unset"}],
                           configs=[{"source": "cfg", "target": "rel.conf", "mode": 0o440},
                                    {"source": "filecfg", "mode": 0o444}])},
               secrets={"tok": {"environment": "TOKEN_VAR", "template_driver": "golang"},
                        "ext": {"external": True, "name": "existing-secret"},
                        "unset": {"environment": "NOPE"}, "big": {"file": "/proj/big"}},
               configs={"cfg": {"content": "a=$$b", "labels": {"l": "v"}}, "filecfg": {"file": "/proj/f.conf"}},
               host_paths={"/proj/big": HostPath("file", {"big": b"x" * (1024 * 1024)}),
                           "/proj/f.conf": HostPath("file", {"f.conf": b"k=v"})},
               env={"TOKEN_VAR": "t0ken-value"})
    m = mounts(e, "web")
    assert set(m) == {"/run/secrets/tok", "/run/secrets/ext", "/rel.conf", "/filecfg"}
    v = volumes(e, "web")
    assert v[m["/run/secrets/tok"]["name"]]["secret"]["items"] == [{"key": "tok", "path": "tok", "mode": 256}]
    assert v[m["/run/secrets/ext"]["name"]]["secret"] == {"secretName": "existing-secret",
                                                          "items": [{"key": "ext", "path": "ext", "mode": 0o444}]}
    assert v[m["/rel.conf"]["name"]]["configMap"]["items"] == [{"key": "cfg", "path": "cfg", "mode": 0o440}]
    assert v[m["/filecfg"]["name"]]["configMap"]["items"] == [{"key": "filecfg", "path": "filecfg"}]
    assert e.objs[("ConfigMap", "cfg")]["data"] == {"cfg": "a=$b"}
    assert e.objs[("Secret", "tok")]["metadata"]["labels"]["app.kubernetes.io/component"] == "secret"
    assert e.objs[("ConfigMap", "cfg")]["metadata"]["labels"]["app.kubernetes.io/component"] == "config"
    for line in ("secret big: larger than a Secret holds (1 MiB); not mounted",
                 "secret unset: variable NOPE is not set; not mounted (Compose refuses to start the service)",
                 "secret ext: external -> the existing Secret 'existing-secret', key 'ext' (it must exist in the "
                 "namespace; Compose refuses external secrets/configs outside Swarm)",
                 "secret tok: template_driver is not mapped (Compose itself refuses drivers outside Swarm)",
                 "config cfg: labels is not mapped (Compose itself refuses drivers outside Swarm)",
                 "web: config filecfg: mode is not mapped (Compose ignores it for file-based configs too)",
                 "web: secret tok: uid 10 is not mapped (Kubernetes sets the files' group from fsGroup only)",
                 "web: secret tok: gid 20 is not mapped (Kubernetes sets the files' group from fsGroup only)"):
        assert line in e.warnings


def test_a_secret_driver_is_reported():
    e = Export({"web": svc(secrets=["s"])}, secrets={"s": {"environment": "X", "driver": "vault"}}, env={"X": "v"})
    assert "secret s: driver is not mapped (Compose itself refuses drivers outside Swarm)" in e.warnings
