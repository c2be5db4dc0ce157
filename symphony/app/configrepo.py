"""The sentiric-config management kit: clone or fast-forward (never losing local work), report,
scaffold. What `config.*` and `start` call."""
from __future__ import annotations

from pathlib import Path

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui

# git must never stop to ask for a password or host key in a script.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=10"}


class ConfigBlocked(SymphonyError):
    """Syncing would lose or overwrite local work; nothing was changed."""


def repo_path(settings, path: str | None) -> Path:
    from symphony.app.configsource import SIBLING

    return Path(path or settings.config_path or SIBLING).expanduser().resolve()


def _git(runner, repo: Path, *args, **kw):
    return runner.run(["git", "-C", str(repo), *args], env=GIT_ENV, **kw)


def _q(runner, repo: Path, *args) -> str:
    res = runner.query(["git", "-C", str(repo), *args], env=GIT_ENV, check=False)
    return res.stdout.strip() if res.code == 0 else ""


def dirty_files(runner, repo: Path) -> list[str]:
    return [line for line in _q(runner, repo, "status", "--porcelain").splitlines() if line.strip()]


def sync_config(settings, runner, *, url=None, ref=None, offline=False, strict=False, path=None) -> Path | None:
    """Clone or fast-forward the config repo. Returns its path, or None when absent.

    Unreachable remote: a warning and the local copy is used (unless strict).
    Dirty tree, diverged branch, unknown ref: ConfigBlocked, nothing changed.
    """
    repo = repo_path(settings, path)
    url = url or settings.config_url
    ref = ref or settings.config_ref or None
    if offline:
        if not repo.exists():
            ui.status("warn", f"offline and no config repo at {repo}: the embedded example config will be used")
            return None
        ui.status("info", f"offline: using {repo} as it is")
        return repo
    if not repo.exists():
        res = runner.run(["git", "clone", url, str(repo)], env=GIT_ENV, check=False)
        if res.code != 0:
            return _unreachable(strict, f"cannot clone {url}", repo if repo.exists() else None)
        if runner.dry_run:
            return None
        if ref:
            _checkout_ref(runner, repo, ref)
        ui.status("ok", f"cloned {url} into {repo}" + (f" at {ref}" if ref else ""))
        return repo
    if not (repo / ".git").exists():
        raise UsageError(f"{repo} exists but is not a git checkout", hint="move it away, or point --path elsewhere")
    dirty = dirty_files(runner, repo)
    if dirty:
        raise ConfigBlocked(
            f"{repo} has uncommitted changes; not syncing so nothing is lost:\n  " + "\n  ".join(dirty[:20]),
            hint="commit or `git stash` them, or run with --offline to use the checkout as it is",
        )
    fetched = _git(runner, repo, "fetch", "--prune", "--tags", "origin", check=False)
    if fetched.code != 0:
        return _unreachable(strict, f"cannot fetch from the remote of {repo}", repo)
    if ref:
        _checkout_ref(runner, repo, ref)
        ui.status("ok", f"{repo} pinned at {ref} ({_q(runner, repo, 'rev-parse', '--short', 'HEAD')})")
        return repo
    branch = _q(runner, repo, "symbolic-ref", "--short", "-q", "HEAD")
    if not branch:
        ui.status("warn", f"{repo} is on a detached HEAD ({_q(runner, repo, 'rev-parse', '--short', 'HEAD')}); "
                          "left as is — pass --ref to move it")
        return repo
    upstream = _q(runner, repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
    if not upstream:
        ui.status("warn", f"branch {branch} of {repo} has no upstream; nothing to fast-forward")
        return repo
    ahead, behind = (int(x) for x in _q(runner, repo, "rev-list", "--left-right", "--count", "HEAD...@{u}").split())
    if ahead and behind:
        mine = _q(runner, repo, "log", "--oneline", "@{u}..HEAD").splitlines()
        theirs = _q(runner, repo, "log", "--oneline", "HEAD..@{u}").splitlines()
        raise ConfigBlocked(
            f"{branch} and {upstream} have diverged in {repo}: {ahead} local commit(s), {behind} remote commit(s)\n"
            "  local:  " + "\n          ".join(mine[:10]) + "\n  remote: " + "\n          ".join(theirs[:10]),
            hint=f"rebase your commits (`git -C {repo} rebase {upstream}`) and push them; "
                 "nothing was changed, and Symphony never discards commits",
        )
    if behind:
        _git(runner, repo, "merge", "--ff-only", "@{u}")
        ui.status("ok", f"{repo}: fast-forwarded {behind} commit(s) to {_q(runner, repo, 'rev-parse', '--short', 'HEAD')}")
    elif ahead:
        ui.status("warn", f"{repo}: {ahead} local commit(s) not pushed to {upstream}")
    else:
        ui.status("ok", f"{repo} is up to date with {upstream}")
    return repo


def _checkout_ref(runner, repo: Path, ref: str) -> None:
    if ref.startswith("-"):
        raise UsageError(f"--ref {ref!r} is not a ref")
    if not _q(runner, repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"):
        raise ConfigBlocked(f"ref {ref!r} is not a tag, branch or commit of {repo}",
                            hint="check `git -C <repo> tag` / `git log`, or fetch when the remote is reachable")
    _git(runner, repo, "-c", "advice.detachedHead=false", "checkout", "--detach", ref)


def _unreachable(strict: bool, what: str, repo: Path | None):
    if strict:
        raise SymphonyError(f"{what} (strict mode)", hint="check the network/VPN, or drop --strict to use the local copy")
    if repo:
        ui.status("warn", f"{what}: remote unreachable, continuing with the local copy at {repo}")
    else:
        ui.status("warn", f"{what}: remote unreachable and no local copy; the embedded example config will be used")
    return repo


def report_status(settings, path=None):
    """Config repo: path, remote, branch/ref, commit, dirty files, ahead/behind."""
    from symphony.app.configsource import resolve_config_source
    from symphony.infra.runner import Runner

    runner = Runner(echo=False)
    repo = repo_path(settings, path)
    used = resolve_config_source(configured=settings.config_path or (str(repo) if path else None))
    ui.say(f"source used : {used.describe()}")
    if not (repo / ".git").exists():
        ui.status("warn", f"no config checkout at {repo}", "run `inv config.sync` (or `inv config.init PATH`)")
        return
    branch = _q(runner, repo, "symbolic-ref", "--short", "-q", "HEAD") or "(detached)"
    describe = _q(runner, repo, "describe", "--tags", "--always", "--dirty")
    ui.say(f"path        : {repo}")
    ui.say(f"remote      : {_q(runner, repo, 'remote', 'get-url', 'origin') or '(none)'}")
    ui.say(f"branch/ref  : {branch} ({describe})")
    ui.say(f"commit      : {_q(runner, repo, 'log', '-1', '--format=%h %s (%cr)')}")
    counts = _q(runner, repo, "rev-list", "--left-right", "--count", "HEAD...@{u}")
    if counts:
        ahead, behind = counts.split()
        ui.say(f"ahead/behind: {ahead}/{behind} (as of the last fetch)")
    else:
        ui.say("ahead/behind: no upstream")
    dirty = dirty_files(runner, repo)
    ui.say(f"dirty files : {len(dirty)}")
    for line in dirty:
        ui.say(f"  {line}")


def scaffold(runner, path):
    """A new config repo from the embedded default (git init + first commit)."""
    import shutil

    from symphony.infra.state import ENV_DIR

    target = Path(path).expanduser().resolve()
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} exists and is not empty; refusing to write into it", hint="choose a new directory")
    if runner.dry_run:
        ui.say(f"+ copy {ENV_DIR} -> {target}")
    else:
        shutil.copytree(ENV_DIR, target, dirs_exist_ok=True)
    runner.run(["git", "-C", str(target), "init", "-q"])
    runner.run(["git", "-C", str(target), "add", "-A"])
    runner.run(["git", "-C", str(target), "-c", "user.name=Symphony", "-c", "user.email=symphony@localhost",
                "commit", "-q", "-m", "Scaffold sentiric-config from Symphony's embedded example"])
    ui.status("ok", f"created {target}: replace the example secrets in environments/common/secrets.env, "
                    "then `git remote add origin <url>` and push")
