"""`platform.*`: the platform catalog against the service repositories."""
from __future__ import annotations

from symphony.cli import task


@task(iterable=["service"], help={
    "path": "directory holding the service checkouts sentiric-<name> (default: SYMPHONY_SOURCES_DIR, else this "
            "repo's parent, as `dev` uses)",
    "service": "only this catalog service (repeatable)",
})
def audit(c, path=None, service=None):
    """Compare the catalog with the service checkouts: tools, ports, env reads, routes (exit 1 on drift)."""
    from pathlib import Path

    from symphony.app.audit import audit as run_audit
    from symphony.errors import SymphonyError
    from symphony.infra import console as ui
    from symphony.infra.state import SOURCES_DIR

    root = Path(path).expanduser().resolve() if path else SOURCES_DIR
    audited, findings, missing = run_audit(root, service)
    if missing:
        ui.status("info", f"no checkout for {len(missing)} service(s): " + ", ".join(missing))
    if findings:
        raise SymphonyError(f"{findings} disagreement(s) between the catalog and {audited} checkout(s)",
                            hint="correct compose/catalog/<service>.yaml (cite the line), then `inv compose.render`")
    if not audited:
        raise SymphonyError(f"no service checkout found under {root}", hint="clone the services there, or pass --path")
    ui.status("ok", f"{audited} checkout(s) agree with the catalog")
