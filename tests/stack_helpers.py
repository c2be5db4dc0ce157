"""Shared helpers for the Docker-tier stack tests: isolated projects, engine facts."""
from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.invoke_helpers import inv

# Every project prefix this test session handed out: the demo's images are built per project
# (`<prefix>demo-<service>:latest`), and the session's teardown removes them all by prefix.
SESSION_PREFIXES: set[str] = set()


def unique_prefix(tag: str) -> str:
    prefix = f"symtest-{tag}-{uuid.uuid4().hex[:6]}-"
    SESSION_PREFIXES.add(prefix)
    return prefix


def remove_session_images() -> list[str]:
    """Remove the images built under this session's project prefixes; returns their names."""
    refs = []
    for prefix in sorted(SESSION_PREFIXES):
        refs += docker("images", "--filter", f"reference={prefix}*",
                       "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
    if refs:
        docker("image", "rm", "-f", *refs, check=False)
    return refs


def remove_session_networks() -> list[str]:
    """Remove the networks left under this session's project prefixes; returns their names."""
    names = [n for n in docker("network", "ls", "--format", "{{.Name}}", check=False).stdout.split()
             if n.startswith(tuple(SESSION_PREFIXES))] if SESSION_PREFIXES else []
    if names:
        docker("network", "rm", *names, check=False)
    return names


def free_port() -> int:
    """A host port nothing listens on right now (for services published on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=120)


def project_containers(project: str) -> list[dict]:
    ids = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    return json.loads(docker("inspect", *ids).stdout) if ids else []


def project_volumes(project: str) -> list[str]:
    return docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split()


def remove_project(project: str) -> None:
    """Teardown that never depends on the code under test."""
    ids = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    if ids:
        docker("rm", "-f", "-v", *ids, check=False)
    vols = project_volumes(project)
    if vols:
        docker("volume", "rm", *vols, check=False)
    # the networks Compose made for the project (`<project>_default`), not an external one it joined
    nets = docker("network", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    if nets:
        docker("network", "rm", *nets, check=False)


# Stand-in images are tagged under this registry, never under a real image's name (a user's
# next `start` must never run a stand-in); the compose files take the registry as a variable.
# One registry path per test session: a session's teardown removes its own stand-ins only, never
# those of another session running beside it on the same engine.
STANDIN_REGISTRY = f"symphony-standin.invalid/s{uuid.uuid4().hex[:8]}"
STANDIN_SETTINGS = {"SENTIRIC_REGISTRY": f"{STANDIN_REGISTRY}/sentiric", "DOCKERHUB_MIRROR": STANDIN_REGISTRY}
def standin_args() -> list[str]:
    return [arg for k, v in STANDIN_SETTINGS.items() for arg in ("--set", f"{k}={v}")]


LOCK_DIR = Path(tempfile.gettempdir()) / f"symtest-locks-{uuid.uuid4().hex[:6]}"  # this test session's engine lock


class Stack:
    """`inv` bound to one tmp state dir, one unique project prefix and its own network, so a
    test never meets a developer's running stack (or its service names on sentiric-net)."""

    def __init__(self, tmp_path, tag: str, prefix: str | None = None, network: str | None = None):
        self.state_dir = tmp_path
        self.prefix = prefix or unique_prefix(tag)
        self.network = network or f"{self.prefix}net"
        self.started: set[str] = set()

    def project(self, profile: str) -> str:
        return f"{self.prefix}{profile}"

    def env(self, extra=None) -> dict:
        return {"SYMPHONY_PROJECT_PREFIX": self.prefix, "SENTIRIC_NETWORK": self.network,
                "SYMPHONY_LOCK_DIR": str(LOCK_DIR), **(extra or {})}

    def __call__(self, *args, env=None, timeout=300):
        if args and args[0] == "start":
            profile = args[args.index("--profile") + 1] if "--profile" in args else "demo"
            self.started.add(self.project(profile))
        return inv(*args, state_dir=self.state_dir, env=self.env(env), timeout=timeout)

    def cleanup(self):
        for project in self.started:
            remove_project(project)
        docker("network", "rm", self.network, check=False)


def stack_fixture(tag: str):
    """A pytest fixture giving each test its own `Stack`, torn down afterwards."""
    import pytest

    @pytest.fixture
    def stack(tmp_path):
        s = Stack(tmp_path, tag)
        yield s
        s.cleanup()

    return stack
