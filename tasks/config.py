"""`config.*`: the sentiric-config management kit — sync, status, init. Never loses local work."""
from __future__ import annotations

from symphony.cli import settings, task

PATH_HELP = "config repo checkout (default: symphony.config_path, else ../sentiric-config)"


@task(help={
    "url": "remote to clone (default: symphony.config_url)",
    "ref": "pin a tag or commit (reproducible deploys)",
    "offline": "do not touch the network; use the checkout as it is",
    "strict": "fail when the remote is unreachable instead of warning",
    "path": PATH_HELP,
    "dry_run": "print the git commands that would change anything, run none",
})
def sync(c, url=None, ref=None, offline=False, strict=False, path=None, dry_run=False):
    """Clone the config repo, or fetch and fast-forward it (never loses local work)."""
    from symphony.app.configrepo import sync_config
    from symphony.infra.runner import parse_context

    runner = parse_context(c, None, dry_run)
    runner.which("git")
    sync_config(settings(c), runner, url=url, ref=ref, offline=offline, strict=strict, path=path)


@task(help={"path": PATH_HELP})
def status(c, path=None):
    """Config repo: path, remote, branch/ref, commit, dirty files, ahead/behind."""
    from symphony.app.configrepo import report_status

    report_status(settings(c), path)


@task(help={"path": "directory to create (must not exist, or be empty)",
            "dry_run": "print what would be created, create nothing"})
def init(c, path, dry_run=False):
    """Scaffold a new config repo from the embedded default (git init + first commit)."""
    from symphony.app.configrepo import scaffold
    from symphony.infra.runner import parse_context

    scaffold(parse_context(c, None, dry_run), path)
