"""core, gateway and prod end to end, with stand-in images (under the stand-in registry).

The engine's own event stream says when each container started and became healthy;
no service may start before every dependency its condition names was healthy.
"""
from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest

from symphony.core import catalog
from tests.stack_helpers import Stack, project_containers, standin_args
from tests.standins import build_standins

pytestmark = pytest.mark.docker

# Small, unused host ports: the real defaults (5060, 8080, 3000, a UDP range of 101) may be
# taken on a developer's machine.
TEST_SETTINGS = {
    "HEALTHCHECK_INTERVAL": "1s", "RTP_PORT_MIN": "41000", "RTP_PORT_MAX": "41002",
    "SIP_GATEWAY_HOST_PORT": "45060", "API_GATEWAY_HOST_PORT": "48080",
    "DASHBOARD_UI_HOST_PORT": "43000", "WEB_AGENT_UI_HOST_PORT": "43001",
}


def settings_args():
    return [arg for k, v in TEST_SETTINGS.items() for arg in ("--set", f"{k}={v}")] + standin_args()


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


@pytest.mark.parametrize("profile", ["core", "gateway", "prod"])
def test_profile_starts_in_dependency_order(profile, tmp_path):
    build_standins(profile)
    stack = Stack(tmp_path, profile)
    try:
        events = EngineEvents(stack.project(profile))
        res = stack("start", "--profile", profile, "--offline", "--timeout", "150", *settings_args(), timeout=400)
        assert res.returncode == 0, res.stdout + res.stderr
        containers = project_containers(stack.project(profile))
        services = {c["Config"]["Labels"]["com.docker.compose.service"] for c in containers}
        assert services == set(catalog.PROFILES[profile])
        assert all(c["State"]["Health"]["Status"] == "healthy" for c in containers)
        deps = {name: [d for d in catalog.SERVICES[name].depends if d in catalog.PROFILES[profile]]
                for name in catalog.PROFILES[profile]}
        if profile == "gateway":
            assert not any(deps.values())  # the edge reaches core over the VPN, not via depends_on
        assert order_violations(events.stop(until_healthy=catalog.PROFILES[profile]), deps) == []
        for c in containers:
            labels = c["Config"]["Labels"]
            assert "container_name" not in labels  # names come from the project, never fixed
            assert c["Name"].lstrip("/").startswith(stack.project(profile))
            assert stack.network in c["NetworkSettings"]["Networks"]
    finally:
        stack.cleanup()
