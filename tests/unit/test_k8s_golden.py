"""Golden tests: small compose cases → manifests, one case per mapping (reviewed by hand;
regenerate with UPDATE_GOLDEN=1 and review the diff; refused under CI, where goldens must only be
compared). The assertions below each golden state what Kubernetes and Compose semantics require."""
from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

from symphony.app.export import read_host_paths
from symphony.core.kube.convert import Options, convert
from symphony.core.kube.emit import dump_all
from symphony.infra.runner import Runner

CASES = Path(__file__).parent.parent / "k8s_cases"
EXPECTED = CASES / "expected"


def model_of(case: str) -> dict:
    return json.loads(_resolved(case))    # a fresh copy each time


@functools.lru_cache(maxsize=None)
def _resolved(case: str) -> str:
    """Compose's resolution of a case, once per process (the files do not change during a run)."""
    res = subprocess.run([*Runner(echo=False).compose_base, "-f", str(CASES / f"{case}.yml"), "-p", "golden",
                          "config", "--format", "json"], capture_output=True, text=True,
                         env=dict(os.environ, CONFIG=str(CASES / "config")), check=True)
    return res.stdout


def export_case(case: str, **options):
    model = model_of(case)
    host_paths = read_host_paths(model, [str(CASES / "config")])
    return convert(model, profile="golden", options=Options(namespace="golden-ns", **options), host_paths=host_paths,
                   env={"GOLDEN_TOKEN": "env-token-value"})


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.yml")))
def test_case_matches_golden(case):
    result = export_case(case)
    text = dump_all(result.manifests)
    warnings = "".join(f"{w}\n" for w in result.warnings).replace(str(CASES), "<cases>")
    if os.environ.get("UPDATE_GOLDEN"):
        assert not under_ci(), "UPDATE_GOLDEN is refused under CI: goldens are reviewed by hand, never rewritten there"
        EXPECTED.mkdir(exist_ok=True)
        (EXPECTED / f"{case}.yaml").write_text(text)
        (EXPECTED / f"{case}.warnings.txt").write_text(warnings)
    assert text == (EXPECTED / f"{case}.yaml").read_text()
    assert warnings == (EXPECTED / f"{case}.warnings.txt").read_text()


def objects(case):
    return {(o["kind"], o["metadata"]["name"]): o for o in export_case(case).manifests}


def container(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]


def test_cmd_is_exec_argv_and_cmd_shell_runs_through_sh():
    objs = objects("probes")
    exec_probe = container(objs["Deployment", "exec-probe"])
    assert exec_probe["readinessProbe"]["exec"]["command"] == ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
    assert exec_probe["readinessProbe"]["periodSeconds"] == 10 and exec_probe["readinessProbe"]["failureThreshold"] == 4
    assert exec_probe["readinessProbe"]["timeoutSeconds"] == 3
    # Docker probes every start_interval (default 5 s) during the 60 s start period without counting
    # failures, then needs 4 failures 10 s apart: unhealthy after 60 + 40 s at the latest
    startup = exec_probe["startupProbe"]
    assert startup["periodSeconds"] == 5 and startup["periodSeconds"] * startup["failureThreshold"] == 60 + 4 * 10
    shell = container(objs["Deployment", "shell-probe"])
    assert shell["livenessProbe"]["exec"]["command"] == ["sh", "-c", "pg_isready -U ${POSTGRES_USER} || exit 1"]
    assert shell["livenessProbe"]["periodSeconds"] == 90 and "startupProbe" not in shell
    # Docker's defaults for what the healthcheck leaves out: 30 s timeout, 3 retries
    assert shell["livenessProbe"]["timeoutSeconds"] == 30 and shell["livenessProbe"]["failureThreshold"] == 3
    for name in ("no-probe", "disabled-probe"):
        assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(container(objs["Deployment", name]))


def test_udp_tcp_and_ranges():
    objs = objects("ports")
    media = objs["Service", "media"]["spec"]["ports"]
    assert [(p["port"], p["protocol"]) for p in media] == [(8080, "TCP"), (40000, "UDP"), (40001, "UDP"),
                                                           (40002, "UDP"), (50052, "TCP")]
    sip = objs["Service", "sip"]["spec"]["ports"]
    assert {(p["name"], p["protocol"]) for p in sip} == {("tcp-5060", "TCP"), ("udp-5060", "UDP")}
    # every compose service is reachable by its name: without ports, through a headless Service
    worker = objs["Service", "worker"]["spec"]
    assert worker["clusterIP"] == "None" and "ports" not in worker
    assert worker["selector"] == objs["Deployment", "worker"]["spec"]["selector"]["matchLabels"]
    warnings = " | ".join(export_case("ports").warnings)
    assert "127.0.0.1:18080/tcp are bound to the loopback address" in warnings  # never exposed beyond the cluster
    assert "0.0.0.0:5060/udp, 0.0.0.0:5060/tcp stay inside the cluster" in warnings


def test_secrets_go_to_the_secret_and_the_rest_to_the_configmap():
    objs = objects("env")
    config, secret = objs["ConfigMap", "api-env"]["data"], objs["Secret", "api-env"]["stringData"]
    assert config == {"LOG_LEVEL": "info", "PUBLIC_URL": "http://api:8080", "TLS_KEY_PATH": "/etc/tls/key.pem"}
    assert secret == {"DB_PASSWORD": "s3cret with $dollar", "JWT_SECRET": "token-value",
                      "DATABASE_URL": "postgres://user:pw@db:5432/app"}
    assert container(objs["Deployment", "api"])["envFrom"] == [
        {"configMapRef": {"name": "api-env"}}, {"secretRef": {"name": "api-env"}}]
    assert any("UNSET_IN_MODEL has no value" in w for w in export_case("env").warnings)


def test_depends_on_conditions():
    objs = objects("deps")
    api = objs["Deployment", "api"]["spec"]["template"]["spec"]
    waits = [c["name"] for c in api["initContainers"]]
    assert waits == ["wait-for-cache", "wait-for-db"]
    assert "nc -z -w 2 db 5432" in api["initContainers"][1]["command"][2]
    job = objs["Job", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert container(job)["args"] == ["migrate", "up"]
    assert any("waits for one-shot migrate" in w for w in export_case("deps").warnings)


def test_volumes_resources_and_command():
    result = export_case("volumes")
    objs = {(o["kind"], o["metadata"]["name"]): o for o in result.manifests}
    db = objs["StatefulSet", "db"]
    template = db["spec"]["volumeClaimTemplates"][0]
    assert template["metadata"]["name"] == "db-data" and template["spec"]["resources"]["requests"]["storage"] == "20Gi"
    # a StatefulSet's serviceName must name a headless Service (it gives the pods their DNS names)
    governing = objs["Service", db["spec"]["serviceName"]]["spec"]
    assert governing["clusterIP"] == "None" and governing["selector"] == db["spec"]["selector"]["matchLabels"]
    assert objs["Service", "db"]["spec"].get("clusterIP") != "None"  # clients still get one stable address
    assert objs["ConfigMap", "db-init"]["data"] == {"01.sql": "CREATE TABLE t (id int);\n"}
    tls = objs["Secret", "app-tls"]  # certificates and keys become a Secret, never a ConfigMap
    assert set(tls["data"]) == {"server.crt", "server.key"}
    app = objs["Deployment", "app"]
    c = container(app)
    assert c["command"] == ["/bin/app", "--config", "/etc/app.yml"]
    assert c["args"] == ["serve", "--port", "$$(PORT)"]  # a compose literal, not a Kubernetes reference
    # a request above its limit is refused by the API server: the reservation is clamped (and reported)
    assert c["resources"] == {"limits": {"memory": "10000Mi", "cpu": "500m"},
                              "requests": {"memory": "256Mi", "cpu": "500m"}}
    assert app["spec"]["replicas"] == 3
    assert c["securityContext"]["runAsUser"] == 1000 and c["securityContext"]["runAsGroup"] == 1000
    assert app["spec"]["template"]["spec"]["securityContext"]["fsGroup"] == 1000  # the tmpfs is writable for gid 1000
    assert app["spec"]["template"]["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true", "prometheus.io/port": "9100", "prometheus.io/path": "/prom",
        "com.sentiric.metrics.port": "9100", "com.sentiric.metrics.path": "/prom"}  # compose labels travel too
    warnings = " | ".join(result.warnings)
    assert "volume /srv/host-only -> /data: bind mount not exported: it is outside the project" in warnings
    assert "sysctl net.core.somaxconn is not in the safe set" in warnings


def test_goldens_cannot_be_rewritten_under_ci():
    import sys

    before = {p.name: p.read_bytes() for p in EXPECTED.iterdir()}
    env = dict(os.environ, CI="true", UPDATE_GOLDEN="1")
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"{__file__}::test_case_matches_golden[env]"], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[2])
    assert res.returncode != 0 and "UPDATE_GOLDEN is refused under CI" in res.stdout
    assert {p.name: p.read_bytes() for p in EXPECTED.iterdir()} == before
