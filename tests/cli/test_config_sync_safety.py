"""config.sync never loses local work and either does what was asked or fails non-zero.

Every scenario uses real git with a bare repository in tmp as `origin` (no network)."""
import subprocess

import pytest

from tests.invoke_helpers import assert_exit, inv

GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@t"]
REAL_PASSWORD = "real-local-password-8c1f"


def git(cwd, *args, check=True):
    res = subprocess.run(["git", *GIT_ID, *args], cwd=cwd, capture_output=True, text=True)
    if check and res.returncode:
        raise AssertionError(res.stderr)
    return res.stdout.strip()


def commit_file(repo, rel, text, msg):
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", msg)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def world(tmp_path):
    """origin (bare), seed (a clone to push from), cfg (Symphony's checkout, cloned by config.sync)."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    commit_file(seed, "environments/profiles/demo.env", "A=1\n", "seed")
    commit_file(seed, ".gitignore", "environments/common/secrets.env\ncache/\n", "ignore local secrets")
    git(seed, "push", "-q", "origin", "HEAD:main")
    cfg = tmp_path / "cfg"
    res = sync(tmp_path, cfg, "--url", str(bare))
    assert res.returncode == 0, res.stderr
    return tmp_path, bare, seed, cfg


def sync(tmp_path, checkout, *extra, env=None):
    return inv("config.sync", "--path", str(checkout), *extra, state_dir=tmp_path, env=env)


def push(seed, rel, text, msg="upstream"):
    sha = commit_file(seed, rel, text, msg)
    git(seed, "push", "-q", "origin", "HEAD:main")
    return sha


def assert_blocked(res, *needles):
    assert_exit(res, 1, *needles)


def test_an_ignored_local_file_upstream_adds_is_not_overwritten(world):
    tmp_path, bare, seed, cfg = world
    local = cfg / "environments" / "common" / "secrets.env"
    local.parent.mkdir(parents=True)
    local.write_text(f"DB_PASSWORD={REAL_PASSWORD}\n")
    git(seed, "rm", "-q", "--cached", ".gitignore")
    (seed / ".gitignore").write_text("cache/\n")
    push(seed, "environments/common/secrets.env", "DB_PASSWORD=changeme\n", "add example secrets")
    head = git(cfg, "rev-parse", "HEAD")
    res = sync(tmp_path, cfg)
    assert_blocked(res, "would overwrite 1 local file(s) that git does not track", "environments/common/secrets.env")
    assert REAL_PASSWORD not in res.stdout + res.stderr
    assert local.read_text() == f"DB_PASSWORD={REAL_PASSWORD}\n" and git(cfg, "rev-parse", "HEAD") == head


def test_an_untracked_local_file_in_the_way_blocks_and_others_are_kept(world):
    tmp_path, bare, seed, cfg = world
    (cfg / "notes.txt").write_text("mine\n")  # not in the way
    (cfg / "environments" / "profiles" / "core.env").write_text("MINE=1\n")  # in the way
    push(seed, "environments/profiles/core.env", "THEIRS=1\n")
    assert_blocked(sync(tmp_path, cfg), "environments/profiles/core.env")
    assert (cfg / "environments" / "profiles" / "core.env").read_text() == "MINE=1\n"
    (cfg / "environments" / "profiles" / "core.env").unlink()
    res = sync(tmp_path, cfg)
    assert res.returncode == 0 and "fast-forwarded 1 commit" in res.stdout
    assert (cfg / "notes.txt").read_text() == "mine\n"


def test_an_ignored_directory_where_upstream_adds_a_file_is_kept(world):
    tmp_path, bare, seed, cfg = world
    (cfg / "cache").mkdir()
    (cfg / "cache" / "state").write_text("local cache\n")
    git(seed, "rm", "-q", "--cached", ".gitignore")
    (seed / ".gitignore").write_text("")
    push(seed, "cache", "now a file\n")
    assert_blocked(sync(tmp_path, cfg), "cache/state")
    assert (cfg / "cache" / "state").read_text() == "local cache\n"


def test_a_local_file_where_upstream_needs_a_directory_blocks(world):
    tmp_path, bare, seed, cfg = world
    (cfg / "tls").write_text("local file\n")
    push(seed, "tls/certs/README.txt", "certs\n")
    assert_blocked(sync(tmp_path, cfg), "tls")
    assert (cfg / "tls").read_text() == "local file\n"


def test_changed_tracked_files_block_with_a_hint_that_keeps_untracked_ones(world):
    tmp_path, bare, seed, cfg = world
    push(seed, "environments/profiles/demo.env", "A=2\n")
    (cfg / "environments" / "profiles" / "demo.env").write_text("A=local\n")
    res = sync(tmp_path, cfg)
    assert_blocked(res, "uncommitted changes", "stash push --include-untracked")
    assert (cfg / "environments" / "profiles" / "demo.env").read_text() == "A=local\n"


def test_ref_keeps_commits_made_on_a_detached_head_on_a_named_branch(world):
    tmp_path, bare, seed, cfg = world
    git(seed, "tag", "v1")
    git(seed, "push", "-q", "origin", "v1")
    assert sync(tmp_path, cfg, "--ref", "v1").returncode == 0
    mine = commit_file(cfg, "environments/profiles/demo.env", "A=mine\n", "work on a detached head")
    push(seed, "environments/profiles/demo.env", "A=2\n")
    git(seed, "tag", "v2")
    git(seed, "push", "-q", "origin", "v2")
    res = sync(tmp_path, cfg, "--ref", "v2")
    assert res.returncode == 0, res.stderr
    assert git(cfg, "rev-parse", "HEAD") == git(seed, "rev-parse", "v2^{commit}")
    saved = f"symphony/saved-{mine[:12]}"
    assert f"kept on branch {saved}" in res.stdout
    assert git(cfg, "rev-parse", saved) == mine


def test_ref_refuses_while_a_rebase_is_in_progress(world):
    tmp_path, bare, seed, cfg = world
    git(cfg, "checkout", "-q", "-b", "work")
    commit_file(cfg, "environments/profiles/demo.env", "A=mine\n", "mine")
    push(seed, "environments/profiles/demo.env", "A=theirs\n")
    git(cfg, "fetch", "-q", "origin")
    git(cfg, "rebase", "origin/main", check=False)  # conflicts: stops mid-rebase
    assert (cfg / ".git" / "rebase-merge").exists() or (cfg / ".git" / "rebase-apply").exists()
    git(seed, "tag", "v9")
    git(seed, "push", "-q", "origin", "v9")
    res = sync(tmp_path, cfg, "--ref", "v9")
    assert_blocked(res, "a rebase")
    assert (cfg / ".git" / "rebase-merge").exists() or (cfg / ".git" / "rebase-apply").exists()


def test_ref_lands_on_origins_branch_not_a_stale_local_one(world):
    tmp_path, bare, seed, cfg = world
    push(seed, "environments/profiles/demo.env", "A=2\n")
    tip = push(seed, "environments/profiles/demo.env", "A=3\n")
    res = sync(tmp_path, cfg, "--ref", "main")
    assert res.returncode == 0, res.stderr
    assert git(cfg, "rev-parse", "HEAD") == tip and "branch on origin" in res.stdout
    assert (cfg / "environments" / "profiles" / "demo.env").read_text() == "A=3\n"


def test_ref_follows_a_moved_tag_to_where_origin_has_it(world):
    tmp_path, bare, seed, cfg = world
    git(seed, "tag", "v1")
    git(seed, "push", "-q", "origin", "v1")
    assert sync(tmp_path, cfg, "--ref", "v1").returncode == 0
    moved = push(seed, "environments/profiles/demo.env", "A=moved\n")
    git(seed, "tag", "-f", "v1")
    git(seed, "push", "-q", "-f", "origin", "v1")
    res = sync(tmp_path, cfg, "--ref", "v1")
    assert res.returncode == 0, res.stderr
    assert git(cfg, "rev-parse", "HEAD") == moved


def test_ref_with_an_annotated_tag_and_a_commit_id(world):
    tmp_path, bare, seed, cfg = world
    first = git(seed, "rev-parse", "HEAD")
    git(seed, "tag", "-a", "-m", "release", "r1")
    git(seed, "push", "-q", "origin", "r1")
    push(seed, "environments/profiles/demo.env", "A=2\n")
    assert sync(tmp_path, cfg, "--ref", "r1").returncode == 0
    assert git(cfg, "rev-parse", "HEAD") == first
    res = sync(tmp_path, cfg, "--ref", first[:10])
    assert res.returncode == 0 and git(cfg, "rev-parse", "HEAD") == first


@pytest.mark.parametrize("breakage", ["unreachable", "no-origin", "unknown-ref"])
def test_ref_that_cannot_be_honoured_fails_and_changes_nothing(world, breakage):
    tmp_path, bare, seed, cfg = world
    git(seed, "tag", "v5")
    git(seed, "push", "-q", "origin", "v5")
    head = git(cfg, "rev-parse", "HEAD")
    ref = "v5"
    if breakage == "unreachable":
        git(cfg, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    elif breakage == "no-origin":
        git(cfg, "remote", "remove", "origin")
    else:
        ref = "v404"
    res = sync(tmp_path, cfg, "--ref", ref)
    assert res.returncode != 0 and "Traceback" not in res.stderr and ref in res.stderr
    assert git(cfg, "rev-parse", "HEAD") == head
    # the same through Invoke's config (config_ref), as `inv start` uses it
    res = sync(tmp_path, cfg, env={"INVOKE_SYMPHONY_CONFIG_REF": ref})
    assert res.returncode != 0 and git(cfg, "rev-parse", "HEAD") == head


def test_ambiguous_ref_is_a_usage_error(world):
    tmp_path, bare, seed, cfg = world
    git(seed, "tag", "main")
    git(seed, "push", "-q", "origin", "refs/tags/main")
    res = sync(tmp_path, cfg, "--ref", "main")
    assert res.returncode == 2 and "both a tag and a branch" in res.stderr


def test_a_clone_of_an_empty_remote_gets_the_first_push(tmp_path):
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    cfg = tmp_path / "cfg"
    res = sync(tmp_path, cfg, "--url", str(bare))
    assert res.returncode == 0, res.stderr
    res = sync(tmp_path, cfg)
    assert res.returncode == 0 and "Traceback" not in res.stderr and "no commits yet" in res.stdout
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    first = push(seed, "environments/profiles/demo.env", "A=1\n", "first")
    res = sync(tmp_path, cfg)
    assert res.returncode == 0, res.stderr
    assert git(cfg, "rev-parse", "HEAD") == first


def test_an_unborn_branch_with_an_upstream_and_a_file_in_the_way(tmp_path):
    bare = tmp_path / "o.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    first = push(seed, "environments/profiles/demo.env", "A=1\n", "first")
    cfg = tmp_path / "cfg"
    git(tmp_path, "init", "-q", "-b", "main", str(cfg))
    git(cfg, "remote", "add", "origin", str(bare))
    git(cfg, "config", "branch.main.remote", "origin")
    git(cfg, "config", "branch.main.merge", "refs/heads/main")
    (cfg / "environments" / "profiles").mkdir(parents=True)
    (cfg / "environments" / "profiles" / "demo.env").write_text("A=mine\n")
    assert_blocked(sync(tmp_path, cfg), "environments/profiles/demo.env")
    assert (cfg / "environments" / "profiles" / "demo.env").read_text() == "A=mine\n"
    (cfg / "environments" / "profiles" / "demo.env").unlink()
    res = sync(tmp_path, cfg)
    assert res.returncode == 0, res.stderr
    assert git(cfg, "rev-parse", "HEAD") == first


def test_init_dry_run_creates_nothing_and_says_so(tmp_path):
    target = tmp_path / "new-config"
    res = inv("config.init", str(target), "--dry-run", state_dir=tmp_path)
    assert res.returncode == 0 and "would create" in res.stdout and "ok    created" not in res.stdout
    assert not target.exists()


def test_strict_fails_where_nothing_could_be_updated(world):
    tmp_path, bare, seed, cfg = world
    git(cfg, "checkout", "-q", "--detach")
    assert sync(tmp_path, cfg).returncode == 0
    res = sync(tmp_path, cfg, "--strict")
    assert res.returncode == 1 and "detached HEAD" in res.stderr
    git(cfg, "checkout", "-q", "-b", "lonely")
    res = sync(tmp_path, cfg, "--strict")
    assert res.returncode == 1 and "has no upstream" in res.stderr
