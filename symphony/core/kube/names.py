"""Kubernetes naming rules (DNS-1123 labels, port names)."""
from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns_label(name: str) -> str:
    """A compose service name as a DNS-1123 label (≤ 63)."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return cleaned[:63].rstrip("-") or "service"


def is_dns_label(name: str) -> bool:
    return len(name) <= 63 and bool(_DNS1123_LABEL.match(name))


def port_name(protocol: str, port: int) -> str:
    return f"{protocol.lower()}-{port}"  # "udp-10000": ≤ 15 characters


def is_port_name(name: str) -> bool:
    return len(name) <= 15 and bool(_PORT_NAME.match(name)) and bool(re.search("[a-z]", name))
