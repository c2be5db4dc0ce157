"""Console output: status lines, colour only where it helps, secrets always masked.

Colour is off when NO_COLOR is set, TERM is dumb, under CI, or when stdout is
not a terminal; then output is plain lines that logs and scripts can read.
"""
from __future__ import annotations

import os
import sys

_COLOURS = {"ok": "32", "warn": "33", "fail": "31", "info": "36", "dim": "2"}
MASK = "******"


def interactive(stream=None) -> bool:
    """True when progress may be drawn for a person (a TTY, not CI)."""
    stream = stream or sys.stdout
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour_enabled(stream=None) -> bool:
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return interactive(stream)


def paint(text: str, kind: str, stream=None) -> str:
    if not colour_enabled(stream) or kind not in _COLOURS:
        return text
    return f"\033[{_COLOURS[kind]}m{text}\033[0m"


def register_secrets(values) -> None:
    """Remember values that must never be printed: every output line goes through `mask`.

    Values of 6 characters or more are masked wherever they occur, shorter ones where they
    stand as a whole token (tasks/secrets.py says why). Registering is cheap; the matcher is
    rebuilt once, on the next `mask`, after the set changed."""
    _masker().add(values)


def mask(text: str) -> str:
    """`text` with every registered secret replaced by MASK; linear in len(text)."""
    if _MASKER is None and "://" not in text:  # nothing registered, and no URL that may hold a password
        return text
    return _masker().mask(text)


_MASKER = None


def _masker():
    global _MASKER
    if _MASKER is None:
        from symphony.core.secrets import Masker  # here: keeps `inv --list` from compiling anything

        _MASKER = Masker()
    return _MASKER


def say(text: str = "", *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    print(mask(text), file=stream, flush=True)


def status(kind: str, text: str, fix: str = "") -> None:
    """One line `ok|warn|fail|info  text`, plus the fix on the next line."""
    label = paint(f"{kind:<4}", kind)
    say(f"{label}  {text}")
    if fix:
        say(f"      fix: {fix}")


def confirm(question: str, items, yes: bool, dry_run: bool = False) -> None:
    """List what will go and ask y/N on a terminal; `yes` (or a dry run) does not ask. Without a
    terminal and without `yes` nothing is removed (exit 2 says to pass --yes)."""
    from symphony.errors import SymphonyError, UsageError

    say(question)
    for item in items:
        say(f"  {item}")
    if yes or dry_run:
        return
    if not sys.stdin.isatty():
        raise UsageError("not confirmed: no terminal to ask on", hint="pass --yes to confirm")
    answer = input("Proceed? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise SymphonyError("cancelled; nothing was removed")
