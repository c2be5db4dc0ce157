"""Files Symphony generates from data and commits (compose profiles, dashboard, datasources):
write them, or with `check` fail when a committed copy has drifted from its builder."""
from __future__ import annotations

from pathlib import Path

from symphony.errors import SymphonyError
from symphony.infra import console as ui
from symphony.infra import state
from symphony.infra.files import write_file


def sync_generated(outputs: dict[Path, str], *, check: bool, source: str, fix: str) -> None:
    stale = []
    for path, text in outputs.items():
        shown = path.relative_to(state.REPO_ROOT)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            ui.status("ok", f"{shown} is up to date")
        elif check:
            stale.append(str(shown))
            ui.status("fail", f"{shown} differs from {source}", f"run `{fix}`")
        else:
            write_file(path, text)
            ui.status("ok", f"wrote {shown}")
    if stale:
        raise SymphonyError(f"{len(stale)} generated file(s) out of date: {', '.join(stale)}", hint=f"run `{fix}`")
