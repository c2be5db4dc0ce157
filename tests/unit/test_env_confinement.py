"""Fragments come only from the config repo's environments/ directory, and only regular files."""
import os
import threading

import pytest

from symphony.core.envcompiler import compile_env
from symphony.core.envcompiler.model import EnvError

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}
CANARY = "host-canary-7f3e9a"


@pytest.fixture
def repo(tmp_path):
    """A config repo, and a KEY=VALUE-shaped file outside it holding a canary."""
    env = tmp_path / "cfg" / "environments"
    (env / "profiles").mkdir(parents=True)
    (env / "common").mkdir()
    (env / "common" / "base.env").write_text("BASE=1\n")
    outside = tmp_path / "host-file"
    outside.write_text(f"HOST_SECRET={CANARY}\nroot:x:0:0:{CANARY}:/root:/bin/bash\n")
    return tmp_path / "cfg", env, outside


def refused(root, needle, profile="p"):
    with pytest.raises(EnvError) as err:
        compile_env(root, profile, environ={}, dynamic=DYN)
    text = err.value.render()
    assert needle in text, text
    assert CANARY not in text and "root:x" not in text
    return text


@pytest.mark.parametrize("line", ["source /etc/passwd", "source ../../../etc/shadow", "source ../../host-file",
                                  ". /etc/passwd", "source common/../../../host-file"])
def test_source_outside_environments_is_refused(repo, line):
    root, env, _ = repo
    (env / "profiles" / "p.env").write_text(f"A=1\n{line}\n")
    refused(root, "profiles/p.env:2")


def test_a_symlink_to_a_file_outside_is_refused(repo):
    root, env, outside = repo
    (env / "common" / "evil.env").symlink_to(outside)
    (env / "profiles" / "p.env").write_text("source common/evil.env\n")
    refused(root, "outside the config repo's environments/")


def test_a_symlinked_directory_leading_outside_is_refused(repo, tmp_path):
    root, env, outside = repo
    (env / "linked").symlink_to(outside.parent)
    (env / "profiles" / "p.env").write_text("source linked/host-file\n")
    refused(root, "outside the config repo's environments/")


def test_a_symlink_inside_environments_is_followed(repo):
    root, env, _ = repo
    (env / "common" / "alias.env").symlink_to(env / "common" / "base.env")
    (env / "profiles" / "p.env").write_text("source common/alias.env\n")
    assert compile_env(root, "p", environ={}, dynamic=DYN).values["BASE"] == "1"


@pytest.mark.parametrize("name", ["../common/base", "common/base", "/etc/passwd", "..", ".hidden/../p"])
def test_profiles_come_only_from_profiles_dir(repo, name):
    root, env, _ = repo
    (env / "profiles" / "p.env").write_text("A=1\n")
    refused(root, "profiles in this config repo: p", profile=name)


def test_a_profile_that_is_a_symlink_outside_is_refused(repo):
    root, env, outside = repo
    (env / "profiles" / "evil.env").symlink_to(outside)
    refused(root, "outside the config repo's environments/", profile="evil")


def test_a_fifo_or_a_directory_is_not_read(repo):
    root, env, _ = repo
    os.mkfifo(env / "common" / "pipe.env")
    (env / "common" / "dir.env").mkdir()
    for target in ("common/pipe.env", "common/dir.env"):
        (env / "profiles" / "p.env").write_text(f"source {target}\n")
        result = {}
        worker = threading.Thread(
            target=lambda result=result: result.update(text=refused(root, "is not a regular file")))
        worker.start()
        worker.join(10)
        assert not worker.is_alive(), f"reading {target} blocked"
        assert result


def test_extra_env_files_are_the_explicit_way_to_read_a_file_elsewhere(repo, tmp_path):
    root, env, _ = repo
    (env / "profiles" / "p.env").write_text("URL=db://u:${LOCAL_PASSWORD}@h\n")
    local = tmp_path / "local.secrets.env"
    local.write_text("LOCAL_PASSWORD=from-my-laptop\n")
    compiled = compile_env(root, "p", environ={}, dynamic=DYN, extra_files=[local])
    assert compiled.values["URL"] == "db://u:from-my-laptop@h"
    assert compiled.secrets["LOCAL_PASSWORD"] and compiled.secrets["URL"] == "built from a secret"
    local.write_text("source /etc/passwd\n")
    with pytest.raises(EnvError, match="`source` is not allowed in an extra env file"):
        compile_env(root, "p", environ={}, dynamic=DYN, extra_files=[local])


def test_a_missing_extra_env_file_is_named_with_where_it_is_configured(repo, tmp_path):
    root, env, _ = repo
    (env / "profiles" / "p.env").write_text("A=1\n")
    with pytest.raises(EnvError) as err:
        compile_env(root, "p", environ={}, dynamic=DYN, extra_files=[tmp_path / "missing.env"])
    assert "missing.env does not exist" in err.value.message
    assert err.value.hint == "fix the path in symphony.extra_env_files, or create the file"
