"""Read a profile's fragments in order and resolve every value against FINAL definitions."""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from symphony.core.envcompiler.dynamic import dynamic_values
from symphony.core.envcompiler.model import CompiledEnv, Definition, EnvError, Lit, Ref
from symphony.core.envcompiler.parse import parse_fragment

SECRETS_FRAGMENT = "common/secrets.env"


def read_definitions(config_root: Path, profile: str) -> tuple[list[Definition], list[str], list[str]]:
    """All definitions in order (profile, its includes depth-first, then secrets last)."""
    env_dir = Path(config_root) / "environments"
    profile_rel = f"profiles/{profile}.env"
    if not (env_dir / profile_rel).is_file():
        available = sorted(p.stem for p in (env_dir / "profiles").glob("*.env")) if (env_dir / "profiles").is_dir() else []
        raise EnvError(f"profile {profile!r} has no file environments/{profile_rel} in {config_root}",
                       hint=f"profiles in this config repo: {', '.join(available) or '(none)'}")
    definitions: list[Definition] = []
    fragments: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    problems: list[EnvError] = []

    def include(rel: str, chain: tuple[str, ...], where: str) -> None:
        if rel in chain:
            loop = " -> ".join((*chain[chain.index(rel):], rel))
            raise EnvError(f"{where}: include cycle: {loop}", hint="remove one of the `source` lines in the cycle")
        if rel in seen:
            warnings.append(f"{where}: {rel} is sourced again; it was already read, ignoring the repeat")
            return
        path = env_dir / rel
        if not path.is_file():
            raise EnvError(f"{where}: sourced fragment environments/{rel} does not exist",
                           hint="fix the path (relative to environments/) or create the file")
        seen.add(rel)
        fragments.append(rel)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise EnvError(f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                           hint="save the file as UTF-8") from None
        for entry in parse_fragment(text, rel, problems):
            if isinstance(entry, Definition):
                definitions.append(entry)
            else:
                _, target, line = entry
                include(os.path.normpath(target), (*chain, rel), f"{rel}:{line}")

    include(profile_rel, (), f"profile {profile}")
    if (env_dir / SECRETS_FRAGMENT).is_file() and SECRETS_FRAGMENT not in seen:
        include(SECRETS_FRAGMENT, (), "secrets (always read last)")
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise EnvError(f"{len(problems)} bad lines in the config repo {config_root}:\n"
                       + "\n".join(f"  {p.message}" + (f"  ({p.hint})" if p.hint else "") for p in problems),
                       hint="fix them all, then run again; nothing was written")
    return definitions, fragments, warnings


def compile_env(
    config_root: Path,
    profile: str,
    *,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] = os.environ,
    strict: bool = True,
    dynamic: Mapping[str, str] | None = None,
) -> CompiledEnv:
    """Compile `profile` of the config repo at `config_root`.

    Precedence, low to high: dynamic defaults (DETECTED_IP, TAG=latest, CONFIG_REPO_PATH),
    fragments in order (secrets last), TAG from `environ`, `overrides` (--set).
    Every reference resolves against the final value of what it names. With
    strict=False an undefined reference becomes "" plus a warning instead of an error.
    """
    config_root = Path(config_root).resolve()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))  # long reference chains recurse
    definitions, fragments, warnings = read_definitions(config_root, profile)
    dyn = dict(dynamic) if dynamic is not None else dynamic_values(config_root, environ)
    history: dict[str, list[Definition]] = {}
    for key, value in dyn.items():
        history.setdefault(key, []).append(Definition(key, (Lit(value),), "(dynamic)", 0, value))
    for d in definitions:
        history.setdefault(d.key, []).append(d)
    if environ.get("TAG"):
        history.setdefault("TAG", []).append(Definition("TAG", (Lit(environ["TAG"]),), "(environment TAG)", 0, environ["TAG"]))
    for key, value in (overrides or {}).items():
        history.setdefault(key, []).append(Definition(key, (Lit(value),), "(--set)", 0, value))

    resolver = _Resolver({k: v[-1] for k, v in history.items()}, strict, warnings)
    values = {key: resolver.value(key) for key in history}
    groups = _group(history)
    ordered = {k: values[k] for _, keys in groups for k in keys}
    return CompiledEnv(profile, str(config_root), ordered, groups, history, fragments, warnings, resolver.uses)


def _group(history: dict[str, list[Definition]]) -> list[tuple[str, list[str]]]:
    """Keys grouped by the file of their final definition, files in first-seen order."""
    order: dict[str, list[str]] = {}
    for key, defs in history.items():
        order.setdefault(defs[-1].file, []).append(key)
    files = list(order)
    tail = [f for f in ("(environment TAG)", "(--set)") if f in order]
    head = [f for f in files if f == "(dynamic)"]
    middle = [f for f in files if f not in tail and f not in head]
    return [(f, order[f]) for f in (*middle, *head, *tail)]


class _Resolver:
    def __init__(self, final: dict[str, Definition], strict: bool, warnings: list[str]):
        self.final = final
        self.strict = strict
        self.warnings = warnings
        self.done: dict[str, str] = {}
        self.stack: list[str] = []
        self.uses: dict[str, list[str]] = {}

    def value(self, key: str) -> str:
        if key in self.done:
            return self.done[key]
        if key in self.stack:
            loop = self.stack[self.stack.index(key):] + [key]
            chain = " -> ".join(loop)
            places = ", ".join(f"{k} at {self.final[k].where}" for k in loop[:-1])
            raise EnvError(f"reference cycle: {chain} ({places})", hint="break the cycle by writing one value literally")
        self.stack.append(key)
        d = self.final[key]
        names: list[str] = []
        text = self._expand(d.parts, d, names)
        self.stack.pop()
        self.uses[key] = names
        self.done[key] = text
        return text

    def _expand(self, parts, d: Definition, names: list[str]) -> str:
        out = []
        for p in parts:
            if isinstance(p, Lit):
                out.append(p.text)
            else:
                out.append(self._ref(p, d, names))
        return "".join(out)

    def _ref(self, ref: Ref, d: Definition, names: list[str]) -> str:
        names.append(ref.name)
        defined = ref.name in self.final
        current = self.value(ref.name) if defined else None
        op = ref.op
        if op is None:
            if not defined:
                return self._undefined(ref.name, d)
            return current
        empty = not current
        if op in (":-", "-"):
            use_default = (not defined) or (op == ":-" and empty)
            return self._expand(ref.word, d, names) if use_default else current
        if op in (":+", "+"):
            use_alt = defined and not (op == ":+" and empty)
            return self._expand(ref.word, d, names) if use_alt else ""
        # :? and ?
        if (not defined) or (op == ":?" and empty):
            message = self._expand(ref.word, d, names) or "is required"
            raise EnvError(f"{d.where}: {ref.name}: {message}", hint=f"define {ref.name} in the config repo or with --set")
        return current

    def _undefined(self, name: str, d: Definition) -> str:
        if self.strict:
            raise EnvError(f"{d.where}: {d.key} references undefined variable {name}",
                           hint=f"define {name}, write ${{{name}:-default}}, or pass --allow-undefined")
        self.warnings.append(f"{d.where}: {d.key} references undefined variable {name} (left empty)")
        return ""
