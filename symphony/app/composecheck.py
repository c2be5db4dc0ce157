"""Linting a profile's compose file against its env (what `compose.check` and `start` run).

The file's shape is checked against the Compose Specification's JSON schema, shipped as
compose/compose-spec.json: `schema/compose-spec.json` of github.com/compose-spec/compose-spec at
commit 170098b (2026-06-23), Apache License 2.0.
"""
from __future__ import annotations

import functools

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui
from symphony.infra import state


def check_profile(profile: str, env: dict[str, str]) -> tuple[int, int]:
    """Print the findings for one profile; (errors, warnings)."""
    from symphony.core.composelint import check_compose
    from symphony.infra.files import read_text_file

    path = state.compose_file(profile)
    text = read_text_file(path, hint="save the compose file as UTF-8 (Compose reads nothing else)")
    findings = check_compose(text, str(path.relative_to(state.REPO_ROOT)), env, compose_schema())
    for f in findings:
        ui.status("fail" if f.level == "error" else "warn", f"[{profile}] {f.where}: {f.message}")
    return sum(f.level == "error" for f in findings), sum(f.level == "warn" for f in findings)


@functools.cache
def compose_schema() -> dict:
    """Read once per run (`compose.check --all` checks five files against it); never modified."""
    import json

    return json.loads((state.COMPOSE_DIR / "compose-spec.json").read_text(encoding="utf-8"))


def require_clean(profile: str, env: dict[str, str]) -> None:
    """What `start` runs before anything is written: any error stops it."""
    errors, _ = check_profile(profile, env)
    if errors:
        raise UsageError(f"compose/{profile}.yml has {errors} error(s); nothing was started",
                         hint=f"fix them, then `inv compose.check --profile {profile}`")


def check_profiles(settings, profiles, config=None, sets=()) -> None:
    from symphony.app.envfile import compile_profile

    errors = warns = 0
    for name in profiles:
        try:
            compiled, _ = compile_profile(settings, name, config, sets, allow_undefined=True)
        except SymphonyError as exc:
            ui.status("fail", f"[{name}] env: {exc.message}")
            errors += 1
            continue
        e, w = check_profile(name, compiled.values)
        errors, warns = errors + e, warns + w
        if not e:
            ui.status("ok", f"[{name}] compose/{name}.yml" + (f" ({w} warning(s))" if w else ""))
    ui.say(f"{len(profiles)} profile(s) checked: {errors} error(s), {warns} warning(s)")
    if errors:
        raise SymphonyError(f"{errors} error(s) in the compose files")


def rendered_files() -> dict:
    from symphony.app.platform import platform_catalog
    from symphony.core.platform.composegen import render_text

    catalog = platform_catalog()
    return {state.compose_file(p): render_text(catalog, p) for p in catalog.profiles}
