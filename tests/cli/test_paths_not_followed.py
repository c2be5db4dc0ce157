"""Paths the user names for directories Symphony creates or writes: an empty one, a symlink (dangling
or not) and an option-looking URL are refused before anything is written; a config repo's secrets
fragments are private (0600) whatever the umask. Expectations: the README's promise (nothing written
where the user did not ask, secrets not readable by others) and git's own argument rules."""
import hashlib
import os
import stat
import subprocess

import pytest

from symphony.errors import UsageError
from tests.invoke_helpers import ROOT, assert_exit, inv


def tree_digest(path):
    return sorted((str(p.relative_to(path)), p.stat().st_mode, hashlib.sha256(p.read_bytes()).hexdigest()
                   if p.is_file() else "") for p in path.rglob("*"))


def refused(res, *needles):
    assert_exit(res, 2, *needles)


def test_config_init_refuses_a_symlink_dangling_or_not(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o700)
    (tmp_path / "to-dir").symlink_to(victim)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    refused(inv("config.init", str(tmp_path / "to-dir"), state_dir=tmp_path), "is a symlink")
    refused(inv("config.init", str(tmp_path / "dangling"), state_dir=tmp_path), "is a symlink")
    assert not (tmp_path / "nowhere").exists() and list(victim.iterdir()) == []
    assert stat.S_IMODE(victim.stat().st_mode) == 0o700


def test_config_init_makes_the_secrets_fragment_private_whatever_the_umask(tmp_path):
    target = tmp_path / "cfg"
    res = subprocess.run(["sh", "-c", 'umask 022 && exec "$@"', "sh", *inv_argv("config.init", str(target))],
                         capture_output=True, text=True, env=inv_env(tmp_path))
    assert res.returncode == 0, res.stderr
    secrets = [p for p in (target / "environments").rglob("*.env") if p.name == "secrets.env"]
    assert secrets and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in secrets)
    others = [p for p in (target / "environments").rglob("*.env") if p.name != "secrets.env"]
    assert others and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in others)  # only secrets change


def inv_argv(*args):
    import sys
    return [sys.executable, "-m", "invoke", *args]


def inv_env(state_dir):
    return dict(os.environ, NO_COLOR="1", SYMPHONY_STATE_DIR=str(state_dir))


def test_config_sync_makes_a_cloned_secrets_fragment_private(tmp_path):
    seed = tmp_path / "seed"
    assert inv("config.init", str(seed), state_dir=tmp_path).returncode == 0
    secrets = next(p for p in (seed / "environments").rglob("secrets.env"))
    os.chmod(secrets, 0o644)  # as a clone with umask 022 writes it
    subprocess.run(["git", "-C", str(seed), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "x",
                    "--allow-empty"], check=True)
    res = subprocess.run(["sh", "-c", 'umask 022 && exec "$@"', "sh",
                          *inv_argv("config.sync", "--path", str(tmp_path / "clone"), "--url", str(seed))],
                         capture_output=True, text=True, env=inv_env(tmp_path))
    assert res.returncode == 0, res.stderr
    cloned = tmp_path / "clone" / secrets.relative_to(seed)
    assert stat.S_IMODE(cloned.stat().st_mode) == 0o600 and "0600" in res.stdout


@pytest.mark.parametrize("url", ["-x", "--upload-pack=touch pwned", " "])
def test_config_sync_refuses_a_url_git_would_read_as_an_option(tmp_path, url):
    res = inv("config.sync", "--path", str(tmp_path / "clone"), "--url", url, state_dir=tmp_path)
    refused(res, "is not a repository URL")
    assert not (tmp_path / "clone").exists() and not (ROOT / "pwned").exists()


def test_config_sync_refuses_a_dangling_symlink_as_the_checkout(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    refused(inv("config.sync", "--path", str(tmp_path / "link"), "--url", str(tmp_path), state_dir=tmp_path),
            "does not exist")
    assert not (tmp_path / "elsewhere").exists()


def test_k8s_export_refuses_an_empty_or_symlinked_output_and_kubectl_tasks_an_empty_directory(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for output in ("", str(tmp_path / "dangling")):
        refused(inv("k8s.export", "--profile", "demo", "--output", output, state_dir=tmp_path))
    assert not (tmp_path / "nowhere").exists()
    for task in ("k8s.validate", "k8s.diff", "k8s.apply"):
        refused(inv(task, "", *(["--dry-run"] if task != "k8s.validate" else []), state_dir=tmp_path),
                "names no directory")


def test_observability_configs_are_not_written_through_a_symlinked_level(tmp_path):
    from symphony.app.observability import render_runtime_configs

    victim = tmp_path / "private"
    victim.mkdir(mode=0o700)
    (victim / "keep").write_text("mine")
    before = tree_digest(victim)
    target = tmp_path / ".observability"
    target.symlink_to(victim)
    with pytest.raises(UsageError, match="is a symlink"):
        render_runtime_configs("sentiric-net", target=target)
    assert tree_digest(victim) == before and stat.S_IMODE(victim.stat().st_mode) == 0o700
    target.unlink()
    target.mkdir()
    (target / "prometheus").symlink_to(victim)  # a level below, too
    with pytest.raises(UsageError, match="is a symlink"):
        render_runtime_configs("sentiric-net", target=target)
    assert tree_digest(victim) == before and stat.S_IMODE(victim.stat().st_mode) == 0o700


def test_a_clone_whose_url_holds_a_token_keeps_git_config_private(tmp_path):
    """git stores the remote's URL, token included, in .git/config; git's own insteadOf sends the
    clone to a local repository, as the helper's reproduction did."""
    seed = tmp_path / "seed"
    assert inv("config.init", str(seed), state_dir=tmp_path).returncode == 0
    url = "https://x-access-token:Canary-git-token@example.invalid/sentiric-config.git"
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "{seed}"]\n\tinsteadOf = {url}\n')
    env = dict(inv_env(tmp_path), GIT_CONFIG_GLOBAL=str(gitconfig))
    res = subprocess.run(["sh", "-c", 'umask 022 && exec "$@"', "sh",
                          *inv_argv("config.sync", "--path", str(tmp_path / "clone"), "--url", url)],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    config = tmp_path / "clone" / ".git" / "config"
    assert "Canary-git-token" in config.read_text() and stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "Canary-git-token" not in res.stdout + res.stderr
