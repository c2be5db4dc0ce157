"""The compose model as Compose itself resolves it (`config --format json`), and plain queries on it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tasks.errors import UsageError


@dataclass(frozen=True, order=True)
class PublishedPort:
    port: int
    protocol: str
    host_ip: str
    service: str


def load_model(runner, files: list[Path], env_files: list[Path], project: str) -> dict:
    """Ask Compose for the fully resolved model; a file Compose rejects is a usage error."""
    res = runner.compose(project, files, env_files, "config", "--format", "json", mutating=False, capture=True, check=False)
    if res.code != 0:
        raise UsageError(
            f"Compose rejects {', '.join(str(f) for f in files)}:\n{res.stderr.strip()}",
            hint="fix the file, then check it with `inv compose.check`",
        )
    return json.loads(res.stdout)


def published_ports(model: dict) -> list[PublishedPort]:
    """Every host port the model publishes (ranges expanded)."""
    found = []
    for name, svc in sorted((model.get("services") or {}).items()):
        for p in svc.get("ports") or []:
            published = str(p.get("published") or "")
            if not published:
                continue
            start, _, end = published.partition("-")
            for port in range(int(start), int(end or start) + 1):
                found.append(PublishedPort(port, p.get("protocol") or "tcp", p.get("host_ip") or "0.0.0.0", name))
    return sorted(found)
