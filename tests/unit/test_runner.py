import os
import stat

import pytest

from symphony.errors import CommandFailed, ToolMissing
from symphony.infra import console as ui
from symphony.infra.runner import Runner, _major


def test_hostile_argument_is_one_argv_element(tmp_path):
    marker = tmp_path / "must-survive"
    marker.write_text("x")
    hostile = f"x; rm -rf {marker}"
    res = Runner(echo=False).query(["printf", "%s\\n", hostile, "$(touch pwned)", "`id`"], cwd=str(tmp_path))
    assert res.stdout.splitlines() == [hostile, "$(touch pwned)", "`id`"]
    assert marker.exists() and not (tmp_path / "pwned").exists()


def test_shell_strings_are_refused():
    with pytest.raises(TypeError):
        Runner().run("echo hi")


def test_dry_run_prints_exact_command_and_runs_nothing(tmp_path, capsys):
    target = tmp_path / "created"
    res = Runner(dry_run=True).run(["touch", str(target), "a b"])
    assert res.dry_run and not target.exists()
    assert capsys.readouterr().out.strip() == f"+ touch {target} 'a b'"


def test_dry_run_still_runs_read_only_queries():
    assert Runner(dry_run=True).query(["echo", "hi"]).stdout == "hi\n"


def test_child_exit_code_is_passed_through():
    with pytest.raises(CommandFailed) as err:
        Runner(echo=False).run(["sh", "-c", "exit 7"], capture=True)
    assert err.value.exit_code == 7


def test_environment_is_extended_not_replaced(monkeypatch):
    monkeypatch.setenv("SYMPHONY_PARENT_VAR", "kept")
    out = Runner(echo=False).query(["env"], env={"EXTRA": "1"}).stdout
    assert "SYMPHONY_PARENT_VAR=kept" in out and "EXTRA=1" in out and "PATH=" in out


def test_parsed_output_does_not_come_through_a_tty():
    assert Runner().query(["sh", "-c", "test -t 1 && echo tty || echo pipe"]).stdout == "pipe\n"


def test_missing_binary_is_exit_127_with_hint():
    with pytest.raises(ToolMissing) as err:
        Runner().query(["kubectl-does-not-exist"])
    assert err.value.exit_code == 127


def test_context_reaches_docker_as_env_and_is_shown(capsys):
    Runner(dry_run=True, context="gw-vm").run(["docker", "ps"])
    assert capsys.readouterr().out.strip() == "+ DOCKER_CONTEXT=gw-vm docker ps"
    assert Runner(context="gw-vm").child_env("docker")["DOCKER_CONTEXT"] == "gw-vm"


def test_streamed_output_masks_registered_secrets(capfd):
    ui.register_secrets(["hunter2-secret"])
    Runner(echo=False).run(["echo", "password is hunter2-secret"])
    assert "hunter2-secret" not in capfd.readouterr().out


def test_v1_compose_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "docker-compose"
    fake.write_text("#!/bin/sh\necho 1.29.2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + "/usr/bin:/bin")
    monkeypatch.setattr("shutil.which", lambda name: str(fake) if name == "docker-compose" else None)
    with pytest.raises(ToolMissing) as err:
        _ = Runner().compose_base
    assert "v1" in err.value.message


@pytest.mark.parametrize("text,major", [("v2.29.1", 2), ("5.6.1", 5), ("1.29.2", 1), ("", 0)])
def test_compose_version_major(text, major):
    assert _major(text) == major


def test_a_secret_with_a_quote_is_masked_in_the_echoed_command(capsys):
    """shlex quoting splits `a'b` into 'a'"'"'b': each word is masked before it is quoted."""
    secret = "gr'af-pass-word"
    ui.register_secrets([secret])
    try:
        Runner(dry_run=True).run(["docker", "compose", "up", secret], env={"GRAFANA_ADMIN_PASSWORD": secret})
    finally:
        ui._MASKER = None
    out = capsys.readouterr().out
    assert "gr" not in out.replace("GRAFANA", "") and "af-pass" not in out and out.count(ui.MASK) == 2
