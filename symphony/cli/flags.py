"""Flag values checked before anything talks to the engine (usage errors, exit 2)."""
from __future__ import annotations

import re

from symphony.errors import UsageError

_SINCE = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|\d+(\.\d+)?"
                    r"|\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?")


_UNIX_TIME = re.compile(r"\d+(\.\d+)?")
LAST_UNIX_TIME = 253402300799  # 9999-12-31T23:59:59Z: Docker's time parsing goes no further


def since_flag(value: str) -> str:
    """What `docker logs --since` accepts: a duration (42m, 1h30m), a Unix time, or a date/time
    that exists (2026-13-45 matches the shape, and Compose refuses it)."""
    from datetime import datetime

    if not _SINCE.fullmatch(value):
        raise UsageError(f"--since {value!r} is not a duration (10m, 1h30m), a Unix time "
                         "or a date (2026-11-25T10:00:00Z)")
    if _UNIX_TIME.fullmatch(value) and float(value) > LAST_UNIX_TIME:
        raise UsageError(f"--since {value!r} is a Unix time after the year 9999",
                         hint="a Unix time in seconds, e.g. 1764000000")
    if value[4:5] == "-":  # a date
        try:
            datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            raise UsageError(f"--since {value!r} is not a date that exists",
                             hint="a date as 2026-11-25 or 2026-11-25T10:00:00Z") from None
    return value


def tail_flag(value) -> str | None:
    if value is not None and not (str(value).isascii() and str(value).isdigit()):  # not "٣" either
        raise UsageError(f"--tail {value!r} is not a number of lines")
    return None if value is None else str(value)


def one_profile_or_all(profile, every: bool) -> None:
    """--profile and --all name alternatives (compose.check, env.check): both is a usage error, not
    --all silently winning."""
    if every and profile is not None:
        raise UsageError("--profile and --all are alternatives: one profile, or every one", hint="drop one of them")
