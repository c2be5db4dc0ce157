"""The engine's API over its socket answers what `docker inspect` answers (status and the start
loop read containers that way), and only a local engine is asked that way."""
from __future__ import annotations

import json
import uuid

from symphony.infra.dockerapi import EngineAPI, local_socket
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
    finally:
        docker("rm", "-f", *names, check=False)


def test_only_a_local_unix_engine_is_asked_over_the_socket():
    assert local_socket(None, {}) == "/var/run/docker.sock"
    assert local_socket(None, {"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}) == "/run/user/1000/docker.sock"
    assert local_socket(None, {"DOCKER_HOST": "tcp://10.0.0.2:2376"}) is None
    assert local_socket(None, {"DOCKER_HOST": "ssh://gw"}) is None
    assert local_socket("gateway-vm", {}) is None
    assert local_socket(None, {"DOCKER_CONTEXT": "gateway-vm"}) is None
