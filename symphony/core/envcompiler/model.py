"""Data shapes shared by the env compiler's parser, resolver and writer."""
from __future__ import annotations

from dataclasses import dataclass, field
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
        return f"{self.file}:{self.line}"


@dataclass
class CompiledEnv:
    profile: str
    config_root: str
    values: dict[str, str]  # final values, in output order
    groups: list[tuple[str, list[str]]]  # (origin, keys) in output order
    history: dict[str, list[Definition]]  # every definition of a key, first to last
    fragments: list[str]  # files read, in order
    warnings: list[str] = field(default_factory=list)
    references: dict[str, list[str]] = field(default_factory=dict)  # key -> names its final value uses
    secrets: dict[str, str] = field(default_factory=dict)  # secret key -> why (tasks/secrets.py has the rule)

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
