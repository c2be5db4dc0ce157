"""`env.*`: compile the profile's env from the config repo into `.env.generated`."""
from __future__ import annotations

import re
from pathlib import Path

from tasks import state, ui
from tasks.cli import setting, task
from tasks.errors import UsageError

PROFILE_HELP = "profile to compile (default: the active profile in .profile.state)"
CONFIG_HELP = "config repo path (default: $SENTIRIC_CONFIG_PATH, symphony.config_path, ../sentiric-config, embedded env/)"
SET_HELP = "override KEY=VALUE after everything else (repeatable)"
_SET = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def parse_sets(sets) -> dict[str, str]:
    overrides = {}
    for item in sets or ():
        m = _SET.match(item)
        if not m:  # never echo the argument: it may be a secret value
            raise UsageError("a --set argument is not KEY=VALUE with a valid variable name",
                             hint="names are letters, digits and _, and do not start with a digit")
        overrides[m.group(1)] = m.group(2)
    return overrides


def resolve_profile(c, profile: str | None) -> str:
    return profile or state.read_active_profile(default=setting(c, "default_profile"))


def source_commit(path: Path) -> str | None:
    """`<short sha>[-dirty]` when the config source is inside a git work tree."""
    from tasks.runner import Runner

    runner = Runner(echo=False)
    try:
        res = runner.query(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], check=False)
        if res.code != 0:
            return None
        dirty = runner.query(["git", "-C", str(path), "status", "--porcelain", "--", "."], check=False).stdout.strip()
    except Exception:  # git missing: the header just has no commit
        return None
    return res.stdout.strip() + ("-dirty" if dirty else "")


def compile_profile(c, profile=None, config=None, sets=(), allow_undefined=False):
    """(compiled env, config source) for a task; registers every secret value for masking."""
    from tasks.configsource import resolve_config_source
    from tasks.envcompiler import compile_env

    profile = resolve_profile(c, profile)
    source = resolve_config_source(config, setting(c, "config_path"))
    overrides = parse_sets(sets)
    ui.register_secrets(v for k, v in overrides.items() if _secret_name(k))
    compiled = compile_env(source.path, profile, overrides=overrides, strict=not allow_undefined,
                           extra_files=extra_env_files(c))
    ui.register_secrets(compiled.secret_values())
    return compiled, source


def extra_env_files(c) -> list[Path]:
    """`symphony.extra_env_files`: files outside the config repo the user names explicitly
    (e.g. a local secrets file), read after common/secrets.env."""
    value = setting(c, "extra_env_files") or []
    if isinstance(value, str):
        value = [value]
    return [Path(str(v)).expanduser() for v in value]


def _secret_name(key: str) -> bool:
    from tasks.secrets import is_secret_name

    return is_secret_name(key)


def check_output_path(out: Path) -> None:
    """Refuse to replace anything but a regular file (a symlink, a directory, a device)."""
    import stat as stat_mod

    try:
        info = out.lstat()
    except FileNotFoundError:
        return
    if not stat_mod.S_ISREG(info.st_mode):
        kind = "a symlink" if stat_mod.S_ISLNK(info.st_mode) else "a directory" if stat_mod.S_ISDIR(info.st_mode) else "not a regular file"
        raise UsageError(f"{out} is {kind}; refusing to replace it with the generated env",
                         hint="give --output the path of a regular file (or of a new one)")


def display_value(value: str) -> str:
    """A value as the generated file writes it, or a clear marker when it cannot be written."""
    from tasks.envcompiler.model import EnvError
    from tasks.envcompiler.writer import quote_value

    try:
        return quote_value("", value)
    except EnvError:
        return f"{value!r} (cannot be written to an env file)"


def generate_env_file(c, profile=None, *, config=None, output=None, sets=(), quiet=False, allow_undefined=False):
    """Compile `profile` and write it atomically, mode 0600. Returns the CompiledEnv.

    This is what `inv start` calls. The previous file stays untouched on any error.
    """
    from tasks.envcompiler import render_env_file

    compiled, source = compile_profile(c, profile, config, sets, allow_undefined)
    text = render_env_file(compiled, source_label=source.describe(), commit=source_commit(source.path))
    out = Path(output) if output else state.ENV_OUTPUT
    check_output_path(out)
    try:
        state.atomic_write(out, text, mode=0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}", hint="choose a writable --output") from None
    if not quiet:
        ui.say(f"config source: {source.describe()}")
        for w in compiled.warnings:
            ui.status("warn", w)
        ui.status("ok", f"wrote {out} ({len(compiled.values)} variables, profile {compiled.profile}, mode 0600)")
    return compiled


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
    generate_env_file(c, profile, config=config, output=output, sets=set, allow_undefined=allow_undefined)


@task(iterable=["set"], help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "set": SET_HELP,
                              "reveal": "print secret values instead of masking them"})
def show(c, profile=None, config=None, set=None, reveal=False):
    """Print the compiled env (secrets masked unless --reveal)."""
    compiled, source = compile_profile(c, profile, config, set)
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
                              "output": "generated file to compare with (default: .env.generated)"})
def diff(c, profile=None, config=None, set=None, output=None):
    """Show what regenerating .env.generated would change (secrets masked on both sides)."""
    from dotenv import dotenv_values

    from tasks.secrets import is_secret

    compiled, _ = compile_profile(c, profile, config, set)
    path = Path(output) if output else state.ENV_OUTPUT
    old = {k: v or "" for k, v in dotenv_values(path, interpolate=False).items()} if path.exists() else {}
    new = compiled.values

    def secret(key, value):
        return key in compiled.secrets or is_secret(key, value)

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
    ui.say(f"{changes} change(s) against {path}" if path.exists() else f"{path} does not exist yet: all {len(new)} variables are new")


def _reference_names(parts) -> list[str]:
    from tasks.envcompiler.model import Ref

    names = []
    for p in parts:
        if isinstance(p, Ref):
            names.append(p.name)
            names.extend(_reference_names(p.word))
    return list(dict.fromkeys(names))


@task(help={"key": "variable to explain", "profile": PROFILE_HELP, "config": CONFIG_HELP})
def explain(c, key, profile=None, config=None):
    """Where KEY is defined, what it references, what overrode what (a secret's values masked)."""
    compiled, source = compile_profile(c, profile, config)
    defs = compiled.history.get(key)
    if not defs:
        raise UsageError(f"{key} is not defined by profile {compiled.profile!r} ({source.describe()})",
                         hint="`inv env.show` lists every variable")
    value = compiled.values[key]
    secret = compiled.secrets.get(key)
    for i, d in enumerate(defs):
        tag = "final" if i == len(defs) - 1 else "overridden"
        if secret:
            uses = _reference_names(d.parts)
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
    ui.say(f"value       {ui.MASK if secret else display_value(value)}" + (f"   (secret: {secret}; masked)" if secret else ""))


@task(help={"profile": PROFILE_HELP, "config": CONFIG_HELP, "all": "check every profile of the config repo",
            "strict": "fail on warnings too"})
def check(c, profile=None, config=None, all=False, strict=False):
    """Lint the config without writing: cycles, undefined refs, placeholders, stray secrets."""
    from tasks.configsource import resolve_config_source
    from tasks.envcompiler.lint import Finding, lint
    from tasks.errors import SymphonyError

    source = resolve_config_source(config, setting(c, "config_path"))
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
