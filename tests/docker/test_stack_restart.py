"""`restart` goes through the same dependency-ordered start as `start` (engine events say so)."""
from __future__ import annotations

import re

from tests.docker.test_stack_platform import EngineEvents
from tests.stack_helpers import project_containers, stack_fixture

FREE_PORT = ("--set", "API_GATEWAY_HOST_PORT=0")

stack = stack_fixture("restart")


def first_times(events, action, last=False):
    seen = {}
    for e in events:
        if e["Action"].startswith(action):
            service = e["Actor"]["Attributes"]["com.docker.compose.service"]
            if last or service not in seen:
                seen[service] = e["timeNano"]
    return seen


def test_restart_of_everything_starts_each_service_after_its_dependencies_are_ready(stack):
    project = stack.project("demo")
    assert stack("start", "--offline", *FREE_PORT).returncode == 0
    events = EngineEvents(project)
    res = stack("restart")
    recorded = events.stop()
    assert res.returncode == 0, res.stdout + res.stderr
    started, healthy, died = first_times(recorded, "start"), first_times(recorded, "health_status: healthy"), \
        first_times(recorded, "die", last=True)
    # the compose file's conditions, read from the spec of demo.yml
    assert healthy["datastore"] < started["migrate"]
    assert died["migrate"] < started["user-service"]      # service_completed_successfully
    assert healthy["user-service"] < started["agent-service"] and healthy["broker"] < started["agent-service"]
    assert healthy["agent-service"] < started["api-gateway"]


def test_restart_is_refused_when_a_dependency_it_would_not_restart_is_not_ready(stack):
    project = stack.project("demo")
    assert stack("start", "--offline", *FREE_PORT).returncode == 0
    from tests.stack_helpers import docker

    docker("stop", f"{project}-agent-service-1")
    before = {c["Config"]["Labels"]["com.docker.compose.service"]: c["State"]["StartedAt"]
              for c in project_containers(project)}
    res = stack("restart", "-s", "api-gateway")
    assert res.returncode == 1
    assert "api-gateway needs agent-service" in res.stderr and "nothing was stopped" in res.stderr
    after = {c["Config"]["Labels"]["com.docker.compose.service"]: c["State"]["StartedAt"]
             for c in project_containers(project)}
    assert after == before

    # a dependency whose container was removed by hand: refused too, and so is restarting it alone
    docker("rm", "-f", f"{project}-user-service-1")
    logs = stack("logs", "-s", "user-service")  # Compose would print nothing and succeed
    assert logs.returncode == 1 and "user-service of profile demo has no container" in logs.stderr, logs.stderr
    for args, needle in ((("-s", "agent-service"), "agent-service needs user-service, which has no container"),
                         ((), "agent-service needs user-service, which has no container"),
                         (("-s", "user-service"), "cannot restart user-service: no container")):
        before = {c["Name"]: c["State"]["StartedAt"] for c in project_containers(project)}
        res = stack("restart", *args)
        assert res.returncode == 1 and needle in res.stderr and "nothing was stopped" in res.stderr, res.stderr
        assert {c["Name"]: c["State"]["StartedAt"] for c in project_containers(project)} == before


def test_a_restarted_service_is_healthy_only_after_its_own_start_up(stack):
    """The demo service's health file lives in the container: a restart must not find the last run's."""
    assert stack("start", "--offline", "-s", "user-service", "--set", "DEMO_STARTUP_DELAY=3",
                 *FREE_PORT).returncode == 0
    res = stack("restart", "-s", "user-service")
    assert res.returncode == 0, res.stdout + res.stderr
    line = re.search(r"user-service +healthy +([\d.]+)s  \(([\d.]+)s after its start\)", res.stdout)
    assert line and float(line.group(2)) >= 3.0, res.stdout
