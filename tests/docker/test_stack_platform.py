"""core, gateway and prod end to end on stand-in images built from the catalog's facts (under the
stand-in registry), with certificates from `inv certs.generate`.

The engine's own event stream says when each container started and became healthy;
no service may start before every dependency its condition names was healthy.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
import time

import pytest

from symphony.app.platform import platform_catalog
from tests.invoke_helpers import inv
from tests.stack_helpers import Stack, docker, free_port, project_containers, standin_args
from tests.standins import build_standin, build_standins


class EngineEvents:
    """`docker events` streamed live (the daemon only keeps a short backlog for --since), read by a
    thread as they come."""

    def __init__(self, project: str):
        self.proc = subprocess.Popen(
            ["docker", "events", "--format", "{{json .}}", "--filter", "type=container",
             "--filter", "event=start", "--filter", "event=health_status", "--filter", "event=die",
             "--filter", f"label=com.docker.compose.project={project}"],
            stdout=subprocess.PIPE, text=True)
        self.events: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.strip():
                self.events.append(json.loads(line))

    def stop(self, until_healthy=(), timeout=15.0) -> list[dict]:
        """Stop once every service in `until_healthy` has its healthy event (the engine delivers
        events a moment after the state the test already saw), or after `timeout`."""
        deadline = time.monotonic() + timeout
        wanted = set(until_healthy)
        while time.monotonic() < deadline and not wanted <= {
                e["Actor"]["Attributes"].get("com.docker.compose.service") for e in list(self.events)
                if e["Action"].startswith("health_status: healthy")}:
            time.sleep(0.1)
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        return list(self.events)


def order_violations(events: list[dict], model_deps: dict[str, list[str]]) -> list[str]:
    first_start, first_healthy = {}, {}
    for e in events:
        service = e["Actor"]["Attributes"].get("com.docker.compose.service")
        if e["Action"] == "start":
            first_start.setdefault(service, e["timeNano"])
        elif e["Action"].startswith("health_status: healthy"):
            first_healthy.setdefault(service, e["timeNano"])
    problems = []
    for service, deps in model_deps.items():
        for dep in deps:
            if service not in first_start:
                problems.append(f"{service} never started")
            elif dep not in first_healthy or first_healthy[dep] > first_start[service]:
                problems.append(f"{service} started before {dep} was healthy")
    return problems


def free_range(n: int) -> tuple[int, int]:
    first = free_port()
    return first, first + n - 1


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """The development CA and service certificates, made by the task a user runs."""
    directory = tmp_path_factory.mktemp("certs")
    res = inv("certs.generate", "--profile", "prod", "--dir", str(directory),
              state_dir=tmp_path_factory.mktemp("state"))
    assert res.returncode == 0, res.stdout + res.stderr
    return directory


def settings_args(certs_dir) -> list[str]:
    """Free host ports (the real defaults 5060, 8080 and two UDP ranges of 101 may be taken on a
    developer's machine), a short healthcheck interval, the certificates, the stand-in registry."""
    rtp, sbc_rtp = free_range(3), free_range(3)
    values = {"HEALTHCHECK_INTERVAL": "1s", "SENTIRIC_CERTS_DIR": str(certs_dir),
              "RTP_SERVICE_PORT_MIN": rtp[0], "RTP_SERVICE_PORT_MAX": rtp[1],
              "SIP_SBC_RTP_START_PORT": sbc_rtp[0], "SIP_SBC_RTP_END_PORT": sbc_rtp[1],
              "SIP_SBC_HOST_PORT": free_port(), "API_GATEWAY_HOST_PORT": free_port(),
              "DASHBOARD_UI_HOST_PORT": free_port(), "WEB_AGENT_UI_HOST_PORT": free_port()}
    return [arg for k, v in values.items() for arg in ("--set", f"{k}={v}")] + standin_args()


@pytest.mark.parametrize("profile", ["core", "gateway", "prod"])
def test_profile_starts_in_dependency_order_on_fact_built_standins(profile, tmp_path, certificates):
    catalog = platform_catalog()
    build_standins(catalog, profile)
    stack = Stack(tmp_path, profile)
    try:
        events = EngineEvents(stack.project(profile))
        res = stack("start", "--profile", profile, "--offline", "--timeout", "150", *settings_args(certificates),
                    timeout=400)
        assert res.returncode == 0, res.stdout + res.stderr
        containers = project_containers(stack.project(profile))
        services = {c["Config"]["Labels"]["com.docker.compose.service"] for c in containers}
        members = catalog.profiles[profile]
        assert services == set(members)
        probed = [c for c in containers if c["Config"].get("Healthcheck")]
        assert all(c["State"]["Health"]["Status"] == "healthy" for c in probed)
        assert all(c["State"]["Status"] == "running" for c in containers)
        deps = {name: [d.service for d in catalog.services[name].depends if d.service in members] for name in members}
        if profile == "gateway":
            assert not any(deps.values())  # the edge reaches core over the VPN, not via depends_on
        with_health = {c["Config"]["Labels"]["com.docker.compose.service"] for c in probed}
        assert order_violations(events.stop(until_healthy=with_health), deps) == []
        for c in containers:
            assert c["Name"].lstrip("/").startswith(stack.project(profile))
            assert stack.network in c["NetworkSettings"]["Networks"]
    finally:
        stack.cleanup()


def test_a_wrong_fact_fails_the_start(tmp_path, certificates):
    """If the real image lacked the tool its healthcheck runs, the stand-in (built from what the
    image really has) says so: tts-gateway-service without curl never becomes healthy."""
    catalog = platform_catalog()
    build_standins(catalog, "core")
    real = catalog.services["tts-gateway-service"]
    broken = dataclasses.replace(real, tools=tuple(t for t in real.tools if t != "curl"))
    build_standin(broken)
    stack = Stack(tmp_path, "wrongfact")
    try:
        res = stack("start", "--profile", "core", "--offline", "--timeout", "90", *settings_args(certificates),
                    timeout=300)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "tts-gateway-service" in res.stderr and "unhealthy" in res.stderr
        assert "curl" in res.stderr  # the last healthcheck output: the tool is not there
    finally:
        stack.cleanup()
        build_standin(real)  # the true stand-in again, for whoever runs next


def test_a_service_without_its_required_variable_exits_like_the_real_one(tmp_path, certificates):
    catalog = platform_catalog()
    svc = catalog.services["user-service"]
    image = build_standin(svc)
    name = f"symtest-noenv-{tmp_path.name[-6:]}"
    res = docker("run", "--name", name, "-e", "USER_SERVICE_CERT_PATH=/x", image, check=False)
    docker("rm", "-f", name, check=False)
    assert res.returncode == 1 and "required variable POSTGRES_URL is not set" in res.stdout + res.stderr


EMPTY_FACTS = sorted((s.name, e.name, e.empty) for s in platform_catalog().services.values() for e in s.env if e.empty)


@pytest.mark.parametrize("service", sorted({name for name, _, _ in EMPTY_FACTS}))
def test_a_required_variable_set_but_empty_fails_the_stand_in_where_it_fails_the_real_image(service, tmp_path):
    """Compose passes a variable the config defines empty (`TENANT_ID=`) as set and empty. The
    catalog says, per variable, what the real code does then (e.g. TENANT_ID `is_empty()` -> exit 1;
    sip-registrar's REDIS_URL: retries for ever, never serves); the stand-in must do the same."""
    svc = platform_catalog().services[service]
    image = build_standin(svc, delay=0)
    # every variable set (a readable file for each path), as the rendered compose file sets them
    base = {e.name: ("/etc/passwd" if e.value.startswith("/") else "x") for e in svc.env}
    for var, effect in [(None, "ready")] + [(v, e) for s, v, e in EMPTY_FACTS if s == service]:
        name = f"symtest-empty-{tmp_path.name[-6:]}-{(var or 'none').lower().replace('_', '-')}"[:60]
        env = [f"--env={k}={'' if k == var else v}" for k, v in base.items()]
        try:
            if effect == "ready":  # with every variable set it gets past its checks
                docker("run", "-d", "--name", name, *env, image)
                time.sleep(2)
                assert "standin " + service + ": ready" in docker("logs", name).stdout
            elif effect == "exits":
                res = docker("run", "--name", name, *env, image, check=False)
                assert res.returncode == 1 and f"required variable {var} is empty" in res.stdout + res.stderr
            else:  # hangs: still running, no port opened, after the service's own start-up would be done
                docker("run", "-d", "--name", name, *env, image)
                time.sleep(3)
                state = docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
                logs = docker("logs", name).stdout
                assert state == "true" and f"{var} is empty: retrying for ever" in logs and "listening" not in logs
        finally:
            docker("rm", "-f", name, check=False)
