"""Every healthcheck the readiness rule writes really probes: run as the engine would run it.

The oracle is the real thing, not the rule's text: Compose itself (`docker-compose config`)
interpolates the test as it would for the container (`${PORT}`, `$$`), then the test runs as the
engine runs it (`CMD`: the argv, no shell; `CMD-SHELL`: `/bin/sh -c`), with only the image's one
tool on PATH (busybox's `wget` and `nc`, as in the alpine images), against a local server that
answers 200 on the health path, one that answers 503, and a port where nothing listens.
(`nc -z` is the one probe not run here: Debian's busybox nc has no -z, and netcat-openbsd is not
installed on the test machine; its command line is checked in test_platform_catalog.py.)
"""
from __future__ import annotations

import copy
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest
import yaml

from symphony.app.platform import CATALOG_DIR
from symphony.core.platform.catalog import service_from_dict
from symphony.core.platform.readiness import readiness_check

EXAMPLE = yaml.safe_load((CATALOG_DIR / "user-service.yaml").read_text())
HOST_TOOLS = {"curl": shutil.which("curl"), "bash": shutil.which("bash"), "python": sys.executable,
              "wget": shutil.which("busybox")}
pytestmark = pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")


def service(tools, health):
    doc = copy.deepcopy(EXAMPLE)
    doc["runtime"] = {**doc["runtime"], "tools": tools}
    doc["health"] = health
    return service_from_dict(doc, "test.yaml")


class Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """(port answering 200 on /health, port answering 503, port where nothing listens)"""
    class Failing(Health):
        status = 503

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (Health, Failing)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead = free.getsockname()[1]
    yield servers[0].server_address[1], servers[1].server_address[1], dead
    for s in servers:
        s.shutdown()
        s.server_close()


def as_compose_resolves(test: list[str], port: int, tmp_path) -> list[str]:
    """The test after Compose's interpolation, with the ports' variables set to `port`."""
    variables = {p["variable"]: str(port) for p in EXAMPLE["ports"]}
    (tmp_path / "compose.yml").write_text(yaml.safe_dump({"services": {"svc": {
        "image": "busybox", "healthcheck": {"test": test}}}}))
    (tmp_path / "vars.env").write_text("".join(f"{k}={v}\n" for k, v in variables.items()))
    out = subprocess.run(["docker-compose", "--env-file", "vars.env", "-f", "compose.yml", "config",
                          "--format", "json"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    # `config` prints a compose file again, with each literal `$` escaped as `$$`: unescape it
    return [arg.replace("$$", "$") for arg in json.loads(out.stdout)["services"]["svc"]["healthcheck"]["test"]]


def probe(test: list[str], tool: str, tmp_path) -> bool:
    """Run the healthcheck as the engine does, with only `tool` (and sh) in the image."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in (tool, "sh"):
        if not (bin_dir / name).exists():
            (bin_dir / name).symlink_to(HOST_TOOLS.get(name) or shutil.which(name))
    if test[0] == "CMD":
        argv = test[1:]
    elif test[0] == "CMD-SHELL":
        argv = ["sh", "-c", test[1]]
    else:
        pytest.fail(f"not a test the engine runs: {test!r}")
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    try:
        return subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, timeout=20).returncode == 0
    except FileNotFoundError:
        return False        # the image has no such program: the check can never pass


@pytest.mark.parametrize("tool", ["curl", "wget", "bash", "python"])
def test_an_http_health_path_is_probed_for_real(tool, server, tmp_path):
    if not HOST_TOOLS[tool]:
        pytest.skip(f"{tool} is not installed here")
    test = readiness_check(service([tool], {"port": "http", "path": "/health"}))
    assert test is not None, f"an image with {tool} can probe HTTP"
    ok, failing, dead = server
    assert probe(as_compose_resolves(test, ok, tmp_path), tool, tmp_path), test
    assert not probe(as_compose_resolves(test, failing, tmp_path), tool, tmp_path), "a 503 is not healthy"
    assert not probe(as_compose_resolves(test, dead, tmp_path), tool, tmp_path), "nothing listens"


@pytest.mark.parametrize("tool", ["bash", "python"])
def test_a_tcp_port_is_probed_for_real(tool, server, tmp_path):
    if not HOST_TOOLS[tool]:
        pytest.skip(f"{tool} is not installed here")
    test = readiness_check(service([tool], {"port": "grpc", "path": None}))
    assert test is not None, f"an image with {tool} can probe a TCP port"
    ok, _, dead = server
    assert probe(as_compose_resolves(test, ok, tmp_path), tool, tmp_path), test
    assert not probe(as_compose_resolves(test, dead, tmp_path), tool, tmp_path), "nothing listens"


def test_the_probe_runs_in_the_image_not_on_the_host(tmp_path):
    # the harness itself: a tool the image lacks fails, whatever the host has
    assert not probe(["CMD", "curl", "-fsS", "http://127.0.0.1:1/"], "bash", tmp_path)
    assert os.path.isabs(HOST_TOOLS["python"])
