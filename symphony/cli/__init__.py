"""The Invoke-facing shell shared by the task modules: the task decorator, settings from
Invoke's config, and the help texts of flags several tasks take.

It turns SymphonyError into a clean message plus its documented exit code, and
Ctrl-C into exit 130 (Invoke alone would print a traceback or exit 254).
"""
from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING

import invoke

from symphony.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, SymphonyError

if TYPE_CHECKING:
    from symphony.infra.settings import Settings

DRY_HELP = "print the exact commands that would change anything, run none"
CONTEXT_HELP = "Docker context to run against (e.g. the gateway VM); DOCKER_HOST is honoured too"
PROFILE_HELP = "profile (default: the one in .profile.state, else symphony.default_profile)"
SERVICE_HELP = "only this service (repeatable)"
LOCK_HELP = "seconds to wait for another Symphony command to finish (default: symphony.lock_timeout)"


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (children are stopped on the way out) but reported as such."""


def _terminate_like_interrupt() -> None:
    import signal

    def handler(signum, frame):
        raise Terminated()

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (a test harness): leave the default
        pass



def settings(c) -> "Settings":
    """Symphony's settings from the task's Invoke context, read once per task."""
    from symphony.infra.settings import Settings

    config = getattr(c, "config", None)
    section = config.get("symphony", None) if hasattr(config, "get") else None
    return Settings.from_mapping(section)


def task(*args, **kwargs):
    """Like `invoke.task`, with Symphony's error and interrupt handling."""

    def decorate(body):
        @functools.wraps(body)
        def guarded(c, *a, **kw):
            _terminate_like_interrupt()
            try:
                return body(c, *a, **kw)
            except SymphonyError as exc:
                from symphony.infra.console import mask

                raise invoke.Exit(mask(exc.render()), code=exc.exit_code) from None
            except BrokenPipeError:  # `inv env.show | head`: the reader left; not an error
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise invoke.Exit(code=0) from None
            except Terminated:
                print("\nterminated (SIGTERM); stopped what was running", file=sys.stderr)
                raise invoke.Exit(code=EXIT_TERMINATED) from None
            except KeyboardInterrupt:
                print("\ninterrupted", file=sys.stderr)
                raise invoke.Exit(code=EXIT_INTERRUPTED) from None
            except OSError as exc:  # e.g. a path the user gave that cannot be read or written
                from symphony.infra.console import mask

                state_dir = os.environ.get("SYMPHONY_STATE_DIR")
                if state_dir and not os.path.isdir(state_dir):  # a setting that names nothing: usage (2)
                    raise invoke.Exit(f"error: SYMPHONY_STATE_DIR={mask(state_dir)} is not a directory\n"
                                      "  hint: create it, or unset SYMPHONY_STATE_DIR to keep the state in "
                                      "this checkout", code=2) from None
                raise invoke.Exit(mask(os_error_message(exc)), code=1) from None

        return invoke.task(**kwargs)(guarded)

    if args and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate


def os_error_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return f"error: {reason}"
    where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 is not None else "")
    hint = "check that the path exists and that you may write there"
    state_dir = os.environ.get("SYMPHONY_STATE_DIR")
    if state_dir and os.path.abspath(str(exc.filename)).startswith(os.path.abspath(state_dir)):
        hint = (f"it is in SYMPHONY_STATE_DIR ({state_dir}), where Symphony keeps .env.generated, .profile.state "
                "and its lock: make that directory writable, or point SYMPHONY_STATE_DIR elsewhere")
    return f"error: {where}: {reason}\n  hint: {hint}"


def setting(c, name: str):
    """One value of the `symphony` config section (see `settings`)."""
    return getattr(settings(c), name)
