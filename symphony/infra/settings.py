"""Symphony's settings, read once from Invoke's config (`symphony:` in invoke.yaml,
~/.invoke.yaml, INVOKE_SYMPHONY_* variables) into one typed, immutable object.

The application layer takes a `Settings`, never Invoke's context: it can be called, and tested,
without Invoke. Timeouts are validated here, each error naming where the bad value came from.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from symphony.errors import UsageError


@dataclass(frozen=True)
class Settings:
    default_profile: str = "demo"
    config_path: str = ""
    config_url: str = "git@github.com:sentiric/sentiric-config.git"
    config_ref: str = ""
    # strings on purpose: Invoke casts an INVOKE_SYMPHONY_* override to the type of the default,
    # and a bad number would then be a traceback instead of Symphony's own message
    lock_timeout: str = "600"
    health_timeout: str = "300"
    extra_env_files: tuple = ()  # env files outside the config repo, named explicitly (read after secrets.env)

    @classmethod
    def from_mapping(cls, section) -> Settings:
        """From the `symphony` section of Invoke's config (missing or None values: defaults)."""
        values = {}
        for f in fields(cls):
            try:
                value = section.get(f.name) if section is not None else None
            except AttributeError:
                value = None
            if value is not None:
                values[f.name] = _setting(f.name, value)
        return cls(**values)

    def seconds(self, key: str, flag_value=None, flag: str = "", *, waiting: bool = True) -> float:
        """The flag's value if given, else this setting's, as validated seconds (a health timeout
        of 0 leaves nothing to wait for: refused, unless nothing waits)."""
        zero = key != "health_timeout" or not waiting
        if flag_value is not None:
            return seconds_value(flag_value, flag, zero=zero)
        return seconds_value(getattr(self, key), f"symphony.{key} (Invoke config)",
                             hint=f"fix it in invoke.yaml or INVOKE_SYMPHONY_{key.upper()}"
                                  + (f", or pass {flag}" if flag else ""), zero=zero)


DEFAULTS = Settings()


def _setting(name: str, value):
    """One setting as Settings holds it: text (a number is read as its text: `config_ref: 2024`),
    or for extra_env_files one path or a list of them; any other shape is a usage error naming it."""
    def text(v):
        if isinstance(v, str):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
        raise UsageError(f"symphony.{name} (Invoke config) is {type(v).__name__} {v!r}, not text",
                         hint=f"fix it in invoke.yaml or INVOKE_SYMPHONY_{name.upper()}"
                              + (": a path, or a list of paths" if name == "extra_env_files" else ""))

    if name == "extra_env_files":
        return tuple(text(v) for v in value) if isinstance(value, (list, tuple)) else (text(value),)
    return text(value)


MAX_SECONDS = 7 * 24 * 3600


def seconds_value(value, what: str, hint: str = "", zero: bool = True) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what} {value!r} is not a number of seconds", hint=hint) from None
    if seconds < 0 or seconds != seconds:  # negative or NaN
        raise UsageError(f"{what} {value!r} must be a non-negative number of seconds", hint=hint)
    if seconds > MAX_SECONDS:  # inf, 1e309: "wait for ever" said by accident
        raise UsageError(f"{what} {value!r} is more than a week ({MAX_SECONDS:.0f} seconds)",
                         hint=hint or "give the seconds to wait")
    if seconds == 0 and not zero:
        raise UsageError(f"{what} {value!r} leaves no time to become healthy",
                         hint=hint or "give the seconds to wait, or --no-wait to start without waiting")
    return seconds
