"""Read-only questions to a local Docker engine over its Unix socket, without spawning the CLI.

`inv status` needs to know the engine answers and its project's containers in full: through the
CLI that is three processes (`docker version`, `docker ps`, `docker inspect`), each paying the
CLI's own start-up; over the socket it is a few requests on one connection. Only the common case is
served here — a local engine on a Unix socket (no --context, DOCKER_HOST unset or unix://,
DOCKER_CONTEXT unset or `default`); everything else (contexts, TCP, SSH, TLS) goes through the
CLI, which knows them all. Nothing here changes anything on the engine.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.parse

# one rule for "which unix socket does this engine address name", shared with obs.up's socket access
from symphony.core.observability.socket import DEFAULT_SOCKET
from symphony.core.observability.socket import local_socket as unix_socket_path

TIMEOUT = 10.0


class EngineUnavailable(Exception):
    """The socket is missing or the engine did not answer (the CLI path will say why)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=TIMEOUT)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(self._path)
        except OSError as exc:
            sock.close()
            raise EngineUnavailable(f"{self._path}: {exc.strerror or exc}") from None
        self.sock = sock


def local_socket(context: str | None, environ=os.environ) -> str | None:
    """The Unix socket of the engine the CLI would talk to, when that is a local socket."""
    if context or environ.get("DOCKER_CONTEXT", "default") != "default":
        return None
    host = environ.get("DOCKER_HOST", "")
    return unix_socket_path(host) if host else DEFAULT_SOCKET


class EngineAPI:
    def __init__(self, socket_path: str):
        self.socket_path = socket_path
        self._conn: _UnixConnection | None = None

    def get(self, path: str, **query):
        """GET `path` (query values that are dicts/lists are sent as JSON); the decoded JSON."""
        params = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in query.items() if v is not None}
        target = path + ("?" + urllib.parse.urlencode(params) if params else "")
        return json.loads(self._get_body(target) or b"null")

    def _get_body(self, target: str) -> bytes:
        for attempt in (1, 2):  # a kept-alive connection the engine closed is reopened once
            if self._conn is None:
                self._conn = _UnixConnection(self.socket_path)
            try:
                self._conn.request("GET", target, headers={"Host": "docker"})
                resp = self._conn.getresponse()
                body = resp.read()
            except (http.client.HTTPException, ConnectionError, OSError) as exc:
                self.close()
                if attempt == 2 or isinstance(exc, EngineUnavailable):
                    raise EngineUnavailable(f"{self.socket_path}: {exc}") from None
                continue
            if resp.status >= 400:
                raise EngineUnavailable(f"{target}: HTTP {resp.status} {body[:200]!r}")
            return body
        raise EngineUnavailable(self.socket_path)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def ping(self) -> bool:
        """The engine answers: its API's own check (GET /_ping, "OK"), answered at once (~0.5 ms
        here); /version gathers every component's version first (~13 ms here, on every call)."""
        return self._get_body("/_ping").strip() == b"OK"

    def version(self) -> str:
        return str(self.get("/version").get("Version", ""))

    def project_containers(self, project: str) -> list[dict]:
        """`docker inspect` of every container of a Compose project (running or not)."""
        listed = self.get("/containers/json", all="1",
                          filters={"label": [f"com.docker.compose.project={project}"]}) or []
        found = []
        for item in listed:
            try:
                found.append(self.get(f"/containers/{item['Id']}/json"))
            except EngineUnavailable:
                continue  # removed between the two requests, as `docker inspect` would skip it
        return found
