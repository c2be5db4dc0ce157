"""The compose model as Compose itself resolves it (`config --format json`), and plain queries on it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from symphony.errors import UsageError


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


def profile_model(c, runner, profile: str, *, config=None) -> tuple[dict, object]:
    """(model, compiled env) of a profile, for tasks that only read it (k8s export, obs.plan):
    the env goes to a private temp file (0600) that is removed before returning."""
    import tempfile

    from symphony.infra import state
    from tasks.env import generate_env_file

    with tempfile.TemporaryDirectory(prefix="symphony-model-") as scratch:
        env_file = Path(scratch) / ".env.generated"
        compiled = generate_env_file(c, profile, config=config, output=env_file, quiet=True)
        model = load_model(runner, [state.compose_file(profile)], [env_file], state.project_name(profile))
    return model, compiled


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
