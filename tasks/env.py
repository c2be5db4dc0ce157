"""`env.*`: compile the profile's env from the config repo into `.env.generated`."""
from __future__ import annotations

from symphony.cli import settings, task

PROFILE_HELP = "profile to compile (default: the active profile in .profile.state)"
CONFIG_HELP = ("config repo path (default: $SENTIRIC_CONFIG_PATH, symphony.config_path, ../sentiric-config, "
               "embedded env/)")
SET_HELP = "override KEY=VALUE after everything else (repeatable)"
UNDEFINED_HELP = "undefined references become empty with a warning instead of an error"


@task(
    iterable=["set"],
    help={
        "profile": PROFILE_HELP,
        "config": CONFIG_HELP,
        "output": "file to write (default: .env.generated); an existing target must be a regular file",
        "set": SET_HELP,
        "allow_undefined": UNDEFINED_HELP,
    },
)
def generate(c, profile=None, config=None, output=None, set=None, allow_undefined=False):
    """Compile the profile's env fragments into .env.generated (0600)."""
    from symphony.app.envfile import generate_env_file

    generate_env_file(settings(c), profile, config=config, output=output, sets=set, allow_undefined=allow_undefined)


@task(iterable=["set"], help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "set": SET_HELP,
                              "reveal": "print secret values instead of masking them",
                              "allow_undefined": UNDEFINED_HELP})
def show(c, profile=None, config=None, set=None, reveal=False, allow_undefined=False):
    """Print the compiled env (secrets masked unless --reveal)."""
    from symphony.app.envfile import compile_profile, display_value
    from symphony.infra import console as ui

    compiled, source = compile_profile(settings(c), profile, config, set, allow_undefined=allow_undefined)
    ui.say(f"# profile {compiled.profile} from {source.describe()}")
    for origin, keys in compiled.groups:
        ui.say(f"# --- from {origin}")
        for key in keys:
            value = compiled.values[key]
            if reveal:
                print(f"{key}={display_value(value)}")  # deliberately unmasked
            else:
                ui.say(f"{key}={ui.MASK if key in compiled.secrets else display_value(value)}")


@task(iterable=["set"], help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "set": SET_HELP,
                              "output": "generated file to compare with (default: .env.generated)",
                              "allow_undefined": UNDEFINED_HELP})
def diff(c, profile=None, config=None, set=None, output=None, allow_undefined=False):
    """Show what regenerating .env.generated would change (secrets masked on both sides)."""

    from symphony.app.envfile import compile_profile, display_value, read_env_file
    from symphony.core.secrets import is_secret
    from symphony.infra import console as ui
    from symphony.infra import state
    from symphony.infra.files import file_path

    compiled, _ = compile_profile(settings(c), profile, config, set, allow_undefined=allow_undefined)
    path = state.ENV_OUTPUT if output is None else file_path(output)
    old, old_secrets = read_env_file(path)
    new = compiled.values

    def secret(key, value):
        return key in compiled.secrets or key in old_secrets or is_secret(key, value)

    # The old side's secrets (a rotated-away password, and the URLs built from it) are masked too.
    ui.register_secrets(v for k, v in old.items() if v and secret(k, v))

    def shown(key, value):
        return ui.MASK if secret(key, value) else display_value(value)

    changes = 0
    for key in sorted(old.keys() | new.keys()):
        if key not in old:
            ui.say(ui.paint(f"+ {key}={shown(key, new[key])}", "ok"))
        elif key not in new:
            ui.say(ui.paint(f"- {key}", "fail"))
        elif old[key] != new[key]:
            ui.say(ui.paint(f"~ {key}: {shown(key, old[key])} -> {shown(key, new[key])}", "warn"))
        else:
            continue
        changes += 1
    ui.say(f"{changes} change(s) against {path}" if path.exists()
           else f"{path} does not exist yet: all {len(new)} variables are new")


@task(help={"key": "variable to explain", "profile": PROFILE_HELP, "config": CONFIG_HELP,
            "allow_undefined": UNDEFINED_HELP})
def explain(c, key, profile=None, config=None, allow_undefined=False):
    """Where KEY is defined, what it references, what overrode what (a secret's values masked)."""
    from symphony.app.envfile import compile_profile, display_value, reference_names
    from symphony.errors import UsageError
    from symphony.infra import console as ui

    compiled, source = compile_profile(settings(c), profile, config, allow_undefined=allow_undefined)
    defs = compiled.history.get(key)
    if not defs:
        raise UsageError(f"{key} is not defined by profile {compiled.profile!r} ({source.describe()})",
                         hint="`inv env.show` lists every variable")
    value = compiled.values[key]
    secret = compiled.secrets.get(key)
    for i, d in enumerate(defs):
        tag = "final" if i == len(defs) - 1 else "overridden"
        if secret:
            uses = reference_names(d.parts)
            raw = ui.MASK + (f"  (uses {', '.join(uses)})" if uses else "")
        else:
            raw = d.raw
        ui.say(f"{tag:>10}  {d.where:<32} {key}={raw}")
    uses = compiled.references.get(key, [])
    if uses:
        ui.say(f"references  {', '.join(dict.fromkeys(uses))}")
    users = sorted(k for k, names in compiled.references.items() if key in names)
    if users:
        ui.say(f"used by     {', '.join(users)}")
    ui.say(f"value       {ui.MASK if secret else display_value(value)}"
           + (f"   (secret: {secret}; masked)" if secret else ""))


@task(help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "all": "check every profile of the config repo",
            "strict": "fail on warnings too"})
def check(c, profile=None, config=None, all=False, strict=False):
    """Lint the config without writing: cycles, undefined refs, placeholders, stray secrets."""
    import invoke

    from symphony.app.envfile import check_profiles
    from symphony.cli.flags import one_profile_or_all

    one_profile_or_all(profile, all)
    errors, warns = check_profiles(settings(c), profile, config, all)
    if errors or (strict and warns):
        raise invoke.Exit(code=1)
