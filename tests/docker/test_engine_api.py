"""The engine's API over its socket answers what `docker inspect` answers (status and the start
loop read containers that way), and only a local engine is asked that way."""
from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest

from symphony.infra.dockerapi import EngineAPI, EngineUnavailable, local_socket
from tests.stack_helpers import docker


def test_project_containers_over_the_socket_equal_docker_inspect():
    project = f"symtest-api-{uuid.uuid4().hex[:6]}"
    names = [f"{project}-{i}" for i in range(2)]
    try:
        for name in names:
            docker("run", "-d", "--name", name, "--label", f"com.docker.compose.project={project}",
                   "--label", "com.docker.compose.service=svc", "busybox:1.35", "sleep", "600")
        docker("create", "--name", f"{project}-stopped", "--label", f"com.docker.compose.project={project}",
               "busybox:1.35", "true")
        names.append(f"{project}-stopped")
        api = EngineAPI(local_socket(None, {}))
        got = {c["Name"]: c for c in api.project_containers(project)}
        want = {c["Name"]: c for c in json.loads(docker("inspect", *names).stdout)}
        assert set(got) == set(want) == {f"/{n}" for n in names}  # running and stopped alike
        for name, item in want.items():
            assert got[name]["Id"] == item["Id"] and got[name]["State"]["Status"] == item["State"]["Status"]
            assert got[name]["Config"]["Labels"] == item["Config"]["Labels"]
        assert api.project_containers("symtest-no-such-project") == []
        assert api.version() == docker("version", "--format", "{{.Server.Version}}").stdout.strip()
        assert api.ping() is True
    finally:
        docker("rm", "-f", *names, check=False)


def test_only_a_local_unix_engine_is_asked_over_the_socket():
    assert local_socket(None, {}) == "/var/run/docker.sock"
    assert local_socket(None, {"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}) == "/run/user/1000/docker.sock"
    assert local_socket(None, {"DOCKER_HOST": "tcp://10.0.0.2:2376"}) is None
    assert local_socket(None, {"DOCKER_HOST": "ssh://gw"}) is None
    assert local_socket("gateway-vm", {}) is None
    assert local_socket(None, {"DOCKER_CONTEXT": "gateway-vm"}) is None


def serve_once(path, response: bytes) -> threading.Thread:
    """A Unix socket at `path` answering one HTTP request with `response` (not an engine)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def answer():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(response)
        conn.close()
        server.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("response, expected", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", True),   # what the engine's /_ping says
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", False),  # something else listens there
])
def test_ping_is_true_only_for_the_engines_answer(tmp_path, response, expected):
    thread = serve_once(tmp_path / "s.sock", response)
    assert EngineAPI(str(tmp_path / "s.sock")).ping() is expected
    thread.join(5)


def test_an_error_or_no_listener_is_no_answer(tmp_path):
    thread = serve_once(tmp_path / "s.sock", b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(EngineUnavailable):
        EngineAPI(str(tmp_path / "s.sock")).ping()
    thread.join(5)
    with pytest.raises(EngineUnavailable):
        EngineAPI(str(tmp_path / "none.sock")).ping()
