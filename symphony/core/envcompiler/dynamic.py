"""Values Symphony computes: DETECTED_IP, TAG, CONFIG_REPO_PATH."""
from __future__ import annotations

import socket
from pathlib import Path


def detect_ip() -> str:
    """The host's outward address, without running a program or sending a packet.

    connect() on a UDP socket only asks the kernel for a route; nothing is sent.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: routable-looking, never used
            ip = sock.getsockname()[0]
            if ip and not ip.startswith("0."):
                return ip
    except OSError:
        pass
    return "127.0.0.1"


def dynamic_values(config_root: Path) -> dict[str, str]:
    return {
        "DETECTED_IP": detect_ip(),
        "TAG": "latest",
        "CONFIG_REPO_PATH": str(Path(config_root).resolve()),
    }
