"""A lint finding (compose.check, env.check, k8s.validate): level, where (file:line), message."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    level: str  # error | warn
    where: str  # file:line, or "" when the finding is about the whole input
    message: str
