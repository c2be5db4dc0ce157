"""Which socket and group the discovery containers (Prometheus, the log collector) get: read from
this machine only for an engine reached through a unix socket here; a remote engine needs
DOCKER_SOCKET_GID or is refused, because the bind mount and group are resolved on the ENGINE's host."""
from __future__ import annotations

import os

import pytest

from symphony.core.observability.socket import socket_access
from symphony.errors import UsageError
from tests.invoke_helpers import inv


def test_a_local_socket_gives_its_own_path_and_group():
    access = socket_access("unix:///var/run/docker.sock", socket_gid=998)
    assert (access.path, access.gid) == ("/var/run/docker.sock", "998")
    access = socket_access("unix:///run/user/1000/docker.sock", socket_gid=1000, rootless=True, own_gid=1000)
    assert (access.path, access.gid) == ("/run/user/1000/docker.sock", "0")  # the user's group is 0 in the userns


@pytest.mark.parametrize("endpoint", ["tcp://10.0.0.5:2376", "ssh://ops@build-host", "npipe:////./pipe/docker_engine",
                                      ""])
def test_a_remote_engine_needs_the_group_from_its_own_host(endpoint):
    with pytest.raises(UsageError) as refused:
        socket_access(endpoint, socket_gid=998)  # this machine's socket says nothing about that engine
    assert "DOCKER_SOCKET_GID" in refused.value.hint and "stat -c %g" in refused.value.hint
    access = socket_access(endpoint, gid_setting="991")
    assert (access.path, access.gid) == ("/var/run/docker.sock", "991")
    access = socket_access(endpoint, gid_setting="991", path_setting="/run/docker.sock")
    assert access.path == "/run/docker.sock"


def test_unreadable_or_unmapped_sockets_and_bad_settings_are_refused():
    with pytest.raises(UsageError, match="cannot read the group"):
        socket_access("unix:///var/run/docker.sock", socket_gid=None)
    with pytest.raises(UsageError, match="not mapped"):
        socket_access("unix:///run/user/1000/docker.sock", socket_gid=999, rootless=True, own_gid=1000)
    with pytest.raises(UsageError, match="numeric"):
        socket_access("tcp://h:2375", gid_setting="docker")
    with pytest.raises(UsageError, match="absolute"):
        socket_access("tcp://h:2375", gid_setting="1", path_setting="docker.sock")


def _obs_up(tmp_path, **env):
    return inv("obs.up", "-s", "prometheus", "--standalone", "--dry-run", state_dir=tmp_path,
               env={"SYMPHONY_PROJECT_PREFIX": "symtest-obssock-", **env})


def test_obs_up_refuses_a_remote_engine_without_the_group_and_takes_it_when_given(tmp_path):
    res = _obs_up(tmp_path, DOCKER_HOST="tcp://127.0.0.1:9")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "tcp://127.0.0.1:9" in res.stderr and "DOCKER_SOCKET_GID" in res.stderr and "Traceback" not in res.stderr
    assert "up -d" not in res.stdout  # refused before anything would start
    res = _obs_up(tmp_path, DOCKER_HOST="tcp://127.0.0.1:9", DOCKER_SOCKET_GID="991")
    assert "DOCKER_SOCKET_GID" not in res.stderr  # past the socket rule (then stopped by the unreachable engine)


@pytest.mark.docker
def test_a_configured_group_and_path_win_over_what_this_machine_says(tmp_path):
    res = _obs_up(tmp_path, DOCKER_SOCKET_GID="991", DOCKER_SOCKET_PATH="/run/docker.sock")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "DOCKER_SOCKET_GID=991" in res.stdout and "DOCKER_SOCKET_PATH=/run/docker.sock" in res.stdout


def test_obs_up_reads_the_endpoint_of_the_context_it_is_given(tmp_path):
    """`--context` selects the engine: a context whose endpoint is remote is refused even though this
    machine has a socket (a private DOCKER_CONFIG keeps the user's contexts untouched)."""
    import subprocess

    config = tmp_path / "docker-config"
    config.mkdir()
    env = dict(os.environ, DOCKER_CONFIG=str(config))
    made = subprocess.run(["docker", "context", "create", "faraway", "--docker", "host=tcp://127.0.0.1:9"],
                          capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    res = inv("obs.up", "-s", "prometheus", "--standalone", "--dry-run", "--context", "faraway", state_dir=tmp_path,
              env={"DOCKER_CONFIG": str(config), "SYMPHONY_PROJECT_PREFIX": "symtest-obssock-"})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "tcp://127.0.0.1:9" in res.stderr and "DOCKER_SOCKET_GID" in res.stderr


@pytest.mark.docker
def test_obs_up_on_this_machines_engine_uses_its_socket_group(tmp_path):
    endpoint = "/var/run/docker.sock"
    if os.environ.get("DOCKER_HOST", "unix://" + endpoint) != "unix://" + endpoint:
        pytest.skip("the engine here is not on /var/run/docker.sock")
    res = _obs_up(tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"DOCKER_SOCKET_GID={os.stat(endpoint).st_gid}" in res.stdout
    assert f"DOCKER_SOCKET_PATH={endpoint}" in res.stdout
