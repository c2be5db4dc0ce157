"""Read a profile's fragments in order and resolve every value against FINAL definitions.

Fragments are confined to the config repo's `environments/` directory: a `source` path is
relative to it, must not leave it (`..`, an absolute path, or a symlink resolving elsewhere are
refused), and must be a regular file. A profile is `environments/profiles/<name>.env`, nothing
else. Files elsewhere come in only when the user names them (`extra_files`).

Costs are linear and bounded: a fragment is at most MAX_FRAGMENT_BYTES, a value (as written or
expanded) at most MAX_VALUE_CHARS, all values together at most MAX_TOTAL_CHARS; past a limit the
compiler stops with an error naming the variable and where it is defined.
"""
from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from symphony.core.envcompiler.dynamic import dynamic_values
from symphony.core.envcompiler.model import CompiledEnv, Definition, EnvError, Lit, Ref
from symphony.core.envcompiler.parse import BASH_SPECIAL_NAMES, parse_fragment
from symphony.core.memory import no_cycle_collection
from symphony.core.secrets import is_secret_name, is_secrets_fragment, url_has_password

SECRETS_FRAGMENT = "common/secrets.env"
MAX_FRAGMENT_BYTES = 64 * 1024 * 1024
MAX_VALUE_CHARS = 16 * 1024 * 1024
MAX_TOTAL_CHARS = 64 * 1024 * 1024
MAX_SOURCE_DEPTH = 64
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # fullmatch: "demo\n" is no name
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DYNAMIC = "(dynamic)"
ENV_TAG = "(environment TAG)"
SET = "(--set)"


def _resolved(path: str | Path, dirs: dict) -> str:
    """os.path.realpath(path), with each directory resolved once per compile (a profile of
    1,000 services reads 1,000 fragments from a handful of directories)."""
    parent, name = os.path.split(os.fspath(path))
    if parent not in dirs:
        dirs[parent] = os.path.realpath(parent)
    candidate = os.path.join(dirs[parent], name)
    return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def _read_fragment(real: str, shown: str, boundary: str | None) -> str:
    """The text of a fragment at `real` (a path _resolved already): a regular file inside `boundary`
    (a resolved directory), if given."""
    if boundary is not None and not real.startswith(boundary + os.sep):
        raise EnvError(f"{shown} resolves to {real}, outside the config repo's environments/ directory",
                       hint="fragments must live in environments/ of the config repo (symlinks included); "
                            "to add a file from elsewhere name it with symphony.extra_env_files")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)  # POSIX, as O_NONBLOCK
    except FileNotFoundError:
        raise EnvError(f"{shown} does not exist",
                       hint="fix the path (relative to environments/) or create the file" if boundary is not None
                       else "fix the path in symphony.extra_env_files, or create the file") from None
    except OSError as exc:
        raise EnvError(f"{shown}: cannot read ({exc.strerror})", hint="check the file and its permissions") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EnvError(f"{shown} is not a regular file", hint="a fragment must be a plain text file")
        if info.st_size > MAX_FRAGMENT_BYTES:
            raise EnvError(f"{shown} is larger than {MAX_FRAGMENT_BYTES:,} bytes",
                           hint="a fragment holds settings; mount large data as a file instead")
        chunks, size = [], 0
        while size <= MAX_FRAGMENT_BYTES:  # (asking for the file's size plus one: no 64 MB buffer per read)
            wanted = max(info.st_size + 1 - size, 1 << 16)
            chunk = os.read(fd, wanted)
            chunks.append(chunk)
            size += len(chunk)
            if len(chunk) < wanted:  # a regular file reads short only at its end
                break
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > MAX_FRAGMENT_BYTES:
        raise EnvError(f"{shown} is larger than {MAX_FRAGMENT_BYTES:,} bytes",
                       hint="mount large data as a file instead")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EnvError(f"{shown}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                       hint="save the file as UTF-8") from None


def read_definitions(config_root: Path, profile: str,
                     extra_files: Sequence[Path] = ()) -> tuple[list[Definition], list[str], list[str]]:
    """All definitions in order (profile, its includes depth-first, secrets, then extra files)."""
    env_dir = Path(config_root) / "environments"
    profiles_dir = env_dir / "profiles"

    def available() -> str:
        return ", ".join(sorted(p.stem for p in profiles_dir.glob("*.env"))) or "(none)"  # none: no profiles/

    if not _PROFILE_NAME.fullmatch(profile or "") or ".." in profile:
        raise EnvError(f"profile {profile!r} is not a profile name (a file name in environments/profiles/, "
                       "without .env)", hint=f"profiles in this config repo: {available()}")
    profile_rel = f"profiles/{profile}.env"
    if not os.path.lexists(env_dir / profile_rel):
        raise EnvError(f"profile {profile!r} has no file environments/{profile_rel} in {config_root}",
                       hint=f"profiles in this config repo: {available()}")
    boundary = os.path.realpath(env_dir)
    definitions: list[Definition] = []
    fragments: list[str] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}  # real path -> the name it was first read by
    secrets_real = os.path.realpath(env_dir / SECRETS_FRAGMENT)
    problems: list[EnvError] = []
    resolved_dirs: dict = {}

    def include(rel: str, chain: tuple[str, ...], where: str | None) -> None:
        # where: the `source` line (file:line); None for the profile and secrets.env, which are named by their path
        if rel.startswith("/") or rel == ".." or rel.startswith("../"):
            raise EnvError(f"{where}: `source` of a path outside environments/ is refused",
                           hint="source fragments by their path relative to environments/, e.g. common/base.env")
        if len(chain) >= MAX_SOURCE_DEPTH:
            raise EnvError(f"{where}: `source` nested deeper than {MAX_SOURCE_DEPTH} levels",
                           hint="flatten the includes")
        if rel in chain:
            loop = " -> ".join((*chain[chain.index(rel):], rel))
            raise EnvError(f"{where}: include cycle: {loop}", hint="remove one of the `source` lines in the cycle")
        # the file itself, whatever name reaches it (a symlinked directory is a second name)
        real = _resolved(os.path.join(env_dir, rel), resolved_dirs)  # (directories resolved once per compile)
        if chain and real == secrets_real:  # read last whoever sources it, by any name: no later placeholder wins
            warnings.append(f"{where}: {rel} is read last anyway (after every fragment); this `source` is skipped")
            return
        if real in seen:
            again = "" if seen[real] == rel else f" (the same file as {seen[real]})"
            warnings.append(f"{where}: {rel} is sourced again{again}; it was already read, ignoring the repeat "
                            "(so it cannot undo an override made after the first time)")
            return
        text = _read_fragment(real, f"{where}: sourced fragment environments/{rel}"
                              if chain else f"environments/{rel}", boundary)
        seen[real] = rel
        fragments.append(rel)
        for entry in parse_fragment(text, rel, problems):
            if isinstance(entry, Definition):
                definitions.append(entry)
            else:
                _, target, line = entry
                include(os.path.normpath(target), (*chain, rel), f"{rel}:{line}")

    include(profile_rel, (), None)
    if os.path.lexists(env_dir / SECRETS_FRAGMENT) and SECRETS_FRAGMENT != profile_rel:
        include(SECRETS_FRAGMENT, (), None)  # always read last
    for extra in extra_files:
        shown = str(Path(extra).expanduser())
        text = _read_fragment(_resolved(Path(shown), resolved_dirs), f"extra env file {shown}", None)
        fragments.append(shown)
        for entry in parse_fragment(text, shown, problems):
            if isinstance(entry, Definition):
                definitions.append(entry)
            else:
                problems.append(EnvError(f"{shown}:{entry[2]}: `source` is not allowed in an extra env file",
                                         hint="name every extra file in symphony.extra_env_files"))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise EnvError(f"{len(problems)} bad lines in the config repo {config_root}:\n"
                       + "\n".join(f"  {p.message}  ({p.hint})" for p in problems),  # every refusal has a hint
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
    extra_files: Sequence[Path] = (),
) -> CompiledEnv:
    """Compile `profile` of the config repo at `config_root`.

    Precedence, low to high: dynamic defaults (DETECTED_IP, TAG=latest, CONFIG_REPO_PATH),
    TAG from `environ` (only when no fragment sets TAG), fragments in order (secrets, then
    `extra_files`, last), `overrides` (--set). Every reference resolves against the final value
    of what it names. With strict=False an undefined reference becomes "" plus a warning.
    """
    # ~100,000 small acyclic objects for 1,000 services: with the cycle collector running, its full
    # collections rescan the growing heap and the cost turns superlinear (25x for 10x the lines)
    with no_cycle_collection():
        config_root = Path(config_root).resolve()
        definitions, fragments, warnings = read_definitions(config_root, profile, extra_files)
        dyn = dict(dynamic) if dynamic is not None else dynamic_values(config_root)
        history: dict[str, list[Definition]] = {}
        for key, value in dyn.items():
            history.setdefault(key, []).append(Definition(key, (Lit(value),), DYNAMIC, 0, value))
        env_tag = environ.get("TAG")
        if env_tag:
            tag_defs = [d for d in definitions if d.key == "TAG"]
            if tag_defs:
                warnings.append(f"TAG from your environment is ignored: the config sets TAG at "
                                f"{tag_defs[-1].where} (override it with --set TAG=...)")
            else:
                history.setdefault("TAG", []).append(Definition("TAG", (Lit(env_tag),), ENV_TAG, 0, env_tag))
        for d in definitions:
            history.setdefault(d.key, []).append(d)
        for key, value in (overrides or {}).items():
            if not _KEY.match(key):
                raise EnvError(f"--set: {key!r} is not a variable name", hint="names are letters, digits and _")
            if key in BASH_SPECIAL_NAMES:
                raise EnvError(f"--set {key}=…: {key} is a variable bash sets itself", hint="rename the variable")
            history.setdefault(key, []).append(Definition(key, (Lit(value),), SET, 0, value))

        # a fragment's secret-ness is decided once per file, not once per definition (every definition
        # not from a fragment is from DYNAMIC, ENV_TAG or SET, which name no file)
        secret_files = {f for f in fragments if is_secrets_fragment(f)}
        from_secret_file = {d.key for d in definitions if d.file in secret_files}
        base_secret = from_secret_file | {k for k in history if is_secret_name(k)}
        resolver = _Resolver({k: v[-1] for k, v in history.items()}, strict, warnings, base_secret)
        resolver.run(list(history))
        values = resolver.done
        secrets: dict[str, str] = {}
        for key in history:
            if key in base_secret:
                secrets[key] = "defined in a secrets fragment" if key in from_secret_file else "name marks a secret"
            elif resolver.tainted.get(key):
                secrets[key] = "built from a secret"
            elif url_has_password(values[key]):
                secrets[key] = "URL with credentials"
        groups = _group(history)
        ordered = {k: values[k] for _, keys in groups for k in keys}
        return CompiledEnv(profile, str(config_root), ordered, groups, history, fragments, warnings, resolver.uses,
                           secrets)


def _group(history: dict[str, list[Definition]]) -> list[tuple[str, list[str]]]:
    """Keys grouped by the file of their final definition, files in first-seen order."""
    order: dict[str, list[str]] = {}
    for key, defs in history.items():
        order.setdefault(defs[-1].file, []).append(key)
    files = list(order)
    tail = [f for f in (ENV_TAG, SET) if f in order]
    head = [f for f in files if f == DYNAMIC]
    middle = [f for f in files if f not in tail and f not in head]
    return [(f, order[f]) for f in (*middle, *head, *tail)]


class _Need:
    """What an expansion asks the driver for: the value of `name`."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class _Resolver:
    """Lazy, final-value resolution without recursion: each key's expansion is a generator that
    yields the names whose values it needs; `run` drives them with an explicit stack, so a
    reference chain of any length needs no Python recursion."""

    def __init__(self, final: dict[str, Definition], strict: bool, warnings: list[str], secret: set[str]):
        self.final = final
        self.strict = strict
        self.warnings = warnings
        self.secret = secret
        self.done: dict[str, str] = {}
        # a name whose value is secret or built from one: a value referencing it is built from a secret
        self.tainted: dict[str, bool] = {}
        self.uses: dict[str, list[str]] = {}
        self.total = 0

    def run(self, keys: list[str]) -> None:
        done, final, tainted, lit = self.done, self.final, self.tainted, Lit
        for key in keys:
            if key in done:
                continue
            # the commonest values in one step: text and plain ${NAME}s of names already resolved
            # (a reference to a later or undefined name, or with an operator, takes the driven path)
            texts, names, taint = [], [], False
            for p in final[key].parts:
                if type(p) is lit:
                    texts.append(p.text)
                elif p.op is None and p.name in done:
                    names.append(p.name)
                    texts.append(done[p.name])
                    taint = taint or tainted[p.name]
                else:
                    break
            else:
                text = "".join(texts)
                if len(text) > MAX_VALUE_CHARS:
                    self._too_long(final[key])
                self.uses[key] = names
                self._finish(key, text, taint)
                continue
            stack = [(key, self._value(key))]
            on_stack = {key}
            send = None
            while stack:
                name, gen = stack[-1]
                try:
                    need = gen.send(send)
                except StopIteration as stop:
                    text, taint = stop.value
                    self._finish(name, text, taint)
                    stack.pop()  # `name` is done now: a later need of it is answered before on_stack is asked
                    send = (text, self.tainted[name])
                    continue
                target = need.name
                if target in self.done:
                    send = (self.done[target], self.tainted[target])
                    continue
                if target in on_stack:
                    names = [n for n, _ in stack]
                    loop = names[names.index(target):] + [target]
                    places = ", ".join(f"{k} at {self.final[k].where}" for k in loop[:-1])
                    raise EnvError(f"reference cycle: {' -> '.join(loop)} ({places})",
                                   hint="break the cycle by writing one value literally")
                stack.append((target, self._value(target)))
                on_stack.add(target)
                send = None

    @staticmethod
    def _too_long(d: Definition):
        raise EnvError(f"{d.where}: {d.key} expands to more than {MAX_VALUE_CHARS:,} characters",
                       hint="an env value holds a setting; check for references that repeat a large value")

    def _finish(self, name: str, text: str, taint: bool) -> None:
        self.total += len(text)
        if self.total > MAX_TOTAL_CHARS:
            raise EnvError(f"the values of this profile add up to more than {MAX_TOTAL_CHARS:,} characters "
                           f"(reached at {name}, {self.final[name].where})",
                           hint="an env file holds settings; mount large data as a file instead") from None
        self.done[name] = text
        self.tainted[name] = taint or name in self.secret

    def _value(self, key: str):
        d = self.final[key]
        names: list[str] = []
        self.uses[key] = names
        text, taint = yield from self._expand(d.parts, d, names)
        return text, taint

    def _expand(self, parts, d: Definition, names: list[str]):
        out: list[str] = []
        size = 0
        taint = False
        for p in parts:
            if isinstance(p, Lit):
                piece, t = p.text, False
            else:
                piece, t = yield from self._ref(p, d, names)
            size += len(piece)
            if size > MAX_VALUE_CHARS:
                self._too_long(d)
            out.append(piece)
            taint = taint or t
        return "".join(out), taint

    def _get(self, name: str):
        return (yield _Need(name))

    def _ref(self, ref: Ref, d: Definition, names: list[str]):
        names.append(ref.name)
        defined = ref.name in self.final
        op = ref.op
        if op is None:
            if not defined:
                return self._undefined(ref.name, d), False
            return (yield from self._get(ref.name))
        if op == "+":  # only whether NAME is defined matters: its value is never read
            return (yield from self._expand(ref.word, d, names)) if defined else ("", False)
        current, taint = (yield from self._get(ref.name)) if defined else ("", False)
        empty = not current
        if op in (":-", "-"):
            use_default = (not defined) or (op == ":-" and empty)
            return (yield from self._expand(ref.word, d, names)) if use_default else (current, taint)
        if op == ":+":
            return (yield from self._expand(ref.word, d, names)) if not empty else ("", False)
        # :? and ?
        if (not defined) or (op == ":?" and empty):
            if d.key in self.secret:  # text of a secret's definition: say where, not what
                raise EnvError(f"{d.where}: {d.key} requires a variable that is not set (the names in a secret's "
                               "definition are not shown)", hint=f"check the definition of {d.key}")
            message = _message(ref.word) or ("is not set" if op == "?" else "is not set or empty")
            raise EnvError(f"{d.where}: {ref.name}: {message}",
                           hint=f"define {ref.name} in the config repo or with --set")
        return current, taint

    def _undefined(self, name: str, d: Definition) -> str:
        if d.key in self.secret:  # `PW=pa${ss}word` must not print "ss"
            if self.strict:
                raise EnvError(f"{d.where}: {d.key} references an undefined variable (the names in a secret's "
                               "definition are not shown)",
                               hint=f"check the definition of {d.key}: a literal $ needs single quotes or \\$")
            self.warnings.append(f"{d.where}: {d.key} references an undefined variable (left empty)")
            return ""
        if self.strict:
            raise EnvError(f"{d.where}: {d.key} references undefined variable {name}",
                           hint=f"define {name}, write ${{{name}:-default}}, or pass --allow-undefined")
        self.warnings.append(f"{d.where}: {d.key} references undefined variable {name} (left empty)")
        return ""


def _message(word) -> str:
    """The text of `${V:?word}` for an error message: literal text as written, references shown
    by name and never expanded (a message must not carry a secret)."""
    out = []
    for p in word:
        if isinstance(p, Lit):
            out.append(p.text)
        elif p.op is None:
            out.append(f"${{{p.name}}}")
        else:
            out.append(f"${{{p.name}{p.op}{_message(p.word)}}}")
    return "".join(out)[:200]
