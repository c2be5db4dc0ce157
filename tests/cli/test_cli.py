"""The suite as users meet it: `inv` in a subprocess, from the repo root."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def inv(*args, env=None, timeout=120):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True,
                          text=True, env=full_env, timeout=timeout)


def test_every_task_is_listed_with_help():
    res = inv("--list", "--list-format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)

    def walk(coll, prefix=""):
        for t in coll["tasks"]:
            yield prefix + t["name"], t["help"]
        for sub in coll["collections"]:
            yield from walk(sub, prefix + sub["name"] + ".")

    tasks = dict(walk(data))
    assert "doctor" in tasks
    assert all(help_ for help_ in tasks.values()), [n for n, h in tasks.items() if not h]


def test_every_flag_of_every_task_is_documented():
    import tasks as root

    def walk(coll):
        yield from coll.tasks.values()
        for sub in coll.collections.values():
            yield from walk(sub)

    undocumented = []
    for t in walk(root.ns):
        for arg in t.get_arguments():
            if not arg.help:
                undocumented.append(f"{t.name} --{arg.name}")
    assert not undocumented


@pytest.mark.docker
def test_doctor_reports_a_stopped_daemon_as_fail_with_fix():
    res = inv("doctor", env={"DOCKER_HOST": "unix:///tmp/no-such-docker.sock", "NO_COLOR": "1"})
    assert res.returncode == 1
    assert "fail  the Docker daemon is not reachable" in res.stdout
    assert "fix: start the Docker engine" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


@pytest.mark.docker
def test_doctor_json_on_a_prepared_machine():
    res = inv("doctor", "--json")
    checks = json.loads(res.stdout)
    by_name = {c["name"]: c for c in checks}
    assert by_name["docker"]["status"] == "ok"
    assert by_name["compose"]["status"] == "ok"
    assert res.returncode == (1 if any(c["status"] == "fail" for c in checks) else 0)


def test_bad_numbers_and_choices_are_usage_errors_not_tracebacks(tmp_path):
    from tests.invoke_helpers import inv

    for args in (("start", "--timeout", "abc"), ("start", "--lock-timeout", "-1"), ("restart", "--timeout", "x"),
                 ("start", "--pull", "sometimes"), ("logs", "--tail", "ten"), ("logs", "--since", "yesterday"),
                 ("logs", "--since", "2026-13-45"), ("logs", "--since", "2026-02-30T10:00:00Z"),
                 ("start", "--timeout", "0"), ("restart", "--timeout", "0"),  # 0 s to be healthy: --no-wait is that
                 ("start", "--profile", ""), ("status", "--profile", ""), ("env.show", "--profile", ""),
                 ("env.show", "--profile", "demo\n"), ("k8s.export", "--namespace", "Bad_NS"),
                 # "wait for ever" by accident; every line by accident; after 9999; not ASCII digits
                 ("start", "--timeout", "inf"), ("restart", "--lock-timeout", "1e309"), ("start", "--timeout", "1e9"),
                 ("logs", "--since", ""), ("logs", "--since", "99999999999999999999"), ("logs", "--tail", "٣"),
                 ("env.check", "--all", "--profile", "demo"), ("compose.check", "--all", "--profile", "demo")):
        res = inv(*args, state_dir=tmp_path)
        assert res.returncode == 2, (args, res.stderr)
        assert "Traceback" not in res.stderr and "error:" in res.stderr
    # nothing waits with --no-wait, so a timeout of 0 is no mistake there
    assert inv("start", "--no-wait", "--timeout", "0", "--dry-run", "--offline", state_dir=tmp_path).returncode == 0


def test_an_unwritable_output_path_is_one_clear_line_naming_it(tmp_path):
    from tests.invoke_helpers import inv

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    for args in (("k8s.export", "--output", str(blocker / "out")), ("config.init", str(blocker / "cfg"))):
        res = inv(*args, state_dir=tmp_path)
        assert res.returncode == 1, (args, res.stderr)
        assert "Traceback" not in res.stderr
        assert f"error: {blocker / ('out' if args[0] == 'k8s.export' else 'cfg')}" in res.stderr
    assert blocker.read_text() == "not a directory\n"


def test_a_bad_timeout_in_the_invoke_config_names_the_setting(tmp_path):
    from tests.invoke_helpers import inv

    for key, value in (("HEALTH_TIMEOUT", "soon"), ("LOCK_TIMEOUT", "-3")):
        res = inv("start", "--offline", "--dry-run", state_dir=tmp_path, env={f"INVOKE_SYMPHONY_{key}": value})
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr
        assert f"symphony.{key.lower()}" in res.stderr and f"INVOKE_SYMPHONY_{key}" in res.stderr


def test_an_unknown_service_is_refused_before_anything_is_written(tmp_path):
    from tests.invoke_helpers import inv

    res = inv("start", "--offline", "-s", "no-such-service", state_dir=tmp_path)
    assert res.returncode == 2 and "no service 'no-such-service' in profile 'demo'" in res.stderr, res.stderr
    assert "api-gateway" in res.stderr  # the hint lists the profile's services
    assert list(tmp_path.iterdir()) == []  # no env written, no profile recorded


def test_state_that_is_no_file_or_a_state_dir_that_is_missing_are_usage_errors(tmp_path):
    """A `.profile.state` that is a directory or a FIFO (a read would block for ever), and a
    SYMPHONY_STATE_DIR that does not exist: exit 2, naming them, without waiting."""
    import os

    from tests.invoke_helpers import inv

    (tmp_path / "dir" / ".profile.state").mkdir(parents=True)
    os.mkfifo(tmp_path / "fifo-state")
    (tmp_path / "fifo").mkdir()
    os.symlink(tmp_path / "fifo-state", tmp_path / "fifo" / ".profile.state")
    for state_dir in ("dir", "fifo"):
        for args in (("status",), ("env.show",), ("start", "--dry-run", "--offline")):
            res = inv(*args, state_dir=tmp_path / state_dir, timeout=30)
            assert res.returncode == 2 and ".profile.state is not a regular file" in res.stderr, (args, res.stderr)
    res = inv("start", "--dry-run", "--offline", state_dir=tmp_path / "missing", timeout=30)
    assert res.returncode == 2 and str(tmp_path / "missing") in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("setting", ["default_profile: [demo]", "config_path: [a, 1]", "config_url: [x]",
                                     "config_ref: true", "extra_env_files: [[a]]", "extra_env_files: [{a: b}]"])
def test_a_setting_of_the_wrong_shape_in_the_invoke_config_names_it(tmp_path, setting):
    """invoke.yaml is the user's file: a list where text goes is a usage error naming the setting. (A
    mapping where text goes is refused by Invoke itself, merging its config before any task runs.)"""
    from tests.invoke_helpers import inv

    config = tmp_path / "invoke.yaml"
    config.write_text(f"symphony:\n  {setting}\n")
    res = inv("-f", str(config), "env.show", state_dir=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert f"symphony.{setting.split(':')[0]} (Invoke config)" in res.stderr


def test_a_number_where_text_goes_is_read_as_its_text(tmp_path):
    from symphony.infra.settings import Settings

    settings = Settings.from_mapping({"config_ref": 2024, "default_profile": 5, "extra_env_files": "a.env"})
    assert settings.config_ref == "2024" and settings.default_profile == "5" and settings.extra_env_files == ("a.env",)
