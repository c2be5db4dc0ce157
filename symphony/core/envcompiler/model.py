"""Data shapes shared by the env compiler's parser, resolver and writer."""
from __future__ import annotations

from typing import NamedTuple

from symphony.errors import UsageError


class EnvError(UsageError):
    """Bad config input; the message names file:line."""


# Immutable records as named tuples: a profile of 1,000 services makes ~40,000 of them, and a
# named tuple is made in under half the time of a frozen dataclass (same fields, repr and equality
# among themselves).
class Lit(NamedTuple):
    text: str


class Ref(NamedTuple):
    """`$NAME` / `${NAME}` (op None) or `${NAME<op>word}` with op in :- - :+ + :? ?."""

    name: str
    op: str | None = None
    word: tuple = ()


class Definition(NamedTuple):
    key: str
    parts: tuple  # of Lit | Ref
    file: str  # path relative to the config root, for messages
    line: int
    raw: str  # the value as written

    @property
    def where(self) -> str:
        """file:line, or only the name of a source that has no lines (`(--set)`, `(detected)`)."""
        return f"{self.file}:{self.line}" if self.line else self.file


class CompiledEnv:
    """A compiled profile. (A plain class: a dataclass would cost ~0.5 ms of every env.* call's
    start-up to generate its methods, and nothing compares two of them.)"""

    __slots__ = ("profile", "config_root", "values", "groups", "history", "fragments", "warnings", "references",
                 "secrets")

    def __init__(self, profile: str, config_root: str, values: dict[str, str], groups: list[tuple[str, list[str]]],
                 history: dict[str, list[Definition]], fragments: list[str], warnings: list[str],
                 references: dict[str, list[str]], secrets: dict[str, str]):
        self.profile = profile
        self.config_root = config_root
        self.values = values  # final values, in output order
        self.groups = groups  # (origin, keys) in output order
        self.history = history  # every definition of a key, first to last
        self.fragments = fragments  # files read, in order
        self.warnings = warnings
        self.references = references  # key -> names its final value uses
        self.secrets = secrets  # secret key -> why (core/secrets.py has the rule)

    def __repr__(self) -> str:  # names and sizes only: the values may be secrets
        return (f"CompiledEnv(profile={self.profile!r}, config_root={self.config_root!r}, "
                f"{len(self.values)} values, {len(self.fragments)} fragments)")

    def secret_values(self) -> list[str]:
        """Every value to mask: final values of secret keys, and what any definition of a key that
        is secret by name or fragment wrote literally (an overridden or rotated-away password)."""
        found = [self.values[k] for k in self.secrets if self.values.get(k)]
        for key, reason in self.secrets.items():
            if reason == "built from a secret":
                continue
            for d in self.history.get(key, ()):
                found.extend(p.text for p in d.parts if isinstance(p, Lit) and p.text)
        return found
