"""The profile's env, compiled from the config repo: in memory for checks, or written as
`.env.generated` (mode 0600, atomic) for Compose. What `env.*` and `start` call."""
from __future__ import annotations

import os
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
        if not m:  # never echo the argument: it may be a secret value
            raise UsageError("a --set argument is not KEY=VALUE with a valid variable name",
                             hint="names are letters, digits and _, and do not start with a digit")
        overrides[m.group(1)] = m.group(2)
    return overrides


def resolve_profile(settings: Settings, profile: str | None) -> str:
    if profile is not None:
        return profile  # the compiler names an empty or unknown one
    return state.read_active_profile(default=settings.default_profile)


def source_commit(path: Path) -> str | None:
    """`<short sha>[-dirty]` when the config source is inside a git work tree."""
    if not _maybe_in_git_work_tree(path):
        return None
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


def _maybe_in_git_work_tree(path: Path) -> bool:
    """False only when git surely finds no repository for `path`: no `.git` in it or any parent and
    no GIT_DIR in the environment (asking git costs a process; most config sources are checkouts)."""
    if os.environ.get("GIT_DIR"):
        return True
    here = Path(path).absolute()
    return any(os.path.lexists(os.path.join(d, ".git")) for d in (here, *here.parents))


def compile_profile(settings: Settings, profile=None, config=None, sets=(), allow_undefined=False):
    """(compiled env, config source); registers every secret value for masking."""
    from symphony.app.configsource import resolve_config_source
    from symphony.core.envcompiler import compile_env
    from symphony.core.secrets import is_secret_name

    profile = resolve_profile(settings, profile)
    source = resolve_config_source(config, settings.config_path)
    overrides = parse_sets(sets)
    ui.register_secrets(v for k, v in overrides.items() if is_secret_name(k))
    compiled = compile_env(source.path, profile, overrides=overrides, strict=not allow_undefined,
                           extra_files=extra_env_files(settings))
    ui.register_secrets(compiled.secret_values())
    return compiled, source


def extra_env_files(settings: Settings) -> list[Path]:
    """`symphony.extra_env_files`: files outside the config repo the user names explicitly
    (e.g. a local secrets file), read after common/secrets.env."""
    value = settings.extra_env_files or []
    if isinstance(value, str):
        value = [value]
    return [Path(str(v)).expanduser() for v in value]


def display_value(value: str) -> str:
    """A value as the generated file writes it, or a clear marker when it cannot be written."""
    from symphony.core.envcompiler.model import EnvError
    from symphony.core.envcompiler.writer import quote_value

    try:
        return quote_value("", value)
    except EnvError:
        return f"{value!r} (cannot be written to an env file)"


def reference_names(parts) -> list[str]:
    """The names a definition's value references (for explaining a secret without its text)."""
    from symphony.core.envcompiler.model import Ref

    names = []
    for p in parts:
        if isinstance(p, Ref):
            names.append(p.name)
            names.extend(reference_names(p.word))
    return list(dict.fromkeys(names))


def render(compiled, source) -> str:
    from symphony.core.envcompiler import render_env_file

    return render_env_file(compiled, source_label=source.describe(), commit=source_commit(source.path))


def write_env_file(text: str, output: Path | None = None, *, dry_run: bool = False, what: str = "") -> Path:
    from symphony.infra.files import write_file

    out = state.ENV_OUTPUT if output is None else output  # "" and "dir/" are refused by write_file
    return write_file(out, text, mode=0o600, dry_run=dry_run, what=what,
                      say=lambda line: ui.say(ui.paint(line, "info")))


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


def read_env_file(path: Path, *, lenient: bool = False) -> tuple[dict[str, str], set[str]]:
    """The values of an env file env.generate wrote, and which keys were secret when it was
    written: those its `# secret keys:` line names, every key of a secrets fragment's group (a
    file written before that line existed), and every key the secret rule classifies now.
    A file that is not UTF-8 text is a usage error, unless `lenient` (logs: mask what can be read)."""
    from io import StringIO

    from dotenv.parser import parse_stream

    from symphony.infra.files import utf8_text

    if path.exists() and not path.is_file():
        raise UsageError(f"{path} is not a regular file", hint="name the env file env.generate wrote")
    if not path.exists():
        return {}, set()
    data = path.read_bytes()
    if lenient:
        text = data.decode("utf-8", errors="replace")
    else:
        text = utf8_text(path, data, ", so this is not a file env.generate wrote",
                         hint="regenerate it with `inv env.generate`, or name another file")
    # python-dotenv's own reading (dotenv_values(interpolate=False) is this), without its warnings
    # on stderr: a line it cannot parse is refused here, naming it (logs reads what it can)
    values = {}
    for binding in parse_stream(StringIO(text)):
        if binding.error and not lenient:
            raise UsageError(f"{path}:{binding.original.line}: python-dotenv cannot parse this line, so this is not "
                             "a file env.generate wrote",
                             hint="regenerate it with `inv env.generate`, or name another file")
        if binding.key is not None and not binding.error:
            values[binding.key] = binding.value or ""
    return values, secret_keys(text, values)


def secret_keys(text: str, values: dict[str, str]) -> set[str]:
    """Which keys of an env file's `values` are secret (see read_env_file); `text` is the file's."""
    from symphony.core.envcompiler.writer import GROUP_LINE, SECRET_KEYS_LINE
    from symphony.core.secrets import is_secret, is_secrets_fragment

    secret, group = set(), ""
    for line in text.splitlines():
        if line.startswith(SECRET_KEYS_LINE):
            secret.update(line[len(SECRET_KEYS_LINE):].split())
        elif line.startswith(GROUP_LINE):
            group = line[len(GROUP_LINE):].strip()
        elif "=" in line and not line.startswith("#") and is_secrets_fragment(group):
            secret.add(line.split("=", 1)[0].strip())
    secret.update(k for k, v in values.items() if v is not None and is_secret(k, v))
    return secret & values.keys()


def register_secrets_of_env_file(path: Path | None = None) -> set[str]:
    """Mask the secrets of the env a running profile was started with (for `logs`, which
    compiles nothing): the secret values of .env.generated (read_env_file says which). Returns
    the secret keys."""
    path = Path(path) if path else state.ENV_OUTPUT
    if not path.is_file():
        return set()
    values, secret = read_env_file(path, lenient=True)
    ui.register_secrets(values[k] for k in secret if values[k])
    return secret


def _empty_for_the_platform(profile: str, compiled) -> list:
    """A variable the profile defines empty where a platform service refuses an empty value (the
    catalog's `empty:` facts): the start would fail at that service, so env.check says it first."""
    from symphony.app.platform import platform_catalog
    from symphony.core.findings import Finding
    from symphony.core.platform.catalog import fails_on_empty

    findings = []
    for var, effects in sorted(fails_on_empty(platform_catalog(), profile, compiled.values).items()):
        defs = compiled.history.get(var)
        findings.append(Finding("error", defs[-1].where if defs else "",
                                f"{var} is empty, but " + "; ".join(effects)))
    return findings


def check_profiles(settings: Settings, profile=None, config=None, every=False) -> tuple[int, int]:
    """env.check: lint each profile's config (and its compose file's variables); prints findings."""
    from symphony.app.configsource import resolve_config_source
    from symphony.core.envcompiler.lint import lint
    from symphony.core.findings import Finding
    from symphony.errors import SymphonyError

    source = resolve_config_source(config, settings.config_path)
    profiles = (sorted(p.stem for p in (source.path / "environments" / "profiles").glob("*.env")) if every
                else [resolve_profile(settings, profile)])
    errors = warns = 0
    for name in profiles:
        try:
            compiled, _ = compile_profile(settings, name, config, allow_undefined=True)
            compose = state.compose_file(name)
            text = compose.read_text() if compose.exists() else None
            findings = lint(compiled, text, str(compose.relative_to(state.REPO_ROOT)) if text else "")
            findings += _empty_for_the_platform(name, compiled)
            findings += [Finding("error", "", w) for w in compiled.warnings if "undefined" in w]
            findings += [Finding("warn", "", w) for w in compiled.warnings if "undefined" not in w]
        except SymphonyError as exc:
            findings = [Finding("error", "", exc.message)]
        for f in findings:
            ui.status("fail" if f.level == "error" else "warn",
                      f"[{name}] {f.where + ': ' if f.where else ''}{f.message}")
        errors += sum(f.level == "error" for f in findings)
        warns += sum(f.level == "warn" for f in findings)
    ui.say(f"{len(profiles)} profile(s) checked from {source.describe()}: {errors} error(s), {warns} warning(s)")
    return errors, warns
