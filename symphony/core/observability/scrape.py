"""Which addresses Prometheus' Docker discovery (observability/prometheus/prometheus.yml) will
scrape for a compose service, predicted from the compose model (pure). Used to catch, before
anything runs, a service that would become several targets."""
from __future__ import annotations

PORT_LABEL = "com.sentiric.metrics.port"
PATH_LABEL = "com.sentiric.metrics.path"
ENABLED_LABEL = "com.sentiric.metrics.enabled"


def _tcp_ports(service: dict) -> set[str]:
    """Container ports Docker reports for the service. Discovery skips UDP ones (an RTP range
    adds no targets); image EXPOSE lines are not in the model and are not counted."""
    ports = set()
    for port in service.get("ports") or []:  # `compose config --format json`: dicts
        if isinstance(port, dict) and port.get("protocol", "tcp") == "tcp":
            ports.add(str(port["target"]))
    for spec in service.get("expose") or []:
        number, _, proto = str(spec).partition("/")
        if (proto or "tcp") == "tcp":
            first, _, last = number.partition("-")
            ports.update(str(p) for p in range(int(first), int(last or first) + 1))
    return ports


def scrape_plan(model: dict) -> dict[str, dict]:
    """service -> {"ports": [...], "path": ..., "reason": ...}; ports empty = not scraped."""
    plan = {}
    for name, service in sorted((model.get("services") or {}).items()):
        labels = service.get("labels") or {}
        path = labels.get(PATH_LABEL) or "/metrics"
        if str(labels.get(ENABLED_LABEL, "")).lower() == "false":
            plan[name] = {"ports": [], "path": path, "reason": "opted out"}
        elif labels.get(PORT_LABEL):
            plan[name] = {"ports": [str(labels[PORT_LABEL])], "path": path, "reason": "metrics-port label"}
        else:
            ports = sorted(_tcp_ports(service), key=int)
            plan[name] = {"ports": ports, "path": path,
                          "reason": "each exposed TCP port" if ports else "no TCP port in the compose file (image EXPOSE lines still count)"}
    return plan


def several_targets(model: dict) -> list[str]:
    """Services that would be scraped on more than one port: give them a metrics-port label."""
    return [name for name, entry in scrape_plan(model).items() if len(entry["ports"]) > 1]
