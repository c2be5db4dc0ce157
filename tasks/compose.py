"""`compose.*`: lint the profiles' compose files; render the platform files from the catalog."""
from __future__ import annotations

from symphony.infra import console as ui
from symphony.infra import state
from symphony.cli import task
from symphony.errors import SymphonyError, UsageError


def check_profile(profile: str, env: dict[str, str]) -> tuple[int, int]:
    """Print the findings for one profile; (errors, warnings)."""
    from symphony.core.composelint import check_compose

    path = state.compose_file(profile)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    findings = check_compose(text, str(path.relative_to(state.REPO_ROOT)), env)
    for f in findings:
        ui.status("fail" if f.level == "error" else "warn", f"[{profile}] {f.where}: {f.message}")
    return sum(f.level == "error" for f in findings), sum(f.level == "warn" for f in findings)


def require_clean(profile: str, env: dict[str, str]) -> None:
    """What `start` runs first: any error stops it before anything is created."""
    errors, _ = check_profile(profile, env)
    if errors:
        raise UsageError(f"compose/{profile}.yml has {errors} error(s); nothing was started",
                         hint=f"fix them, then `inv compose.check --profile {profile}`")


@task(iterable=["set"], help={
    "profile": "profile to check (default: the active profile)",
    "all": "check every profile",
    "config": "config repo path (default: the usual config source)",
    "set": "override KEY=VALUE in the env used for the check (repeatable)",
})
def check(c, profile=None, all=False, config=None, set=None):
    """Lint compose files: dependencies, cycles, healthchecks, variables, host ports."""
    from tasks.env import compile_profile, resolve_profile

    profiles = state.known_profiles() if all else [state.validate_profile(resolve_profile(c, profile))]
    errors = warns = 0
    for name in profiles:
        try:
            compiled, _ = compile_profile(c, name, config, set, allow_undefined=True)
            env = compiled.values
        except SymphonyError as exc:
            ui.status("fail", f"[{name}] env: {exc.message}")
            errors += 1
            continue
        e, w = check_profile(name, env)
        errors, warns = errors + e, warns + w
        if not e:
            ui.status("ok", f"[{name}] compose/{name}.yml" + (f" ({w} warning(s))" if w else ""))
    ui.say(f"{len(profiles)} profile(s) checked: {errors} error(s), {warns} warning(s)")
    if errors:
        raise SymphonyError(f"{errors} error(s) in the compose files")


@task(help={"check": "do not write; fail if a committed file differs from the catalog"})
def render(c, check=False):
    """Rewrite compose/{core,gateway,prod,dev}.yml from the platform catalog."""
    from symphony.core import composegen
    from symphony.app.generated import sync_generated

    outputs = {state.compose_file(p): composegen.render_text(p) for p in composegen.rendered_profiles()}
    sync_generated(outputs, check=check, source="tasks/catalog.py", fix="inv compose.render")
