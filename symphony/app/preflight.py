"""Host ports a profile publishes, checked before anything starts (start, doctor, obs.up)."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from symphony.core.services import PublishedPort, published_ports


def port_is_free(port: int, protocol: str = "tcp", host_ip: str = "0.0.0.0") -> bool:
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            # the engine's proxy binds like this too: a port in TIME_WAIT is not "taken"
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host_ip if host_ip not in ("", "::") else "0.0.0.0", port))
        except OSError:
            return False
    return True


def engine_is_local(runner) -> bool:
    """Host ports can only be probed from here when the engine runs on this machine."""
    host = os.environ.get("DOCKER_HOST", "")
    return not runner.context and (not host or host.startswith("unix://"))


@dataclass(frozen=True)
class PortCheck:
    port: PublishedPort
    free: bool
    ours: bool  # held by this project's own running container (a restart of the same profile)


def check_published_ports(runner, model: dict, project: str) -> list[PortCheck]:
    """Each published host port of the model: free, held by this project, or taken."""
    held = runner.query(["docker", "ps", "--filter", f"label=com.docker.compose.project={project}",
                         "--format", "{{.Ports}}"], check=False).stdout
    out = []
    for p in published_ports(model):
        free = port_is_free(p.port, p.protocol, p.host_ip)
        out.append(PortCheck(p, free, not free and f":{p.port}->" in held))
    return out


def taken_ports(runner, model: dict, project: str) -> list[PublishedPort]:
    return [c.port for c in check_published_ports(runner, model, project) if not c.free and not c.ours]


def describe_taken(taken: list[PublishedPort]) -> str:
    shown = [f"{p.host_ip}:{p.port}/{p.protocol} (for {p.service})" for p in taken[:8]]
    more = f" and {len(taken) - 8} more" if len(taken) > 8 else ""
    return ", ".join(shown) + more
