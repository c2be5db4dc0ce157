"""Failure cases on the real engine: each ends with a clear message, the right exit code,
and nothing half-done that a user would have to clean up by hand."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from symphony.app.platform import platform_catalog
from tests.invoke_helpers import ROOT
from tests.stack_helpers import free_port, project_containers, stack_fixture

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
                "--set", f"SIP_SBC_HOST_PORT={free_port()}", "--set", "API_GATEWAY_HOST_PORT=0")
    assert res.returncode == 1
    for name in platform_catalog().profiles["gateway"]:  # the published names, from the repos' workflows
        assert f"{platform_catalog().services[name].image}:no-such-tag" in res.stderr
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


def _popen_start(stack, state_dir):
    env = {**os.environ, **stack.env(), "SYMPHONY_STATE_DIR": str(state_dir), "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "invoke", "start", "--offline", *FREE_PORT]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _until_lock_held(lock_file: Path, pid: int, timeout=60):
    """The holder writes its pid into the lock file once it has the lock: wait for that event."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock_file.exists() and lock_file.read_text().split("\n")[0] == str(pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} never took {lock_file}")


@pytest.mark.parametrize("same_state_dir", [True, False], ids=["one-checkout", "two-state-dirs"])
def test_two_starts_at_once_are_serialised(stack, tmp_path_factory, same_state_dir):
    """One engine, one lock: a second start waits for the first, whether it comes from the same
    checkout or from another state directory (another checkout of the same stack)."""
    stack.started.add(stack.project("demo"))
    other_dir = stack.state_dir if same_state_dir else tmp_path_factory.mktemp("second-checkout")
    first = _popen_start(stack, stack.state_dir)
    _until_lock_held(stack.state_dir / ".symphony.lock", first.pid)
    second = _popen_start(stack, other_dir)
    out1, err1 = first.communicate(timeout=240)
    out2, err2 = second.communicate(timeout=240)
    assert first.returncode == 0, out1 + err1
    assert second.returncode == 0, out2 + err2
    assert "waiting for another Symphony command to finish" in out2
    assert "already in use" not in err2
    assert len(project_containers(stack.project("demo"))) == 6


def test_starting_a_second_profile_is_refused_unless_replacing(stack):
    assert stack("start", "--offline", *FREE_PORT).returncode == 0
    env_before = (stack.state_dir / ".env.generated").read_bytes()
    res = stack("start", "--profile", "gateway", "--offline", "--set", "SIP_GATEWAY_HOST_PORT=45062", *FREE_PORT)
    assert res.returncode == 2
    assert "another profile is running on this engine: demo" in res.stderr and "--replace" in res.stderr
    assert (stack.state_dir / ".profile.state").read_text().strip() == "demo"  # still tracks what runs
    assert (stack.state_dir / ".env.generated").read_bytes() == env_before  # the running profile's env, untouched


def test_a_taken_host_port_is_named_before_any_container_starts(stack):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        res = stack("start", "--offline", "--set", f"API_GATEWAY_HOST_PORT={port}")
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"127.0.0.1:{port}/tcp (for api-gateway)" in res.stderr and "nothing was started" in res.stderr
    assert project_containers(stack.project("demo")) == []
    assert not (stack.state_dir / ".env.generated").exists() and not (stack.state_dir / ".profile.state").exists()


class EngineProxy:
    """A unix socket that forwards to the real engine until `kill()`: the engine as Symphony sees
    it dies mid-command (the real daemon, shared with other tests, keeps running)."""

    def __init__(self, path: Path, target="/var/run/docker.sock"):
        self.path, self.target, self.conns, self.alive = path, target, [], True
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.alive:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def kill(self):
        self.alive = False
        self.server.close()
        self.path.unlink(missing_ok=True)
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
                c.close()


def test_the_engine_dying_mid_start_is_exit_127_with_the_fix(stack, tmp_path):
    proxy = EngineProxy(tmp_path / "engine.sock")
    env = {**os.environ, **stack.env(), "SYMPHONY_STATE_DIR": str(stack.state_dir), "NO_COLOR": "1",
           "DOCKER_HOST": f"unix://{proxy.path}"}
    stack.started.add(stack.project("demo"))
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "start", "--offline", "--set", "DEMO_STARTUP_DELAY=30",
                             *FREE_PORT], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = []
    for line in proc.stdout:  # until the first service is started: mid-start by the engine's own account
        out.append(line)
        if "starting" in line and "datastore" in line:
            break
    proxy.kill()
    rest, err = proc.communicate(timeout=120)
    text = "".join(out) + rest
    assert proc.returncode == 127, text + err
    assert "Docker daemon is not reachable" in err and "hint:" in err and "Traceback" not in err
    assert " failed " not in text  # no healthy service is blamed for the engine going away


def test_a_host_port_taken_mid_start_is_named_with_the_engines_reason(stack):
    """The port is free when start checks it, then taken before the gateway's `docker start`:
    the failure says why (the engine's first line), not only "failed to start containers"."""
    port = free_port()
    env = {**os.environ, **stack.env(), "SYMPHONY_STATE_DIR": str(stack.state_dir), "NO_COLOR": "1"}
    stack.started.add(stack.project("demo"))
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "start", "--offline", "--set", "DEMO_STARTUP_DELAY=3",
                             "--set", f"API_GATEWAY_HOST_PORT={port}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = []
    for line in proc.stdout:  # the first start: the port check is behind us, the gateway far ahead
        out.append(line)
        if "starting" in line and "datastore" in line:
            break
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", port))
        taken.listen()
        rest, err = proc.communicate(timeout=180)
    assert proc.returncode == 1, "".join(out) + rest + err
    assert "api-gateway:" in err and ("address already in use" in err or "port is already allocated" in err), err
    assert "Traceback" not in err
