"""THE rule for a platform service's healthcheck: probe its health endpoint with a tool its
image really has (pure).

Preference, per the catalog's facts about the final image:
- an HTTP health path: `curl -f` (Debian images that install curl), busybox `wget` (alpine,
  node, nginx images), bash's `/dev/tcp` with an HTTP/1.0 request (Debian and python-slim
  images without curl: bash is in every Debian image), `python` (urllib) as a last resort;
- no HTTP path, a TCP port (gRPC): `nc -z` (openbsd or busybox), else bash's `/dev/tcp`;
- a UDP-only service (SIP) is never probed with a TCP connect: its HTTP or gRPC port is.
`pgrep -f` is never used: under a shell it matches the healthcheck's own command line.

`None` means the image has nothing to probe with (or the service listens nowhere): the compose
file then has no healthcheck, dependents wait for `service_started`, and the service counts as
ready once running (README: "Readiness").
"""
from __future__ import annotations

from symphony.core.platform.catalog import Service

HOST = "127.0.0.1"
TIMEOUT = "4"


def _bash_http(port: str, path: str) -> str:
    # `$$`: Compose would interpolate a single `$`; bash sees `$line`
    return (f"exec 3<>/dev/tcp/{HOST}/{port} && printf 'GET {path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 "
            f"&& IFS= read -r -t {TIMEOUT} line <&3 && case $$line in 'HTTP/1.'?' 200'*) exit 0;; esac; exit 1")


def _python_http(port: str, path: str) -> str:
    return f"import urllib.request; urllib.request.urlopen('http://{HOST}:{port}{path}', timeout={TIMEOUT})"


def readiness_check(svc: Service) -> list[str] | None:
    """The compose `healthcheck.test` for `svc`, or None when nothing in the image can probe it."""
    if svc.check:
        return list(svc.check)  # the image's own readiness tool (pg_isready, redis-cli ...), from its docs
    if svc.health is None:
        return None
    port = svc.port(svc.health.port)
    ref = port.ref
    tools = set(svc.tools)
    if svc.health.path:
        url = f"http://{HOST}:{ref}{svc.health.path}"
        if "curl" in tools:
            return ["CMD", "curl", "-fsS", "-o", "/dev/null", "--max-time", TIMEOUT, url]
        if "wget" in tools:
            return ["CMD", "wget", "-q", "-O", "/dev/null", url]  # (the healthcheck's timeout bounds it)
        if "bash" in tools:
            return ["CMD", "bash", "-c", _bash_http(ref, svc.health.path)]
        if "python" in tools:
            return ["CMD", "python", "-c", _python_http(ref, svc.health.path)]
        return None
    if port.protocol != "tcp":
        return None
    if "nc" in tools:
        return ["CMD", "nc", "-z", "-w", TIMEOUT, HOST, ref]
    if "bash" in tools:
        return ["CMD", "bash", "-c", f"exec 3<>/dev/tcp/{HOST}/{ref}"]
    if "python" in tools:
        return ["CMD", "python", "-c", f"import socket; socket.create_connection(('{HOST}', {ref}), {TIMEOUT})"]
    return None


def tool_used(test: list[str] | None) -> str | None:
    """Which image tool a healthcheck test runs (for the stand-ins' and audit's checks)."""
    return test[1] if test and test[0] == "CMD" else None
