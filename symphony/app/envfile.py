"""The profile's env, compiled from the config repo: in memory for checks, or written as
`.env.generated` (mode 0600, atomic) for Compose. What `env.*` and `start` call."""
from __future__ import annotations

import re
from pathlib import Path

from symphony.errors import UsageError
from symphony.infra import console as ui
from symphony.infra import state
from symphony.infra.settings import Settings

_SET = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def parse_sets(sets) -> dict[str, str]:
    overrides = {}
    for item in sets or ():
        m = _SET.match(item)
        if not m:
            raise UsageError(f"--set {item!r} is not KEY=VALUE with a valid variable name")
        overrides[m.group(1)] = m.group(2)
    return overrides


def resolve_profile(settings: Settings, profile: str | None) -> str:
    return profile or state.read_active_profile(default=settings.default_profile)


def source_commit(path: Path) -> str | None:
    """`<short sha>[-dirty]` when the config source is inside a git work tree."""
    from symphony.infra.runner import Runner

    runner = Runner(echo=False)
    try:
        res = runner.query(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], check=False)
        if res.code != 0:
            return None
        dirty = runner.query(["git", "-C", str(path), "status", "--porcelain", "--", "."], check=False).stdout.strip()
    except Exception:  # git missing: the header just has no commit
        return None
    return res.stdout.strip() + ("-dirty" if dirty else "")


def compile_profile(settings: Settings, profile=None, config=None, sets=(), allow_undefined=False):
    """(compiled env, config source); registers every secret value for masking."""
    from symphony.app.configsource import resolve_config_source
    from symphony.core.envcompiler import compile_env
    from symphony.core.secrets import secret_values

    profile = resolve_profile(settings, profile)
    source = resolve_config_source(config, settings.config_path)
    compiled = compile_env(source.path, profile, overrides=parse_sets(sets), strict=not allow_undefined)
    ui.register_secrets(secret_values(compiled.values))
    return compiled, source


def render(compiled, source) -> str:
    from symphony.core.envcompiler import render_env_file

    return render_env_file(compiled, source_label=source.describe(), commit=source_commit(source.path))


def write_env_file(text: str, output: Path | None = None, *, dry_run: bool = False, what: str = "") -> Path:
    from symphony.infra.files import write_file

    out = Path(output) if output else state.ENV_OUTPUT
    return write_file(out, text, mode=0o600, dry_run=dry_run, what=what, say=lambda line: ui.say(ui.paint(line, "info")))


def generate_env_file(settings: Settings, profile=None, *, config=None, output=None, sets=(), quiet=False,
                      allow_undefined=False):
    """Compile `profile` and write it atomically, mode 0600. Returns the CompiledEnv.
    The previous file stays untouched on any error."""
    compiled, source = compile_profile(settings, profile, config, sets, allow_undefined)
    out = write_env_file(render(compiled, source), output)
    if not quiet:
        ui.say(f"config source: {source.describe()}")
        for w in compiled.warnings:
            ui.status("warn", w)
        ui.status("ok", f"wrote {out} ({len(compiled.values)} variables, profile {compiled.profile}, mode 0600)")
    return compiled


def register_secrets_of_env_file(path: Path | None = None) -> None:
    """Mask the secrets of the env a running profile was started with (for `logs`, which
    compiles nothing): the values of .env.generated that the secret rule classifies."""
    from dotenv import dotenv_values

    from symphony.core.secrets import secret_values

    path = Path(path) if path else state.ENV_OUTPUT
    if not path.is_file():
        return
    values = {k: v or "" for k, v in dotenv_values(path, interpolate=False).items()}
    ui.register_secrets(secret_values(values))
