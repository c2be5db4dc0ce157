"""`inv config.*` with real git and local bare repositories as remotes (no network)."""
import subprocess

import pytest

from tests.invoke_helpers import inv

GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@t"]


def git(cwd, *args):
    return subprocess.run(["git", *GIT_ID, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def remote(tmp_path):
    """A bare 'origin' seeded with one commit, and a second clone to push from."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(bare), str(seed)], check=True, capture_output=True)
    (seed / "environments" / "profiles").mkdir(parents=True)
    (seed / "environments" / "profiles" / "demo.env").write_text("A=1\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "seed")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return bare, seed


def push_change(seed, text="A=2\n", msg="upstream change"):
    (seed / "environments" / "profiles" / "demo.env").write_text(text)
    git(seed, "commit", "-qam", msg)
    git(seed, "push", "-q", "origin", "HEAD:main")


def sync(tmp_path, checkout, *extra):
    return inv("config.sync", "--path", str(checkout), *extra, state_dir=tmp_path)


def test_clone_then_fast_forward(tmp_path, remote):
    bare, seed = remote
    checkout = tmp_path / "sentiric-config"
    res = sync(tmp_path, checkout, "--url", str(bare))
    assert res.returncode == 0, res.stderr
    assert (checkout / "environments" / "profiles" / "demo.env").read_text() == "A=1\n"
    push_change(seed)
    res = sync(tmp_path, checkout)
    assert res.returncode == 0 and "fast-forwarded 1 commit" in res.stdout
    assert (checkout / "environments" / "profiles" / "demo.env").read_text() == "A=2\n"


def test_dirty_tree_stops_and_loses_nothing(tmp_path, remote):
    bare, seed = remote
    checkout = tmp_path / "cfg"
    sync(tmp_path, checkout, "--url", str(bare))
    push_change(seed)
    (checkout / "environments" / "profiles" / "demo.env").write_text("A=local edit\n")
    (checkout / "new.env").write_text("B=1\n")
    res = sync(tmp_path, checkout)
    assert res.returncode == 1
    assert ("uncommitted changes" in res.stderr and "environments/profiles/demo.env" in res.stderr
            and "new.env" in res.stderr)
    assert "git stash" in res.stderr and "Traceback" not in res.stderr
    assert (checkout / "environments" / "profiles" / "demo.env").read_text() == "A=local edit\n"
    assert (checkout / "new.env").exists()


def test_diverged_branch_stops_and_keeps_local_commits(tmp_path, remote):
    bare, seed = remote
    checkout = tmp_path / "cfg"
    sync(tmp_path, checkout, "--url", str(bare))
    push_change(seed, msg="remote side")
    (checkout / "local.env").write_text("L=1\n")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "local side")
    local_head = git(checkout, "rev-parse", "HEAD")
    res = sync(tmp_path, checkout)
    assert res.returncode == 1
    assert "diverged" in res.stderr and "local side" in res.stderr and "remote side" in res.stderr
    assert git(checkout, "rev-parse", "HEAD") == local_head


def test_unreachable_remote_warns_and_continues_unless_strict(tmp_path, remote):
    bare, seed = remote
    checkout = tmp_path / "cfg"
    sync(tmp_path, checkout, "--url", str(bare))
    git(checkout, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    res = sync(tmp_path, checkout)
    assert res.returncode == 0 and "remote unreachable, continuing with the local copy" in res.stdout
    res = sync(tmp_path, checkout, "--strict")
    assert res.returncode == 1 and "strict" in res.stderr
    res = sync(tmp_path, tmp_path / "absent", "--url", str(tmp_path / "gone.git"))
    assert res.returncode == 0 and "embedded example config will be used" in res.stdout


def test_ref_pins_a_tag(tmp_path, remote):
    bare, seed = remote
    git(seed, "tag", "v1")
    git(seed, "push", "-q", "origin", "v1")
    push_change(seed)
    checkout = tmp_path / "cfg"
    res = sync(tmp_path, checkout, "--url", str(bare), "--ref", "v1")
    assert res.returncode == 0, res.stderr
    assert (checkout / "environments" / "profiles" / "demo.env").read_text() == "A=1\n"
    res = sync(tmp_path, checkout, "--ref", "no-such-tag")
    assert res.returncode == 1 and "no-such-tag" in res.stderr
    # on a first clone a ref origin does not have leaves no checkout behind (env.* would take it unpinned)
    fresh = tmp_path / "fresh"
    res = sync(tmp_path, fresh, "--url", str(bare), "--ref", "no-such-tag")
    assert res.returncode == 1 and "no-such-tag" in res.stderr and "was removed again" in res.stderr, res.stderr
    assert not fresh.exists() and f"git ls-remote {bare}" in res.stderr


def test_dry_run_prints_clone_and_runs_nothing(tmp_path, remote):
    bare, _ = remote
    res = sync(tmp_path, tmp_path / "cfg", "--url", str(bare), "--dry-run")
    assert res.returncode == 0 and f"git clone -- {bare} {tmp_path / 'cfg'}\n" in res.stdout
    assert not (tmp_path / "cfg").exists()


def test_status_and_init(tmp_path, remote):
    bare, _ = remote
    checkout = tmp_path / "cfg"
    sync(tmp_path, checkout, "--url", str(bare))
    (checkout / "dirty.env").write_text("x=1\n")
    res = inv("config.status", "--path", str(checkout), state_dir=tmp_path)
    assert res.returncode == 0 and "main" in res.stdout and "dirty files : 1" in res.stdout and str(bare) in res.stdout
    # --path only says which checkout to report on: env.* still compile from their own source, and it says so
    assert f"(env.* use this, not {checkout})" in res.stdout.splitlines()[0]
    res = inv("config.status", "--path", str(tmp_path / "nowhere"), state_dir=tmp_path)
    assert res.returncode == 2 and "no config checkout there" in res.stderr  # a script must not read it as clean
    new = tmp_path / "fresh-config"
    res = inv("config.init", str(new), state_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (new / "environments" / "common" / "secrets.env").exists()
    assert git(new, "log", "--oneline").count("\n") == 0
    res = inv("env.generate", "--config", str(new), "--profile", "demo", state_dir=tmp_path)
    assert res.returncode == 0 and "fresh-config" in res.stdout
    assert inv("config.init", str(new), state_dir=tmp_path).returncode == 2


def test_init_that_cannot_commit_leaves_nothing_behind(tmp_path):
    """A git that must sign commits, with no working signer: config.init fails and no half-made
    repo (copied, staged, never committed) blocks the next try."""
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = /bin/false\n")
    target = tmp_path / "cfg"
    res = inv("config.init", str(target), state_dir=tmp_path, env={"GIT_CONFIG_GLOBAL": str(gitconfig)})
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".cfg")] == []
    target = tmp_path / "new" / "parents" / "cfg"  # missing parents are made, as `mkdir -p` would
    res = inv("config.init", str(target), state_dir=tmp_path)  # the next try, with a plain git, works
    assert res.returncode == 0, res.stderr
    assert (target / "environments" / "profiles" / "demo.env").is_file() and (target / ".git").is_dir()
