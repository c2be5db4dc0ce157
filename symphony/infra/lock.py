"""The stack lock: one Symphony command changes a Docker engine at a time.

Two locks are taken, always in this order: the state directory's (two commands of one checkout
would write the same .env.generated and .profile.state) and the engine's (two checkouts, or two
SYMPHONY_STATE_DIRs, starting stacks on one engine would race for its containers and
network). The engine's lock file is named after the engine's own ID, so a context and
DOCKER_HOST reaching the same engine share it. The kernel releases a lock when its holder dies.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from symphony.errors import LockTimeout, UsageError
from symphony.infra.files import kind_of


@dataclass
class LockInfo:
    pid: str
    command: str


def engine_lock_file(engine_id: str, lock_dir: Path | None = None) -> Path:
    """The lock file of one engine, in a private directory of this user (0700, checked: a shared
    temp directory must not let another user plant a symlink there)."""
    import tempfile

    configured = os.environ.get("SYMPHONY_LOCK_DIR")
    base = Path(lock_dir or configured or Path(tempfile.gettempdir()) / f"symphony-{os.getuid()}")
    try:
        os.mkdir(base, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        raise UsageError(f"cannot create the lock directory {base}: its parent does not exist",
                         hint="create it, or point SYMPHONY_LOCK_DIR elsewhere") from None
    info = os.lstat(base)
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"lock directory {base} is {kind_of(info.st_mode)}, not a directory",
                         hint="point SYMPHONY_LOCK_DIR at a directory of your own (or at a path that does not "
                              "exist yet: Symphony creates it with mode 0700)")
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise UsageError(f"lock directory {base} is not a private directory of this user",
                         hint="remove it (Symphony recreates it with mode 0700), or set SYMPHONY_LOCK_DIR")
    digest = hashlib.sha256(engine_id.encode()).hexdigest()[:16]
    return base / f"engine-{digest}.lock"


@contextlib.contextmanager
def stack_lock(
    what: str,
    lock_file: Path,
    timeout: float = 600.0,
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
