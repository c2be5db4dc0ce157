"""`env.check`: findings about a config repo beyond what compiling already refuses."""
from __future__ import annotations

import re

from symphony.core.envcompiler.compile import SECRETS_FRAGMENT
from symphony.core.envcompiler.model import CompiledEnv
from symphony.core.findings import Finding
from symphony.core.secrets import is_secrets_fragment

PLACEHOLDERS = {"", "changeme", "change_me", "change-me", "todo", "xxx", "secret", "password", "example", "admin"}


def is_placeholder(value: str) -> bool:
    """A secret's value that is a well-known default or a stand-in (one rule: env.check warns,
    obs.up refuses it for Grafana outside the demo)."""
    return value.strip().lower() in PLACEHOLDERS
# $$ (a literal $ for Compose), ${VAR}, ${VAR:-d} and the other operators, $VAR, and the } that ends a ${
_COMPOSE_TOKEN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+?])?|\$([A-Za-z_][A-Za-z0-9_]*)|\}")
_CONDITIONAL = (":-", "-", ":+", "+")  # operators whose argument Compose reads only in one case




# Set by Compose itself for interpolation (from `-p`), never by the env
COMPOSE_PROVIDED = frozenset({"COMPOSE_PROJECT_NAME"})


def compose_variables(text: str) -> dict[str, tuple[int, bool]]:
    """Variables a compose file takes from the env: name -> (line, every use has a default); the
    line is the first use without a default, else the first use. Read from
    its values as Compose interpolates them (a comment or a key is not interpolated, `$$` is a
    literal `$`); a file that is not YAML has none (compose.check names its error)."""
    import yaml

    from symphony.core.yamlio import parse

    try:
        return variables_in(parse(text).scalars)
    except yaml.YAMLError:
        return {}


def variables_in(values: list[tuple[int, str]]) -> dict[str, tuple[int, bool]]:
    """compose_variables of a file's scalar values, given as (line, text) in file order."""
    found: dict[str, tuple[int, bool]] = {}
    for number, value in values:
        enclosing: list[str | None] = []  # the operators of the ${ we are inside
        for m in _COMPOSE_TOKEN.finditer(value):
            if m.group(0) in ("$$", "}"):
                if m.group(0) == "}" and enclosing:
                    enclosing.pop()
                continue
            name = m.group(1) or m.group(3)
            # a variable in a default or a replacement (`${A:-${B}}`) is read only when A is missing
            has_default = m.group(2) in _CONDITIONAL or any(op in _CONDITIONAL for op in enclosing)
            if m.group(1):
                enclosing.append(m.group(2))
            prev = found.get(name)
            if prev is None or (prev[1] and not has_default):  # the line of the first use without a default
                found[name] = (number, has_default)
    return {name: v for name, v in found.items() if name not in COMPOSE_PROVIDED}


def lint(compiled: CompiledEnv, compose_text: str | None = None, compose_name: str = "") -> list[Finding]:
    from symphony.core.envcompiler.writer import unwritable_reason

    findings: list[Finding] = []
    for key, value in compiled.values.items():  # what env.generate would refuse to write
        reason = unwritable_reason(value)
        if reason:
            findings.append(Finding("error", compiled.history[key][-1].where,  # every value comes from these
                                    f"{key}: the value cannot be written so that bash, python-dotenv and Compose "
                                    f"read it the same: {reason}"))
    for key, defs in compiled.history.items():
        secret = compiled.secrets.get(key)
        # Profiles override on purpose; a clash between two shared fragments is a mistake.
        real = [d for d in defs if not d.file.startswith(("(", "profiles/"))]
        raws = {d.raw for d in real}
        files = {d.file for d in real}
        if len(files) > 1 and len(raws) > 1:
            places = ", ".join(d.where if secret else f"{d.where} ({d.raw!r})" for d in real)
            findings.append(Finding("warn", real[-1].where,
                                    f"{key} is defined with different values: {places}; the last wins"))
        if secret not in ("name marks a secret", "defined in a secrets fragment"):
            continue  # a URL built from a secret is masked, but it is neither a placeholder nor misplaced
        final = defs[-1]
        value = compiled.values.get(key, "")
        if is_placeholder(value):
            findings.append(Finding("warn", final.where,
                                    f"{key} holds a placeholder secret; set a real value in {SECRETS_FRAGMENT}"))
        if not is_secrets_fragment(final.file) and not final.file.startswith("("):
            findings.append(Finding("warn", final.where,
                                    f"{key} looks secret but is defined outside {SECRETS_FRAGMENT}; move it there"))
    if compose_text is not None:
        for name, (line, has_default) in sorted(compose_variables(compose_text).items()):
            if name not in compiled.values and not has_default:
                findings.append(Finding("error", f"{compose_name}:{line}",
                                        f"the compose file uses ${{{name}}} but the profile's env does not define it"))
    return findings
