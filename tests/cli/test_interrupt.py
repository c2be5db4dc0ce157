"""Ctrl-C during a long child command: exit 130, the child is stopped, no traceback."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TASKS = '''
import os, sys
sys.path.insert(0, os.environ["SYMPHONY_ROOT"])
from symphony.cli import task
from symphony.infra.runner import Runner

@task
def wait(c):
    """Run a long child."""
    Runner(echo=False).run(["sleep", "30"])

@task(help={"code": "exit code the child returns"})
def child(c, code=3):
    """Run a child that fails."""
    Runner(echo=False).run(["sh", "-c", f"exit {code}"])
'''


def _inv(tmp_path, *args, **popen):
    (tmp_path / "probe.py").write_text(TASKS)  # not tasks.py: `tasks` must stay Symphony's package
    env = dict(os.environ, SYMPHONY_ROOT=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "invoke", "-c", "probe", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_ctrl_c_exits_130_and_stops_the_child(tmp_path):
    proc = _inv(tmp_path, "wait", start_new_session=True)
    deadline = time.time() + 20
    while time.time() < deadline and not _children(proc.pid):
        time.sleep(0.1)
    assert _children(proc.pid), "the child never started"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err
    assert not _children(proc.pid)


def test_child_exit_code_passes_through_inv(tmp_path):
    proc = _inv(tmp_path, "child", "--code", "42")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 42
    assert "exit code 42" in err and "Traceback" not in err


def _children(pid):
    res = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return res.stdout.split()


def _wait_for_child(proc):
    deadline = time.time() + 20
    while time.time() < deadline and not _children(proc.pid):
        time.sleep(0.1)
    assert _children(proc.pid), "the child never started"
    return _children(proc.pid)


def test_sigterm_exits_143_says_so_and_stops_the_child(tmp_path):
    proc = _inv(tmp_path, "wait")
    children = _wait_for_child(proc)
    os.kill(proc.pid, signal.SIGTERM)  # only Symphony: what `kill`, systemd or a CI timeout sends
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err  # 128 + 15, as a shell reports a SIGTERM death
    assert "terminated" in err and "Traceback" not in out + err
    assert not any(_alive(int(pid)) for pid in children)


def test_kill_9_leaves_no_child_behind(tmp_path):
    proc = _inv(tmp_path, "wait")
    children = [int(pid) for pid in _wait_for_child(proc)]
    os.kill(proc.pid, signal.SIGKILL)  # no handler can run: the kernel must end the child
    proc.communicate(timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children), "the child outlived a kill -9 of inv"


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"  # a zombie has ended; only its parent has not reaped it
    except FileNotFoundError:
        return False
