"""Every file Symphony writes goes through `write_file`: atomic, with the mode asked for, and
never onto anything but a regular file.

Symphony often runs as root, where renaming a temp file over `/dev/null` (or a FIFO, a socket,
a directory) would break the machine. So a target that exists must be a regular file, and a
symlink is refused too: renaming over it would silently replace the link with a file, and
following it would write wherever it points (as root, anywhere). Remove the link, or name the
file it points to.
"""
from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from symphony.errors import UsageError

_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFREG: "a regular file",
          stat.S_IFLNK: "a symlink"}


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def utf8_text(path: Path, data: bytes, what: str = "", hint: str = "save it as UTF-8") -> str:
    """`data` (read from `path`) as text, or a UsageError naming the line that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{line}: not UTF-8 text{what}", hint=hint) from None


def read_file_bytes(path: Path) -> bytes:
    """A regular file's bytes: anything else (a FIFO would block the read for ever, a directory) is
    a UsageError naming the file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path} is {kind_of(info.st_mode)}; Symphony reads only regular files",
                         hint="name a regular file")
    return Path(path).read_bytes()


def read_text_file(path: Path, hint: str = "save it as UTF-8") -> str:
    """read_file_bytes as text; bytes that are not UTF-8 are a UsageError naming the line."""
    return utf8_text(path, read_file_bytes(path), hint=hint)


def file_path(path: Path | str) -> Path:
    """A path the user gave for a file: "" (Path() would make it the current directory) and "d/" (a
    directory; Path() drops the slash and it becomes a file d) name none."""
    if isinstance(path, str) and (path == "" or path.endswith(os.sep)):
        raise UsageError(f"{path!r} names no file" + (" (it ends in /: a directory)" if path else ""),
                         hint="give the path of a file")
    return Path(path)


def directory_path(path: Path | str, what: str = "directory") -> Path:
    """A path the user gave for a directory Symphony will create or write into: "" (the current
    directory by accident: an unset shell variable) names none, and a symlink (dangling or not) is
    refused like a file's: following it would write wherever it points (as root, anywhere)."""
    if isinstance(path, str) and not path.strip():
        raise UsageError(f"{path!r} names no {what}", hint=f"give the path of the {what}")
    path = Path(path)
    if path.is_symlink():
        raise UsageError(f"{path} is a symlink; Symphony does not write through it (it points to "
                         f"{os.path.realpath(path)})", hint=f"remove the link, or give the {what} it points to")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is {kind_of(os.stat(path).st_mode)}, not a {what}", hint=f"choose a {what} path")
    return path


def directory_chain(top: Path, directory: Path, mode: int) -> None:
    """Create `directory` (at or under `top`) and each level between with `mode`, whatever the
    umask, refusing a level that is a symlink or not a directory (directory_path's rule): a chmod
    through a link would change the mode of whatever it points to."""
    for level in reversed([p for p in (directory, *directory.parents) if p.is_relative_to(top)]):
        directory_path(level)
        if not level.exists():
            os.mkdir(level, mode)
        os.chmod(level, mode)


def writable_target(path: Path | str) -> Path:
    """The path the bytes will really land at, or a UsageError saying why not."""
    path = file_path(path)
    target = path
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise UsageError(f"{path} is a symlink; refusing to replace it (it points to {os.path.realpath(path)})",
                         hint="remove the link, or give the path of the file it points to")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path} is {kind_of(info.st_mode)}; Symphony only ever replaces regular files",
                         hint="choose a regular file path")
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {path}: directory {target.parent} does not exist",
                         hint="create the directory first, or choose another path")
    return target


def write_file(path: Path | str, data: str | bytes, *, mode: int = 0o644, dry_run: bool = False,
               what: str = "", say=None) -> Path:
    """Write `data` to `path` atomically (temp file in the same directory, fsync, rename).

    With `dry_run` nothing is written: `say` (the console) is told what would have been.
    Returns the path written."""
    target = writable_target(path)
    if dry_run:
        if say is not None:
            say(f"+ (write {path}" + (f": {what}" if what else "") + f", mode {mode:04o})")
        return target
    import tempfile  # here, not at module level: keeps `inv --list` fast

    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        writable_target(path)  # again, just before the rename: the target may have changed meanwhile
        os.replace(tmp, target)
    except OSError as exc:  # a full disk, a read-only file system: say which file was not written
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if exc.filename is None:
            exc.filename = str(path)
        raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def open_lock_file(path: Path) -> int:
    """An fd on a lock file: created 0600 if missing, refused if it is a symlink or not regular."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: a symlink
            raise UsageError(f"lock file {path} is a symlink; refusing to use it", hint="remove it") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UsageError(f"lock file {path} is {kind_of(info.st_mode)}", hint="remove it")
    return fd
