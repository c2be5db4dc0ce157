"""The sentiric-config management kit: clone or fast-forward (never losing local work), report,
scaffold. What `config.*` and `start` call."""
from __future__ import annotations

import os
from pathlib import Path

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui

# git must never stop to ask for a password or host key in a script.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=10"}


class ConfigBlocked(SymphonyError):
    """Syncing would lose or overwrite local work; nothing was changed."""


def repo_path(settings, path: str | None) -> Path:
    """The config repo's path, resolved; a symlink that points nowhere is refused (a clone through
    it would create the checkout wherever it points)."""
    from symphony.app.configsource import SIBLING

    given = Path(path or settings.config_path or SIBLING).expanduser()
    if given.is_symlink() and not given.exists():
        raise UsageError(f"{given} is a symlink to {os.path.realpath(given)}, which does not exist; Symphony does "
                         "not create a checkout through it", hint="remove the link, or give the real path")
    return given.resolve()


def _git(runner, repo: Path, *args, **kw):
    return runner.run(["git", "-C", str(repo), *args], env=GIT_ENV, **kw)


def _q(runner, repo: Path, *args) -> str:
    res = runner.query(["git", "-C", str(repo), *args], env=GIT_ENV, check=False)
    return res.stdout.strip() if res.code == 0 else ""


def dirty_files(runner, repo: Path) -> list[str]:
    return [line for line in _q(runner, repo, "status", "--porcelain").splitlines() if line.strip()]


def _lines_z(runner, repo: Path, *args) -> list[str]:
    res = runner.query(["git", "-C", str(repo), *args], env=GIT_ENV, check=False)
    return [x for x in res.stdout.split("\0") if x] if res.code == 0 else []


def _commit(runner, repo: Path, rev: str) -> str:
    """The full sha `rev` names, or "" (an unborn HEAD, an unknown name)."""
    return _q(runner, repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")


IN_PROGRESS = {  # git-path -> what is going on
    "rebase-merge": "a rebase", "rebase-apply": "a rebase or `git am`", "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick", "REVERT_HEAD": "a revert", "BISECT_LOG": "a bisect",
}


def operation_in_progress(runner, repo: Path) -> str | None:
    for name, what in IN_PROGRESS.items():
        rel = _q(runner, repo, "rev-parse", "--git-path", name)
        if rel and (repo / rel if not Path(rel).is_absolute() else Path(rel)).exists():
            return what
    return None


def check_local_work(runner, repo: Path) -> None:
    """Refuse (ConfigBlocked) while an operation is in progress or tracked files are changed."""
    busy = operation_in_progress(runner, repo)
    if busy:
        raise ConfigBlocked(f"{busy} is in progress in {repo}; not syncing so nothing of it is lost",
                            hint=f"finish it or abort it (`git -C {repo} status` says how), then sync again")
    dirty = dirty_files(runner, repo)
    changed = [line for line in dirty if not line.startswith("??")]
    if changed:
        raise ConfigBlocked(
            f"{repo} has uncommitted changes; not syncing so nothing is lost:\n  " + "\n  ".join(dirty[:20])
            + (f"\n  … and {len(dirty) - 20} more" if len(dirty) > 20 else ""),
            hint=f"commit them, or set them aside with `git -C {repo} stash push --include-untracked` "
                 "(`git stash pop` brings them back), or run with --offline to use the checkout as it is",
        )


def collisions(runner, repo: Path, head: str | None, target: str) -> list[str]:
    """Paths a move from `head` to `target` would write where the work tree holds something git
    does not track (untracked or ignored): git replaces ignored files without asking."""
    if head:
        written = _lines_z(runner, repo, "diff", "--name-only", "-z", "--no-renames", head, target)
    else:
        written = _lines_z(runner, repo, "ls-tree", "-r", "--name-only", "-z", target)
    tracked = set(_lines_z(runner, repo, "ls-files", "-z"))
    found: list[str] = []
    for rel in written:
        parts = Path(rel).parts
        for depth in range(1, len(parts)):  # a file where the new path needs a directory
            prefix = str(Path(*parts[:depth]))
            disk = repo / prefix
            if (disk.is_symlink() or (disk.exists() and not disk.is_dir())) and prefix not in tracked:
                found.append(prefix)
                break
        disk = repo / rel
        if disk.is_symlink() or disk.is_file():
            if rel not in tracked:
                found.append(rel)
        elif disk.is_dir():  # a directory where the new path is a file: anything untracked in it is lost
            for sub in sorted(disk.rglob("*")):
                srel = str(sub.relative_to(repo))
                if not sub.is_dir() and srel not in tracked:
                    found.append(srel)
        elif disk.exists():
            found.append(rel)
    return sorted(set(found))


def refuse_collisions(runner, repo: Path, head: str | None, target: str, what: str) -> None:
    found = collisions(runner, repo, head, target)
    if found:
        raise ConfigBlocked(
            f"{what} would overwrite {len(found)} local file(s) that git does not track (ignored or untracked) "
            f"in {repo}; nothing was changed:\n  " + "\n  ".join(found[:20]),
            hint="move them out of the way (e.g. `mv FILE FILE.local`), sync, then bring your values back; "
                 "git would have replaced them without asking",
        )


def preserve_detached_commits(runner, repo: Path, head: str, target: str) -> str | None:
    """Commits reachable only from a detached HEAD get a branch before HEAD moves; its name."""
    only_here = _q(runner, repo, "rev-list", "--count", head, "--not", target, "--branches", "--tags", "--remotes")
    if not only_here or only_here == "0":
        return None
    base = f"symphony/saved-{head[:12]}"
    name, n = base, 1
    while _commit(runner, repo, f"refs/heads/{name}"):
        n += 1
        name = f"{base}-{n}"
    _git(runner, repo, "branch", name, head)
    ui.status("warn", f"{only_here} commit(s) on the detached HEAD were on no branch: kept on branch {name}")
    return name


def sync_config(settings, runner, *, url=None, ref=None, offline=False, strict=False, path=None) -> Path | None:
    """`_sync`, then every secrets fragment of the checkout is made private (0600), as git wrote it with the umask's."""
    repo = _sync(settings, runner, url=url, ref=ref, offline=offline, strict=strict, path=path)
    if repo is not None and not runner.dry_run:
        for changed in private_secrets_fragments(repo):
            ui.status("info", f"{changed}: made readable by its owner only (0600): it holds secrets")
        if private_git_config(repo):
            ui.status("info", f"{repo / '.git' / 'config'}: made readable by its owner only (0600): the remote's URL "
                              "holds a credential (git keeps it there)")
    return repo


def private_git_config(repo: Path) -> bool:
    """git keeps a clone's URL, with the token or password it holds, in .git/config (mode 0644
    under umask 022): made 0600 when it holds one. True when changed."""
    from symphony.core.secrets import url_credential_spans

    config = repo / ".git" / "config"
    if not config.is_file() or config.is_symlink():
        return False
    return bool(url_credential_spans(config.read_text(encoding="utf-8", errors="replace"))) and _owner_only(config)


def _owner_only(path: Path) -> bool:
    """Take group's and others' access away from a regular file (never through a symlink); True when
    that changed its mode."""
    import stat

    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o077:
        return False
    os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    return True


def _sync(settings, runner, *, url=None, ref=None, offline=False, strict=False, path=None) -> Path | None:
    """Clone or fast-forward the config repo, or pin it at `ref`. Returns its path, or None when absent.

    Never loses work: tracked changes, an operation in progress, a diverged branch, or a local
    file git does not track where the update would write one block (ConfigBlocked, exit 1, nothing
    changed); commits only a detached HEAD holds get a branch before HEAD moves. `ref` lands
    exactly on what origin has under that name (fetched now), or fails saying why. Without `ref`
    an unreachable remote is a warning and the local copy is used (unless strict).
    """
    repo = repo_path(settings, path)
    url = url or settings.config_url
    ref = ref or settings.config_ref or None
    if ref is not None:
        _validate_ref(ref)
    if offline:
        if not repo.exists():
            if ref:
                raise SymphonyError(f"offline and no config repo at {repo}: cannot pin it at {ref}",
                                    hint="run `inv config.sync` with the network")
            ui.status("warn", f"offline and no config repo at {repo}: the embedded example config will be used")
            return None
        if ref:
            _offline_pin_check(runner, repo, ref)
        ui.status("info", f"offline: using {repo} as it is")
        return repo
    if not repo.exists() and not repo.is_symlink():
        return _clone(runner, repo, url, ref, strict)
    if not (repo / ".git").exists():
        raise UsageError(f"{repo} exists but is not a git checkout", hint="move it away, or point --path elsewhere")
    check_local_work(runner, repo)
    if not _q(runner, repo, "remote", "get-url", "origin"):
        if ref:
            raise SymphonyError(f"cannot pin {repo} at {ref}: it has no remote `origin` to fetch {ref} from",
                                hint=f"`git -C {repo} remote add origin URL`, or check out {ref} yourself "
                                     "and use --offline")
        if strict:
            raise SymphonyError(f"{repo} has no remote `origin` to fetch from (strict mode)",
                                hint=f"`git -C {repo} remote add origin URL`, or drop --strict")
        ui.status("warn", f"{repo} has no remote `origin`: nothing to fetch, using it as it is")
        return repo
    if ref:
        _pin(runner, repo, ref)
        return repo
    fetched = _git(runner, repo, "fetch", "--prune", "origin", check=False, capture=True)
    if fetched.code != 0:
        return _unreachable(strict, f"cannot fetch from the remote of {repo}", repo, fetched.stderr)
    if runner.dry_run:
        return repo
    return _fast_forward(runner, repo, strict)


def _validate_ref(ref: str) -> None:
    if not ref or ref.startswith("-") or any(ch.isspace() or ord(ch) < 32 or ch in "~^:?*[\\" for ch in ref) \
            or ".." in ref or "@{" in ref:
        raise UsageError(f"--ref {ref!r} is not a ref name", hint="a tag, a branch or a commit id, e.g. v1.4.0")


def _clone(runner, repo: Path, url: str, ref: str | None, strict: bool) -> Path | None:
    if url.startswith("-") or not url.strip():
        raise UsageError(f"--url {url!r} is not a repository URL (git would read it as an option)",
                         hint="e.g. git@github.com:sentiric/sentiric-config.git, or set symphony.config_url")
    res = runner.run(["git", "clone", "--", url, str(repo)], env=GIT_ENV, check=False)
    if res.code != 0:
        if ref:
            raise SymphonyError(f"cannot clone {url}, so {repo} cannot be pinned at {ref}",
                                hint="check the URL and the network/VPN")
        return _unreachable(strict, f"cannot clone {url}", repo if repo.exists() else None)
    if runner.dry_run:
        return None
    if ref:
        try:
            _pin(runner, repo, ref)
        except SymphonyError as exc:  # the clone is ours, a moment old: leave no unpinned checkout behind
            _remove_fresh_clone(repo)
            exc.message = exc.message.replace("nothing was changed", f"the new clone at {repo} was removed again")
            exc.hint = exc.hint.replace(f"git -C {repo} ls-remote origin", f"git ls-remote {url}")
            raise
    else:
        ui.status("ok", f"cloned {url} into {repo}")
    return repo


def _remove_fresh_clone(repo: Path) -> None:
    """Remove the checkout `git clone` has just made (only a real directory holding .git)."""
    import shutil

    if repo.is_dir() and not repo.is_symlink() and (repo / ".git").is_dir():
        shutil.rmtree(repo)


def _pin(runner, repo: Path, ref: str) -> None:
    """Move HEAD (detached) exactly to what origin has under `ref`, fetched now."""
    listing = runner.query(["git", "-C", str(repo), "ls-remote", "origin"], env=GIT_ENV, check=False)
    if listing.code != 0:
        detail = (listing.stderr.strip().splitlines() or [""])[-1]
        raise SymphonyError(f"cannot pin {repo} at {ref}: the remote cannot be reached; nothing was changed"
                            + (f"\n  git: {detail}" if detail else ""), hint="check the network/VPN, then sync again")
    remote = {}
    for line in listing.stdout.splitlines():
        sha, _, name = line.partition("\t")
        remote[name] = sha
    names = [ref] if ref.startswith("refs/") else [f"refs/tags/{ref}", f"refs/heads/{ref}"]
    found = [n for n in names if n in remote]
    if len(found) > 1:
        raise UsageError(f"{ref!r} is both a tag and a branch on origin",
                         hint=f"pass refs/tags/{ref} or refs/heads/{ref}")
    fetched = _git(runner, repo, "fetch", "--prune", "origin", check=False, capture=True)
    if fetched.code != 0:
        raise SymphonyError(f"cannot pin {repo} at {ref}: fetching from origin failed; nothing was changed",
                            hint="check the network/VPN, then sync again")
    if found:
        name = found[0]
        want = remote.get(f"{name}^{{}}", remote[name])  # an annotated tag: the commit it points to
        got = _git(runner, repo, "fetch", "--no-tags", "origin", name, check=False, capture=True)
        if runner.dry_run:
            ui.say(f"+ git -C {repo} checkout --detach {want[:12]}  (what origin has as {ref})")
            return
        if got.code != 0 or _commit(runner, repo, "FETCH_HEAD") != want:
            raise SymphonyError(f"cannot pin {repo} at {ref}: fetching {name} from origin failed; nothing was changed",
                                hint="sync again; if it persists, check the remote")
        kind = "tag" if name.startswith("refs/tags/") else "branch" if name.startswith("refs/heads/") else name
        label = f"{ref} ({kind} on origin)"
    else:
        want = _commit(runner, repo, ref) if all(c in "0123456789abcdefABCDEF" for c in ref) and len(ref) >= 4 else ""
        on_remote = want and _q(runner, repo, "for-each-ref", "--contains", want, "--count=1", "refs/remotes/origin",
                                "refs/tags")
        if not on_remote:
            raise ConfigBlocked(f"{ref!r} is not a tag, branch or commit of origin (as of this fetch); "
                                "nothing was changed",
                                hint=f"`git -C {repo} ls-remote origin` lists what origin has")
        label = f"commit {want[:12]}"
        if runner.dry_run:
            ui.say(f"+ git -C {repo} checkout --detach {want[:12]}")
            return
    head = _commit(runner, repo, "HEAD") or None
    attached = bool(_q(runner, repo, "symbolic-ref", "-q", "HEAD"))
    if head == want and not attached:
        ui.status("ok", f"{repo} is at {label}: {want[:12]}")
        return
    refuse_collisions(runner, repo, head, want, f"checking out {ref}")
    if head and not attached:
        preserve_detached_commits(runner, repo, head, want)
    _git(runner, repo, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", want)
    now = _commit(runner, repo, "HEAD")
    if now != want:
        raise SymphonyError(f"{repo} did not land on {ref} ({want[:12]}); it is at {now[:12] or 'nothing'}",
                            hint=f"`git -C {repo} status` shows why")
    ui.status("ok", f"{repo} pinned at {label}: {want[:12]}")


def _offline_pin_check(runner, repo: Path, ref: str) -> None:
    head = _commit(runner, repo, "HEAD")
    want = _commit(runner, repo, f"refs/tags/{ref}") or _commit(runner, repo, f"refs/remotes/origin/{ref}") \
        or (_commit(runner, repo, ref) if all(c in "0123456789abcdefABCDEF" for c in ref) else "")
    if not want or head != want:
        raise SymphonyError(f"offline: {repo} is not at {ref} and cannot fetch it",
                            hint="sync with the network, or drop --ref/config_ref to use the checkout as it is")


def _fast_forward(runner, repo: Path, strict: bool = False) -> Path:
    head = _commit(runner, repo, "HEAD") or None
    branch = _q(runner, repo, "symbolic-ref", "--short", "-q", "HEAD")
    if not branch:
        what = f"{repo} is on a detached HEAD ({(head or '')[:12]}); left as is — pass --ref to move it"
        if strict:
            raise SymphonyError(f"{what} (strict mode)", hint="pass --ref, or check out a branch")
        ui.status("warn", what)
        return repo
    upstream = _q(runner, repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
    target = _commit(runner, repo, "@{u}") if upstream else ""
    if not upstream or not target:
        if head is None:
            what = f"{repo}: branch {branch} has no commits yet and nothing to take from its upstream"
        else:
            what = f"branch {branch} of {repo} has no upstream; nothing to fast-forward"
        if strict:
            raise SymphonyError(f"{what} (strict mode)",
                                hint=f"`git -C {repo} branch --set-upstream-to origin/{branch}`")
        ui.status("warn", what)
        return repo
    if head is None:  # an unborn branch (e.g. a clone of a then-empty remote) whose upstream now has commits
        refuse_collisions(runner, repo, None, target, f"checking out {upstream}")
        _git(runner, repo, "merge", "--ff-only", "--quiet", target)
        ui.status("ok", f"{repo}: checked out {upstream} at {target[:12]} (the branch had no commits yet)")
        return repo
    counts = _q(runner, repo, "rev-list", "--left-right", "--count", f"{head}...{target}").split()
    ahead, behind = (int(x) for x in counts) if len(counts) == 2 else (0, 0)
    if ahead and behind:
        mine = _q(runner, repo, "log", "--oneline", f"{target}..{head}").splitlines()
        theirs = _q(runner, repo, "log", "--oneline", f"{head}..{target}").splitlines()
        raise ConfigBlocked(
            f"{branch} and {upstream} have diverged in {repo}: {ahead} local commit(s), {behind} remote commit(s)\n"
            "  local:  " + "\n          ".join(mine[:10]) + "\n  remote: " + "\n          ".join(theirs[:10]),
            hint=f"rebase your commits (`git -C {repo} rebase {upstream}`) and push them; "
                 "nothing was changed, and Symphony never discards commits",
        )
    if behind:
        refuse_collisions(runner, repo, head, target, f"fast-forwarding to {upstream}")
        _git(runner, repo, "merge", "--ff-only", "--quiet", target)
        if _commit(runner, repo, "HEAD") != target:
            raise SymphonyError(f"{repo} did not fast-forward to {upstream}", hint=f"`git -C {repo} status` shows why")
        ui.status("ok", f"{repo}: fast-forwarded {behind} commit(s) to {target[:12]}")
    elif ahead:
        ui.status("warn", f"{repo}: {ahead} local commit(s) not pushed to {upstream}")
    else:
        ui.status("ok", f"{repo} is up to date with {upstream}")
    return repo


def _unreachable(strict: bool, what: str, repo: Path | None, detail: str = ""):
    line = (detail.strip().splitlines() or [""])[-1]
    if strict:
        raise SymphonyError(f"{what} (strict mode)" + (f"\n  git: {line}" if line else ""),
                            hint="check the network/VPN, or drop --strict to use the local copy")
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
    used = resolve_config_source(configured=settings.config_path)  # what env.* compile from (not --path)
    elsewhere = "" if used.path == repo.expanduser().resolve() else f" (env.* use this, not {repo})"
    ui.say(f"source used : {used.describe()}{elsewhere}")
    if not (repo / ".git").exists():
        if path:  # the path asked about is none: a script must not read this as a clean checkout
            raise UsageError(f"--path {path}: no config checkout there",
                             hint="run `inv config.sync --path PATH` (or `inv config.init PATH`), or name the checkout")
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
    """A new config repo from the embedded default (git init + first commit), made beside the
    target and moved into place at the end: a failure (a git that must sign commits, a full disk)
    leaves nothing half-made behind."""
    import errno
    import shutil
    import tempfile

    from symphony.infra.files import directory_path
    from symphony.infra.state import ENV_DIR

    target = directory_path(Path(path).expanduser(), "config repo directory").resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} exists and is not empty; refusing to write into it", hint="choose a new directory")
    if runner.dry_run:
        ui.say(f"+ copy {ENV_DIR} -> {target}")
        work = target
    else:
        if target.parent.exists() and not target.parent.is_dir():  # named as the target, as an OSError on it is
            raise NotADirectoryError(errno.ENOTDIR, "its parent is not a directory", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)  # the path the user named, as `mkdir -p` would
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        if not runner.dry_run:
            shutil.copytree(ENV_DIR, work, dirs_exist_ok=True)
            private_secrets_fragments(work)
        runner.run(["git", "-C", str(work), "init", "-q"])
        runner.run(["git", "-C", str(work), "add", "-A"])
        runner.run(["git", "-C", str(work), "-c", "user.name=Symphony", "-c", "user.email=symphony@localhost",
                    "commit", "-q", "-m", "Scaffold sentiric-config from Symphony's embedded example"])
        if not runner.dry_run:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(work, 0o777 & ~umask)  # mkdtemp made it 0700; a directory you create is not
            os.rename(work, target)  # onto a missing or empty directory
    except BaseException:
        if work != target:
            shutil.rmtree(work, ignore_errors=True)
        raise
    if runner.dry_run:
        ui.status("info", f"dry run: would create {target} (nothing was created)")
        return
    ui.status("ok", f"created {target}: replace the example secrets in environments/common/secrets.env, "
                    "then `git remote add origin <url>` and push")


def private_secrets_fragments(repo: Path) -> list[Path]:
    """Make every secrets fragment under `repo`/environments readable by its owner only (0600): git
    writes files with the umask's mode (0644), and such a file holds the platform's passwords.
    Symlinks are left alone (their target is not the repo's). Returns the files changed."""
    from symphony.core.secrets import is_secrets_fragment

    root = repo / "environments"
    return [path for path in (sorted(root.rglob("*.env")) if root.is_dir() else [])
            if is_secrets_fragment(path.name) and _owner_only(path)]
