"""The task decorator every Symphony task uses, and access to Symphony's Invoke config.

It turns SymphonyError into a clean message plus its documented exit code, and
Ctrl-C into exit 130 (Invoke alone would print a traceback or exit 254).
"""
from __future__ import annotations

import functools
import sys

import invoke

from symphony.infra import console as ui
from symphony.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, SymphonyError


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

# Defaults for the `symphony` section of Invoke's config; override in invoke.yaml,
# ~/.invoke.yaml or the environment (e.g. INVOKE_SYMPHONY_DEFAULT_PROFILE=core).
DEFAULTS = {
    "default_profile": "demo",
    "config_path": "",
    "config_url": "git@github.com:sentiric/sentiric-config.git",
    "config_ref": "",
    "lock_timeout": 600,
    "health_timeout": 300,
}


def task(*args, **kwargs):
    """Like `invoke.task`, with Symphony's error and interrupt handling."""

    def decorate(body):
        @functools.wraps(body)
        def guarded(c, *a, **kw):
            _terminate_like_interrupt()
            try:
                return body(c, *a, **kw)
            except SymphonyError as exc:
                raise invoke.Exit(ui.mask(exc.render()), code=exc.exit_code) from None
            except BrokenPipeError:  # `inv env.show | head`: the reader left; not an error
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise invoke.Exit(code=0) from None
            except Terminated:
                print("\nterminated (SIGTERM); stopped what was running", file=sys.stderr)
                raise invoke.Exit(code=EXIT_TERMINATED) from None
            except KeyboardInterrupt:
                print("\ninterrupted", file=sys.stderr)
                raise invoke.Exit(code=EXIT_INTERRUPTED) from None
            except OSError as exc:  # e.g. a path the user gave that cannot be read or written
                raise invoke.Exit(ui.mask(os_error_message(exc)), code=1) from None

        return invoke.task(**kwargs)(guarded)

    if args and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate


def os_error_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return f"error: {reason}"
    where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 is not None else "")
    return f"error: {where}: {reason}\n  hint: check that the path exists and that you may write there"


def setting(c, name: str):
    """A value of the `symphony` config section, falling back to the defaults above."""
    section = c.config.get("symphony", {}) if hasattr(c.config, "get") else {}
    try:
        value = section.get(name)
    except AttributeError:
        value = None
    return DEFAULTS.get(name) if value is None else value
