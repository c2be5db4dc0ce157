"""Failure cases on the real engine: each ends with a clear message, the right exit code,
and nothing half-done that a user would have to clean up by hand."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.invoke_helpers import ROOT
from tests.stack_helpers import stack_fixture, project_containers

pytestmark = pytest.mark.docker
FREE_PORT = ("--set", "API_GATEWAY_HOST_PORT=0")


stack = stack_fixture("fail")


def test_a_service_that_never_becomes_healthy_is_named_with_its_check_and_logs(stack):
    # every demo service sleeps far longer than the timeout before it answers /health
    res = stack("start", "--offline", "--timeout", "6", "--set", "DEMO_STARTUP_DELAY=600", *FREE_PORT)
    assert res.returncode == 1
    assert "did not start (timed out after 6s)" in res.stderr
    assert "datastore: state running, health starting" in res.stderr
    assert "last log lines" in res.stderr and "ready in 600s" in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_image_with_pull_never_names_it_and_starts_nothing(stack):
    res = stack("start", "--profile", "gateway", "--offline", "--pull", "never", "--set", "TAG=no-such-tag",
                "--set", "SIP_GATEWAY_HOST_PORT=45061", "--set", "API_GATEWAY_HOST_PORT=0")
    assert res.returncode == 1
    assert "ghcr.io/sentiric/sentiric-api-gateway:no-such-tag" in res.stderr
    assert "ghcr.io/sentiric/sentiric-sip-gateway:no-such-tag" in res.stderr
    assert project_containers(stack.project("gateway")) == []


def test_unreachable_daemon_is_exit_127_with_the_fix(stack):
    res = stack("start", "--offline", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert res.returncode == 127
    assert "Docker daemon is not reachable" in res.stderr and "hint:" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (stack.state_dir / ".profile.state").exists()


def test_garbled_state_file_is_a_usage_error_naming_file_and_profiles(stack):
    (stack.state_dir / ".profile.state").write_bytes(b"\x00\xffcore??\n")
    for command in ("start", "stop", "status"):
        res = stack(command, "--offline") if command == "start" else stack(command)
        assert res.returncode == 2, command
        assert ".profile.state" in res.stderr and "demo" in res.stderr and "core" in res.stderr


def test_invalid_compose_configuration_is_refused_before_anything_starts(stack):
    # two UIs on one host port: a user's config mistake the lint must catch
    res = stack("start", "--profile", "prod", "--offline", "--set", "DASHBOARD_UI_HOST_PORT=43100",
                "--set", "WEB_AGENT_UI_HOST_PORT=43100")
    assert res.returncode == 2
    assert "host port 43100/tcp is published by both dashboard-ui and web-agent-ui" in res.stdout
    assert "nothing was started" in res.stderr
    assert project_containers(stack.project("prod")) == []


def test_two_starts_at_once_are_serialised(stack):
    env = {"SYMPHONY_STATE_DIR": str(stack.state_dir), "SYMPHONY_PROJECT_PREFIX": stack.prefix, "NO_COLOR": "1"}
    stack.started.add(stack.project("demo"))
    argv = [sys.executable, "-m", "invoke", "start", "--offline", *FREE_PORT]
    import os

    first = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out1, err1 = first.communicate(timeout=180)
    out2, err2 = second.communicate(timeout=180)
    assert first.returncode == 0, out1 + err1
    assert second.returncode == 0, out2 + err2
    assert "waiting for another Symphony command to finish" in out2
    assert len(project_containers(stack.project("demo"))) == 6


def test_starting_a_second_profile_is_refused_unless_replacing(stack):
    assert stack("start", "--offline", *FREE_PORT).returncode == 0
    res = stack("start", "--profile", "gateway", "--offline", "--set", "SIP_GATEWAY_HOST_PORT=45062", *FREE_PORT)
    assert res.returncode == 2
    assert "another profile is running on this engine: demo" in res.stderr and "--replace" in res.stderr
    assert (stack.state_dir / ".profile.state").read_text().strip() == "demo"  # still tracks what runs
