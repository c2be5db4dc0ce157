"""`env.*`: compile the profile's env from the config repo into `.env.generated`."""
from __future__ import annotations

from pathlib import Path

from symphony.app import envfile
from symphony.cli import settings, task
from symphony.errors import UsageError
from symphony.infra import console as ui
from symphony.infra import state

PROFILE_HELP = "profile to compile (default: the active profile in .profile.state)"
CONFIG_HELP = "config repo path (default: $SENTIRIC_CONFIG_PATH, symphony.config_path, ../sentiric-config, embedded env/)"
SET_HELP = "override KEY=VALUE after everything else (repeatable)"


def compile_profile(c, profile=None, config=None, sets=(), allow_undefined=False):
    return envfile.compile_profile(settings(c), profile, config, sets, allow_undefined)


def resolve_profile(c, profile):
    return envfile.resolve_profile(settings(c), profile)


@task(
    iterable=["set"],
    help={
        "profile": PROFILE_HELP,
        "config": CONFIG_HELP,
        "output": "file to write (default: .env.generated)",
        "set": SET_HELP,
        "allow_undefined": "undefined references become empty with a warning instead of an error",
    },
)
def generate(c, profile=None, config=None, output=None, set=None, allow_undefined=False):
    """Compile the profile's env fragments into .env.generated (0600)."""
    envfile.generate_env_file(settings(c), profile, config=config, output=output, sets=set,
                              allow_undefined=allow_undefined)


@task(iterable=["set"], help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "set": SET_HELP,
                              "reveal": "print secret values instead of masking them"})
def show(c, profile=None, config=None, set=None, reveal=False):
    """Print the compiled env (secrets masked unless --reveal)."""
    from symphony.core.envcompiler.writer import quote_value
    from symphony.core.secrets import is_secret

    compiled, source = compile_profile(c, profile, config, set)
    ui.say(f"# profile {compiled.profile} from {source.describe()}")
    for origin, keys in compiled.groups:
        ui.say(f"# --- from {origin}")
        for key in keys:
            value = compiled.values[key]
            if reveal:
                print(f"{key}={quote_value(key, value)}")  # deliberately unmasked
            else:
                ui.say(f"{key}={ui.MASK if is_secret(key, value) else quote_value(key, value)}")


@task(iterable=["set"], help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "set": SET_HELP,
                              "output": "generated file to compare with (default: .env.generated)"})
def diff(c, profile=None, config=None, set=None, output=None):
    """Show what regenerating .env.generated would change (masked)."""
    from dotenv import dotenv_values

    from symphony.core.secrets import is_secret

    compiled, _ = compile_profile(c, profile, config, set)
    path = Path(output) if output else state.ENV_OUTPUT
    old = {k: v or "" for k, v in dotenv_values(path, interpolate=False).items()} if path.exists() else {}
    new = compiled.values

    def shown(key, value):
        return ui.MASK if is_secret(key, value) else value

    changes = 0
    for key in sorted(set_ := (old.keys() | new.keys())):
        if key not in old:
            ui.say(ui.paint(f"+ {key}={shown(key, new[key])}", "ok"))
        elif key not in new:
            ui.say(ui.paint(f"- {key}", "fail"))
        elif old[key] != new[key]:
            ui.say(ui.paint(f"~ {key}: {shown(key, old[key])} -> {shown(key, new[key])}", "warn"))
        else:
            continue
        changes += 1
    ui.say(f"{changes} change(s) against {path}" if path.exists() else f"{path} does not exist yet: all {len(new)} variables are new")
    del set_


@task(help={"key": "variable to explain", "profile": PROFILE_HELP, "config": CONFIG_HELP})
def explain(c, key, profile=None, config=None):
    """Where KEY is defined, what it references, what overrode what."""
    from symphony.core.secrets import is_secret

    compiled, source = compile_profile(c, profile, config)
    defs = compiled.history.get(key)
    if not defs:
        raise UsageError(f"{key} is not defined by profile {compiled.profile!r} ({source.describe()})",
                         hint="`inv env.show` lists every variable")
    value = compiled.values[key]
    secret = is_secret(key, value)
    for i, d in enumerate(defs):
        tag = "final" if i == len(defs) - 1 else "overridden"
        raw = ui.MASK if secret and d.raw == value else d.raw
        ui.say(f"{tag:>10}  {d.where:<32} {key}={raw}")
    uses = compiled.references.get(key, [])
    if uses:
        ui.say(f"references  {', '.join(dict.fromkeys(uses))}")
    users = sorted(k for k, names in compiled.references.items() if key in names)
    if users:
        ui.say(f"used by     {', '.join(users)}")
    ui.say(f"value       {ui.MASK if secret else value}" + ("   (secret: masked)" if secret else ""))


@task(help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "all": "check every profile of the config repo",
            "strict": "fail on warnings too"})
def check(c, profile=None, config=None, all=False, strict=False):
    """Lint the config without writing: cycles, undefined refs, placeholders, stray secrets."""
    from symphony.app.configsource import resolve_config_source
    from symphony.core.envcompiler.lint import Finding, lint
    from symphony.errors import SymphonyError

    source = resolve_config_source(config, settings(c).config_path)
    profiles = sorted(p.stem for p in (source.path / "environments" / "profiles").glob("*.env")) if all else [resolve_profile(c, profile)]
    errors = warns = 0
    for name in profiles:
        try:
            compiled, _ = compile_profile(c, name, config, allow_undefined=True)
            compose = state.compose_file(name)
            text = compose.read_text() if compose.exists() else None
            findings = lint(compiled, text, str(compose.relative_to(state.REPO_ROOT)) if text else "")
            findings += [Finding("error", "", w) for w in compiled.warnings if "undefined" in w]
            findings += [Finding("warn", "", w) for w in compiled.warnings if "undefined" not in w]
        except SymphonyError as exc:
            findings = [Finding("error", "", exc.message)]
        for f in findings:
            ui.status("fail" if f.level == "error" else "warn", f"[{name}] {f.where + ': ' if f.where else ''}{f.message}")
        errors += sum(f.level == "error" for f in findings)
        warns += sum(f.level == "warn" for f in findings)
    ui.say(f"{len(profiles)} profile(s) checked from {source.describe()}: {errors} error(s), {warns} warning(s)")
    if errors or (strict and warns):
        import invoke

        raise invoke.Exit(code=1)
