"""Which Docker socket Prometheus and the log collector mount, and the group id that lets their
non-root users use it (pure: the facts come from the app layer).

The bind mount and the group are resolved by the ENGINE, on the engine's host: a socket stat()ed on
this machine says nothing about a remote engine (`--context`, DOCKER_HOST=tcp:// or ssh://), so
its group is read here only when the engine is reached through a unix socket on this machine.
Anything else needs DOCKER_SOCKET_GID (and DOCKER_SOCKET_PATH when the socket is not at the usual
place), or is refused: a guessed group would leave discovery without access and Prometheus
without targets, silently.

Rootless engines: the daemon runs in a user namespace that maps the user's own uid/gid to 0 and
everything else to unprivileged ids, so a socket owned by the user's primary group is group 0
inside the containers.
"""
from __future__ import annotations

from dataclasses import dataclass

from symphony.errors import UsageError

DEFAULT_SOCKET = "/var/run/docker.sock"
SETTING_HINT = ("set DOCKER_SOCKET_GID to the group id of the Docker socket on the engine's host (run `stat -c %g "
                "/var/run/docker.sock` there), and DOCKER_SOCKET_PATH if the socket is elsewhere, in the config repo "
                "or the environment")


@dataclass(frozen=True)
class SocketAccess:
    path: str   # the socket on the engine's host, mounted at /var/run/docker.sock
    gid: str    # the supplementary group the discovery containers get
    source: str  # where the group id came from, for the dry run and the docs


def local_socket(endpoint: str) -> str | None:
    """The socket path when the engine is reached through a unix socket, else None."""
    if not endpoint.startswith("unix://"):
        return None
    return endpoint[len("unix://"):] or None


def socket_access(endpoint: str, *, gid_setting: str | None = None, path_setting: str | None = None,
                  socket_gid: int | None = None, rootless: bool = False, own_gid: int | None = None) -> SocketAccess:
    """`endpoint`: the engine's address as the docker CLI resolves it (context or DOCKER_HOST).
    `socket_gid`: the group of the local socket (None: not local, or not readable).
    `gid_setting`/`path_setting`: DOCKER_SOCKET_GID / DOCKER_SOCKET_PATH, when set."""
    local = local_socket(endpoint)
    path = path_setting or local or DEFAULT_SOCKET
    if not path.startswith("/"):
        raise UsageError(f"DOCKER_SOCKET_PATH {path!r} is not an absolute path", hint=SETTING_HINT)
    if gid_setting:
        if not gid_setting.isdigit():
            raise UsageError(f"DOCKER_SOCKET_GID {gid_setting!r} is not a numeric group id", hint=SETTING_HINT)
        return SocketAccess(path, gid_setting, "DOCKER_SOCKET_GID")
    if local is None:
        where = endpoint or "an engine whose address the docker CLI did not say"
        raise UsageError(f"the Docker engine is reached at {where}, not through a socket on this machine, so the "
                         "group that may use its socket cannot be read here", hint=SETTING_HINT)
    if socket_gid is None:
        raise UsageError(f"cannot read the group of the Docker socket {path} on this machine", hint=SETTING_HINT)
    if not rootless:
        return SocketAccess(path, str(socket_gid), f"group of {path}")
    if own_gid is not None and socket_gid == own_gid:
        return SocketAccess(path, "0", f"rootless engine: {path} belongs to your group, which is 0 in its containers")
    raise UsageError(f"the rootless engine's socket {path} belongs to group {socket_gid}, which is not your primary "
                     "group, so it is not mapped into the engine's containers", hint=SETTING_HINT)
