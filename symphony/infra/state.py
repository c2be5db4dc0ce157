"""Symphony's small shared state: repo paths, profiles, the active profile, the stack lock."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from symphony.errors import LockTimeout, UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = REPO_ROOT / "compose"
ENV_DIR = REPO_ROOT / "env"
OBSERVABILITY_DIR = REPO_ROOT / "observability"
# Where per-checkout state lives; tests (and people running two checkouts' stacks
# side by side) point SYMPHONY_STATE_DIR elsewhere.
STATE_DIR = Path(os.environ.get("SYMPHONY_STATE_DIR") or REPO_ROOT)
STATE_FILE = STATE_DIR / ".profile.state"
LOCK_FILE = STATE_DIR / ".symphony.lock"
ENV_OUTPUT = STATE_DIR / ".env.generated"

DEFAULT_PROFILE = "demo"
# Compose project = prefix + profile; every resource Symphony owns carries that project label.
PROJECT_PREFIX = os.environ.get("SYMPHONY_PROJECT_PREFIX") or "sentiric-"
NETWORK_NAME = "sentiric-net"
_PROFILE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def known_profiles(compose_dir: Path = COMPOSE_DIR) -> list[str]:
    """Profiles are the compose files `compose/<profile>.yml`; `_*.yml` are shared parts."""
    if not compose_dir.is_dir():
        return []
    return sorted(
        p.stem
        for p in compose_dir.glob("*.yml")
        if not p.name.startswith("_") and _PROFILE_NAME.match(p.stem)
    )


def compose_file(profile: str, compose_dir: Path = COMPOSE_DIR) -> Path:
    return compose_dir / f"{profile}.yml"


def project_name(profile: str) -> str:
    return f"{PROJECT_PREFIX}{profile}"


def validate_profile(profile: str, compose_dir: Path = COMPOSE_DIR, source: str = "") -> str:
    profiles = known_profiles(compose_dir)
    if profile not in profiles:
        where = f" in {source}" if source else ""
        raise UsageError(
            f"unknown profile {profile!r}{where}",
            hint=f"valid profiles: {', '.join(profiles) or '(none found in ' + str(compose_dir) + ')'}",
        )
    return profile


def read_active_profile(
    state_file: Path = STATE_FILE, compose_dir: Path = COMPOSE_DIR, default: str = DEFAULT_PROFILE
) -> str:
    """The profile recorded by the last `start`; a missing file means the default."""
    try:
        raw = state_file.read_bytes()
    except FileNotFoundError:
        return default
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        value = None
    if not value or not _PROFILE_NAME.match(value):
        shown = raw[:40].decode("utf-8", "replace").strip() or "(empty)"
        raise UsageError(
            f"{state_file}: garbled profile state {shown!r}",
            hint=(
                f"valid profiles: {', '.join(known_profiles(compose_dir))}; "
                f"fix it with `inv start --profile NAME`, or delete {state_file.name} to use {default!r}"
            ),
        )
    return validate_profile(value, compose_dir, source=str(state_file))


def atomic_write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Atomic write through the one safe writer (kept for the callers that predate it)."""
    from symphony.infra.files import write_file

    write_file(path, data, mode=mode)


def write_active_profile(profile: str, state_file: Path = STATE_FILE, compose_dir: Path = COMPOSE_DIR) -> None:
    validate_profile(profile, compose_dir)
    atomic_write(state_file, profile + "\n")


def clear_active_profile(state_file: Path = STATE_FILE) -> None:
    with contextlib.suppress(FileNotFoundError):
        state_file.unlink()


@dataclass
class LockInfo:
    pid: str
    command: str


@contextlib.contextmanager
def stack_lock(
    what: str,
    timeout: float = 600.0,
    lock_file: Path = LOCK_FILE,
    on_wait=None,
    poll: float = 0.2,
):
    """Hold the stack lock: only one command that changes the running stack at a time.

    A second caller waits (telling `on_wait` who holds the lock) and gives up with
    LockTimeout after `timeout` seconds. The kernel releases the lock when a holder dies.
    """
    from symphony.infra.files import open_lock_file

    fd = open_lock_file(Path(lock_file))
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            holder = _read_holder(fd)
            if not told and on_wait:
                on_wait(holder)
                told = True
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another Symphony command is still changing the stack "
                    f"(pid {holder.pid}: {holder.command}); gave up after {timeout:g}s",
                    hint=f"wait for it to finish, or raise the wait with --lock-timeout; lock file {lock_file}",
                )
            time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{what}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> LockInfo:
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").splitlines()
    except OSError:
        text = []
    return LockInfo(pid=text[0] if text else "?", command=text[1] if len(text) > 1 else "?")
