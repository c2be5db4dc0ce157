"""Golden tests: small compose cases → manifests, one case per mapping (reviewed by hand;
regenerate with UPDATE_GOLDEN=1 and review the diff)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tasks.k8s import _read_bind_files
from symphony.core.kube.convert import convert
from symphony.core.kube.emit import dump_all
from symphony.infra.runner import Runner

CASES = Path(__file__).parent / "k8s_cases"
EXPECTED = CASES / "expected"


def model_of(case: str) -> dict:
    res = subprocess.run([*Runner(echo=False).compose_base, "-f", str(CASES / f"{case}.yml"), "-p", "golden",
                          "config", "--format", "json"], capture_output=True, text=True,
                         env=dict(os.environ, CONFIG=str(CASES / "config")), check=True)
    return json.loads(res.stdout)


def export_case(case: str):
    model = model_of(case)
    config_root = str(CASES / "config")
    files, _ = _read_bind_files(model, config_root)
    return convert(model, profile="golden", namespace="golden-ns", bind_files=files, config_root=config_root)


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.yml")))
def test_case_matches_golden(case):
    result = export_case(case)
    text = dump_all(result.manifests)
    warnings = "".join(f"{w}\n" for w in result.warnings).replace(str(CASES), "<cases>")
    if os.environ.get("UPDATE_GOLDEN"):
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
    assert exec_probe["startupProbe"]["failureThreshold"] == 6 + 4  # 60s start period / 10s + retries
    shell = container(objs["Deployment", "shell-probe"])
    assert shell["livenessProbe"]["exec"]["command"] == ["sh", "-c", "pg_isready -U ${POSTGRES_USER} || exit 1"]
    assert shell["livenessProbe"]["periodSeconds"] == 90 and "startupProbe" not in shell
    for name in ("no-probe", "disabled-probe"):
        assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(container(objs["Deployment", name]))


def test_udp_tcp_and_ranges():
    objs = objects("ports")
    media = objs["Service", "media"]["spec"]["ports"]
    assert [(p["port"], p["protocol"]) for p in media] == [(8080, "TCP"), (40000, "UDP"), (40001, "UDP"), (40002, "UDP"), (50052, "TCP")]
    sip = objs["Service", "sip"]["spec"]["ports"]
    assert {(p["name"], p["protocol"]) for p in sip} == {("tcp-5060", "TCP"), ("udp-5060", "UDP")}
    assert ("Service", "worker") not in objs
    assert any("worker: no ports" in w for w in export_case("ports").warnings)


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
    assert objs["ConfigMap", "db-init"]["data"] == {"01.sql": "CREATE TABLE t (id int);\n"}
    tls = objs["Secret", "app-tls"]  # certificates and keys become a Secret, never a ConfigMap
    assert set(tls["data"]) == {"server.crt", "server.key"}
    app = objs["Deployment", "app"]
    c = container(app)
    assert c["command"] == ["/bin/app", "--config", "/etc/app.yml"]
    assert c["args"] == ["serve", "--port", "$$(PORT)"]  # a compose literal, not a Kubernetes reference
    assert c["resources"] == {"limits": {"memory": "10000Mi", "cpu": "500m"}, "requests": {"memory": "256Mi", "cpu": "2"}}
    assert app["spec"]["replicas"] == 3
    assert c["securityContext"] == {"runAsUser": 1000, "runAsGroup": 1000}
    assert app["spec"]["template"]["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true", "prometheus.io/port": "9100", "prometheus.io/path": "/prom",
        "com.sentiric.metrics.port": "9100", "com.sentiric.metrics.path": "/prom"}  # compose labels travel too
    warnings = " | ".join(result.warnings)
    assert "/srv/host-only -> /data is not from the config repo" in warnings
    assert "compose key `sysctls` is not mapped" in warnings
