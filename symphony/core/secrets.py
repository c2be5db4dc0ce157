"""The one rule that says which variables are secret (masking, env.check, Kubernetes Secrets)."""
from __future__ import annotations

import re

SECRET_SUFFIXES = ("_PASSWORD", "_PASS", "_SECRET", "_TOKEN", "_KEY")
SECRET_NAMES = {"PASSWORD", "PASS", "SECRET", "TOKEN", "KEY"}
NOT_SECRET_SUFFIXES = ("_KEY_PATH",)
# scheme://user:password@host — a URL that carries a password in its userinfo.
_URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")


def secret_reason(key: str, value: str | None = None) -> str | None:
    """Why `key` (with `value`) is secret, or None if it is not."""
    upper = key.upper()
    if upper.endswith(NOT_SECRET_SUFFIXES):
        return None
    if upper in SECRET_NAMES or upper.endswith(SECRET_SUFFIXES):
        return "name marks a secret"
    if value and _URL_WITH_PASSWORD.search(value):
        return "URL with credentials"
    return None


def is_secret(key: str, value: str | None = None) -> bool:
    return secret_reason(key, value) is not None


def secret_values(env: dict[str, str]) -> list[str]:
    """The values to mask in any output derived from `env`."""
    return [v for k, v in env.items() if v and is_secret(k, v)]
