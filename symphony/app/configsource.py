"""Which config repo Symphony reads: first found wins, and the user is told which."""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from symphony.errors import UsageError
from symphony.infra.state import ENV_DIR, REPO_ROOT

ENV_VAR = "SENTIRIC_CONFIG_PATH"
SIBLING = REPO_ROOT.parent / "sentiric-config"


class ConfigSource(NamedTuple):  # (a named tuple: made at import in a fifth of a frozen dataclass's time)
    path: Path
    origin: str  # "--config", "SENTIRIC_CONFIG_PATH", "invoke config", "sibling checkout", "embedded default"

    @property
    def embedded(self) -> bool:
        return self.origin == "embedded default"

    def describe(self) -> str:
        return f"{self.path} ({self.origin})"


def resolve_config_source(explicit: str | None = None, configured: str | None = None) -> ConfigSource:
    """--config, then $SENTIRIC_CONFIG_PATH, then Invoke's symphony.config_path,
    then ../sentiric-config, then the embedded default in env/."""
    candidates = [
        (explicit, "--config"),
        (os.environ.get(ENV_VAR), ENV_VAR),
        (configured, "invoke config symphony.config_path"),
    ]
    for value, origin in candidates:
        if value:
            path = Path(value).expanduser().resolve()
            if not (path / "environments").is_dir():
                raise UsageError(
                    f"config repo {path} (from {origin}) has no environments/ directory",
                    hint="point it at a sentiric-config checkout, or create one with `inv config.init PATH`",
                )
            return ConfigSource(path, origin)
    if (SIBLING / "environments").is_dir():
        return ConfigSource(SIBLING.resolve(), "sibling checkout")
    return ConfigSource(ENV_DIR.resolve(), "embedded default")
