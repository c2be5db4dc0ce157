"""Acceptance on the real engine: the demo profile's whole lifecycle, data kept across stop/start."""
from __future__ import annotations

import json
import re

from dotenv import dotenv_values

from tests.stack_helpers import docker, project_containers, project_volumes, stack_fixture

stack = stack_fixture("demo")


def boots(project: str) -> str:
    """The datastore's boot counter, read from its named volume by a throwaway container."""
    return docker("run", "--rm", "-v", f"{project}_datastore-data:/data", "busybox:1.35",
                  "cat", "/data/boots").stdout.strip()


def test_demo_lifecycle_keeps_data(stack):
    project = stack.project("demo")
    res = stack("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "example-only" not in res.stdout + res.stderr  # the fixtures' secrets never reach the console
    for service in ("datastore", "broker", "user-service", "agent-service", "api-gateway"):
        line = re.search(rf"{service} +healthy +([\d.]+)s  \(([\d.]+)s after its start\)", res.stdout)
        # each demo service simulates a 1 s start-up, so none can be healthy sooner after its start
        assert line and 1.0 <= float(line.group(2)) <= float(line.group(1)), res.stdout
    assert "migrate                  completed" in res.stdout
    assert (stack.state_dir / ".profile.state").read_text().strip() == "demo"

    health = {c["Config"]["Labels"]["com.docker.compose.service"]: (c["State"].get("Health") or {}).get("Status")
              for c in project_containers(project)}
    assert health.pop("migrate") is None
    assert set(health.values()) == {"healthy"} and len(health) == 5

    status = json.loads(stack("status", "--json").stdout)
    assert status["project"] == project
    rows = {r["service"]: r for r in status["services"]}
    assert rows["api-gateway"]["health"] == "healthy" and rows["api-gateway"]["ports"]
    assert rows["migrate"]["health"] == "completed"

    logs = stack("logs", "-s", "broker", "--tail", "50")
    assert logs.returncode == 0
    assert "broker: ready" in logs.stdout and "datastore:" not in logs.stdout
    # agent-service logs its broker URL with the broker password in it: `inv logs` masks it
    password = dotenv_values(stack.state_dir / ".env.generated")["RABBITMQ_DEFAULT_PASS"]
    agent_logs = stack("logs", "-s", "agent-service")
    assert "connecting to the broker at" in agent_logs.stdout and password not in agent_logs.stdout + agent_logs.stderr
    assert password in docker("logs", f"{project}-agent-service-1").stdout  # the container really printed it
    # masked too when .env.generated is gone or garbled: the containers' own env says what is secret
    generated = stack.state_dir / ".env.generated"
    kept = generated.read_bytes()
    for replacement in (None, b"\xff\xfe not text\n"):
        generated.unlink(missing_ok=True)
        if replacement is not None:
            generated.write_bytes(replacement)
        agent_logs = stack("logs", "-s", "agent-service")
        assert agent_logs.returncode == 0 and "Traceback" not in agent_logs.stderr, agent_logs.stderr
        assert "connecting to the broker at" in agent_logs.stdout and password not in agent_logs.stdout
    generated.write_bytes(kept)

    before = {c["Config"]["Labels"]["com.docker.compose.service"]: c["State"]["StartedAt"]
              for c in project_containers(project)}
    res = stack("restart", "-s", "user-service")
    assert res.returncode == 0, res.stdout + res.stderr
    after = {c["Config"]["Labels"]["com.docker.compose.service"]: c["State"]["StartedAt"]
             for c in project_containers(project)}
    assert after["user-service"] != before["user-service"]
    assert after["datastore"] == before["datastore"]

    assert boots(project) == "1"
    res = stack("stop")
    assert res.returncode == 0, res.stdout + res.stderr
    assert project_containers(project) == []
    assert project_volumes(project) == [f"{project}_datastore-data"]  # stop keeps the data
    res = stack("logs")
    assert res.returncode == 1 and "has no containers" in res.stderr  # not an empty success

    res = stack("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0")
    assert res.returncode == 0, res.stdout + res.stderr
    assert boots(project) == "2"  # the same volume, found again
    assert "boot number 2" in stack("logs", "-s", "datastore").stdout

    res = stack("stop", "--volumes", "--yes")
    assert res.returncode == 0
    assert project_volumes(project) == []
    assert "example-only" not in res.stdout + res.stderr + status_text(stack)  # no secret reached the console


def status_text(stack) -> str:
    res = stack("status")
    return res.stdout + res.stderr


def test_stop_volumes_asks_and_refuses_without_a_terminal(stack):
    project = stack.project("demo")
    assert stack("start", "--offline", "--no-wait", "--set", "API_GATEWAY_HOST_PORT=0").returncode == 0
    res = stack("stop", "--volumes")
    assert res.returncode == 2
    assert f"{project}_datastore-data" in res.stdout and "--yes" in res.stderr
    assert project_containers(project)  # nothing was stopped either


def test_stop_volumes_says_which_volume_another_container_keeps(stack):
    """Compose leaves a volume another container mounts ("Resource is still in use") and exits 0:
    `stop --volumes` must not report the data as deleted."""
    project = stack.project("demo")
    assert stack("start", "--offline", "--no-wait", "--set", "API_GATEWAY_HOST_PORT=0").returncode == 0
    user = f"{project}-volume-user"
    docker("run", "-d", "--name", user, "-v", f"{project}_datastore-data:/x", "busybox:1.35", "sleep", "600")
    try:
        res = stack("stop", "--volumes", "--yes")
        assert res.returncode == 1, res.stdout + res.stderr
        assert f"{project}_datastore-data (used by {user})" in res.stderr and "could not be deleted" in res.stderr
        assert project_containers(project) == []  # the profile itself is stopped
    finally:
        docker("rm", "-f", user, check=False)
    res = stack("stop", "--volumes", "--yes")
    assert res.returncode == 0 and project_volumes(project) == []
