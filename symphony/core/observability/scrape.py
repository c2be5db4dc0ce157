"""Which address Prometheus' Docker discovery (observability/prometheus/prometheus.yml) scrapes
for a compose service, predicted from the compose model (pure). `obs.plan` prints it.

The rule, the same in both places: a container is scraped only when it declares a metrics
endpoint with the label `com.sentiric.metrics.port` (path `com.sentiric.metrics.path`, default
/metrics) and has not opted out with `com.sentiric.metrics.enabled: "false"` (exactly that
value: Prometheus' regex is case-sensitive). So a gRPC, SIP or UI port is never scraped for a
/metrics it does not serve, and a container is one target however many ports it has. The
platform's labels come from the catalog's facts (compose/catalog: `metrics`).
"""
from __future__ import annotations

PORT_LABEL = "com.sentiric.metrics.port"
PATH_LABEL = "com.sentiric.metrics.path"
ENABLED_LABEL = "com.sentiric.metrics.enabled"


def scrape_target(labels: dict) -> tuple[str | None, str, str]:
    """(port or None, path, why) for a container's labels."""
    path = labels.get(PATH_LABEL) or "/metrics"
    if str(labels.get(ENABLED_LABEL, "")) == "false":
        return None, path, "opted out"
    if labels.get(PORT_LABEL):
        return str(labels[PORT_LABEL]), path, "metrics endpoint declared"
    return None, path, "no metrics endpoint declared"


def scrape_plan(model: dict) -> dict[str, dict]:
    """service -> {"ports": [port] or [], "path": ..., "reason": ...}."""
    plan = {}
    for name, service in sorted((model.get("services") or {}).items()):
        port, path, why = scrape_target((service or {}).get("labels") or {})
        plan[name] = {"ports": [port] if port else [], "path": path, "reason": why}
    return plan
