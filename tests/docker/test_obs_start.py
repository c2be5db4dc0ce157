"""`inv start --observability` on the real engine: the profile and the observability stack come
up together, the real Prometheus plus stand-ins for the backends that cannot be pulled here
(tagged under the stand-in registry, answering their real healthchecks)."""
from __future__ import annotations

import json
import os
import urllib.request

import yaml
from dotenv import dotenv_values

from symphony.core.observability.override import OTLP_ENDPOINT
from tests.docker.test_obs_live import eventually, remote_write_status
from tests.invoke_helpers import ROOT
from tests.stack_helpers import STANDIN_REGISTRY, Stack, docker, free_port, project_containers, remove_project
from tests.standins import build_obs_standins, build_prometheus


def health(container: dict) -> str:
    state = container["State"]
    return (state.get("Health") or {}).get("Status") or state["Status"]


def grafana_cli_received(container_id: str) -> list[str]:
    """The passwords the Grafana stand-in's `grafana cli` shim read from its stdin, after checking
    that every call had exactly the reset command's arguments (so none carried a password)."""
    argv = docker("exec", container_id, "cat", "/tmp/grafana-cli/argv").stdout.splitlines()
    assert argv and set(argv) == {"cli admin reset-admin-password --password-from-stdin"}, argv
    return docker("exec", container_id, "cat", "/tmp/grafana-cli/passwords").stdout.splitlines()


def assert_collector_unprivileged(container: dict, state_dir: str) -> None:
    """The collector's process: not root, the socket's group among its groups and no other way in,
    able to use the socket and to write its positions (what the one-shot init made possible)."""
    cid = container["Id"]
    ids = docker("exec", cid, "id").stdout
    uid = container["Config"]["User"].split(":")[0]
    assert f"uid={uid}(" in ids or f"uid={uid} " in ids, ids
    assert uid != "0"
    groups = docker("exec", cid, "id", "-G").stdout.split()
    assert str(os.stat("/var/run/docker.sock").st_gid) in groups and "0" not in groups, groups
    assert docker("exec", cid, "sh", "-c", "test -r /var/run/docker.sock && test -w /var/run/docker.sock",
                  check=False).returncode == 0
    assert docker("exec", cid, "sh", "-c", f"touch {state_dir}/probe && rm {state_dir}/probe",
                  check=False).returncode == 0


def test_start_with_observability_brings_up_both_and_points_traces_at_the_backend(tmp_path):
    prometheus_image = build_prometheus(ROOT)
    build_obs_standins()
    stack = Stack(tmp_path, "obsstart")
    ports = ("PROMETHEUS_PORT", "GRAFANA_PORT", "LOKI_PORT", "ALLOY_PORT", "TEMPO_PORT")
    env = {key: str(free_port()) for key in ports}
    env.update(PROMETHEUS_IMAGE=prometheus_image, DOCKERHUB_MIRROR=STANDIN_REGISTRY)
    try:
        res = stack("start", "--offline", "--observability", "--set", "API_GATEWAY_HOST_PORT=0", env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "starting the observability stack" in res.stdout

        obs = {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in project_containers(stack.prefix + "obs")}
        assert {s: health(c) for s, c in obs.items()} == {
            "prometheus": "healthy", "grafana": "healthy", "loki": "healthy", "alloy": "running", "tempo": "running",
            "alloy-init": "exited"}
        assert obs["alloy-init"]["State"]["ExitCode"] == 0
        assert_collector_unprivileged(obs["alloy"], "/var/lib/alloy/data")
        password = dotenv_values(tmp_path / ".env.generated")["GRAFANA_ADMIN_PASSWORD"]
        assert password and password not in res.stdout + res.stderr
        assert grafana_cli_received(obs["grafana"]["Id"]) == [password]  # set in Grafana's database, on stdin

        demo = project_containers(stack.project("demo"))
        running = [c for c in demo if c["State"]["Status"] == "running"]
        assert {c["Config"]["Labels"]["com.docker.compose.service"] for c in running} == {
            "datastore", "broker", "user-service", "agent-service", "api-gateway"}
        for c in running:
            assert f"OTEL_EXPORTER_OTLP_ENDPOINT={OTLP_ENDPOINT}" in c["Config"]["Env"]
            assert c["Config"]["Labels"]["com.sentiric.logs.collector"] == "tail"  # the collector lists it
        # the endpoint every service was given resolves on sentiric-net and reaches the trace backend
        gateway = next(c for c in running if c["Config"]["Labels"]["com.docker.compose.service"] == "api-gateway")
        probe = docker("exec", gateway["Id"], "wget", "-q", "-O", "-", f"{OTLP_ENDPOINT}/health", check=False)
        assert probe.returncode == 0 and probe.stdout.strip() == "ok", probe.stderr

        status = stack("obs.status", "--json", env=env)
        assert status.returncode == 0, status.stderr
        backends = json.loads(status.stdout)["backends"]
        assert {backends[s] for s in ("prometheus", "grafana", "loki")} == {"healthy"}
        assert backends["alloy-init"] == "completed"  # a finished one-shot, not a failure

        # the backends that run are scraped, and only they: no promtail or jaeger target to be down
        def own_targets():
            with urllib.request.urlopen(f"http://127.0.0.1:{env['PROMETHEUS_PORT']}/api/v1/targets?state=active") as r:
                active = json.load(r)["data"]["activeTargets"]
            found = {t["labels"]["service"]: t["health"] for t in active if t["labels"]["job"] == "observability"
                     and t["labels"]["project"] == stack.prefix + "obs"}
            return found if set(found) == {"prometheus", "grafana", "loki", "alloy", "tempo"} and \
                set(found.values()) == {"up"} else None

        eventually(own_targets, 60, "the running backends scraped and up")

        # a password changed in the config repo is the one in force after the next up
        config = tmp_path / "cfg"
        assert stack("config.init", str(config)).returncode == 0
        secrets = config / "environments/common/secrets.env"
        rotated = "rotated-" + password[::-1]
        secrets.write_text(secrets.read_text().replace(f"GRAFANA_ADMIN_PASSWORD={password}",
                                                       f"GRAFANA_ADMIN_PASSWORD={rotated}"))
        res = stack("obs.up", "--config", str(config), env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        assert rotated not in res.stdout + res.stderr and "Grafana's admin password is" in res.stdout
        grafana = next(c for c in project_containers(stack.prefix + "obs")
                       if c["Config"]["Labels"]["com.docker.compose.service"] == "grafana" and c["State"]["Running"])
        assert grafana_cli_received(grafana["Id"]) == [rotated]
    finally:
        remove_project(stack.prefix + "obs")  # first: its containers hold the network that cleanup removes
        stack.cleanup()


def test_promtail_and_jaeger_variant_collects_unprivileged_resumes_and_links_traces_to_jaeger(tmp_path):
    prometheus_image = build_prometheus(ROOT)
    build_obs_standins()
    stack = Stack(tmp_path, "obsalt")
    env = {key: str(free_port()) for key in ("PROMETHEUS_PORT", "GRAFANA_PORT", "LOKI_PORT", "JAEGER_UI_PORT")}
    env.update(PROMETHEUS_IMAGE=prometheus_image, DOCKERHUB_MIRROR=STANDIN_REGISTRY)
    stray = f"{stack.prefix}stray"
    up = ("obs.up", "--collector", "promtail", "--tracing", "jaeger", "--standalone")
    try:
        docker("network", "create", stack.network)
        docker("run", "-d", "--name", stray, "--network", stack.network, "--entrypoint", "/bin/sleep", prometheus_image,
               "600")
        res = stack(*up, env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"carry no com.sentiric.logs.collector label, so their logs are not collected: {stray}" in res.stdout

        obs = {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in project_containers(stack.prefix + "obs")}
        assert set(obs) == {"prometheus", "grafana", "loki", "promtail", "promtail-init", "jaeger"}
        assert obs["promtail-init"]["State"]["ExitCode"] == 0
        assert_collector_unprivileged(obs["promtail"], "/var/lib/promtail")

        # the trace link in logs opens Jaeger, and no Tempo datasource is left behind
        provisioned = yaml.safe_load(docker("exec", obs["grafana"]["Id"], "cat",
                                            "/etc/grafana/provisioning/datasources/datasources.yml").stdout)
        loki = next(d for d in provisioned["datasources"] if d["type"] == "loki")
        assert [f["datasourceUid"] for f in loki["jsonData"]["derivedFields"]] == ["sentiric-jaeger"]
        assert {d["name"] for d in provisioned["deleteDatasources"]} == {"Tempo"}
        assert remote_write_status(env["PROMETHEUS_PORT"]) == 404  # no Tempo, no remote-write receiver

        def own_targets():
            with urllib.request.urlopen(f"http://127.0.0.1:{env['PROMETHEUS_PORT']}/api/v1/targets?state=active") as r:
                active = json.load(r)["data"]["activeTargets"]
            found = {t["labels"]["service"]: t["health"] for t in active if t["labels"]["job"] == "observability"}
            return found if set(found) == {"prometheus", "grafana", "loki", "promtail", "jaeger"} and \
                set(found.values()) == {"up"} else None

        eventually(own_targets, 60, "the running backends scraped and up")

        # positions survive a recreated collector: its state directory is a volume
        docker("exec", obs["promtail"]["Id"], "sh", "-c", "echo resumed > /var/lib/promtail/positions.yaml")
        docker("rm", "-f", obs["promtail"]["Id"])
        res = stack(*up, env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        again = next(c for c in project_containers(stack.prefix + "obs")
                     if c["Config"]["Labels"]["com.docker.compose.service"] == "promtail")
        assert again["Id"] != obs["promtail"]["Id"]
        assert docker("exec", again["Id"], "cat", "/var/lib/promtail/positions.yaml").stdout.strip() == "resumed"
        assert_collector_unprivileged(again, "/var/lib/promtail")
    finally:
        docker("rm", "-f", stray, check=False)
        remove_project(stack.prefix + "obs")
        stack.cleanup()
