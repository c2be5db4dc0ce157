"""`inv doctor`: the preflight, one line per check with its fix."""
from __future__ import annotations

from symphony.cli import settings, task


@task(help={"json": "print the checks as JSON for scripts", "context": "Docker context to check (default: current)"})
def doctor(c, json=False, context=None):
    """Preflight: Docker engine, Compose, git, config repo, profile, ports, disk."""
    import json as jsonlib
    from dataclasses import asdict

    import invoke

    from symphony.app.doctor import run_checks
    from symphony.infra import console as ui
    from symphony.infra.runner import parse_context

    checks = run_checks(settings(c), parse_context(c, context, dry_run=False))
    if json:
        print(jsonlib.dumps([asdict(ch) for ch in checks], indent=2))
    else:
        for ch in checks:
            ui.status(ch.status, ch.detail, ch.fix)
    if any(ch.status == "fail" for ch in checks):
        raise invoke.Exit(code=1)
