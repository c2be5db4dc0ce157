"""The Grafana "Overview" dashboard, built as data (pure; `inv obs.dashboard` writes it)."""
from __future__ import annotations

import json

PROMETHEUS = {"type": "prometheus", "uid": "sentiric-prometheus"}
LOKI = {"type": "loki", "uid": "sentiric-loki"}
DASHBOARD_UID = "sentiric-overview"
SEL = 'job="sentiric", service=~"$service"'
RATE = "$__rate_interval"


def _panel(pid, title, kind, targets, x, y, w, h, unit=None, description="", **extra):
    panel = {
        "id": pid, "type": kind, "title": title, "description": description,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "datasource": targets[0][2] if targets else PROMETHEUS,
        "targets": [{"refId": chr(ord("A") + i), "datasource": ds, "expr": expr, "legendFormat": legend}
                    for i, (expr, legend, ds) in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": unit} if unit else {}, "overrides": []},
        "options": {},
    }
    panel.update(extra)
    return panel


def prom(expr, legend="{{service}}"):
    return (expr, legend, PROMETHEUS)


# Prometheus sees only the services that declare a metrics endpoint (com.sentiric.metrics.port):
# the up/down panels say so in their titles, and a service without one is in `inv status`.
ENDPOINTS = "metrics endpoints (services declaring com.sentiric.metrics.port)"
REQUESTS = f'http_requests_total{{{SEL}}}'


def error_ratio() -> str:
    """5xx / all requests per service: 0 (not "No data") when a service serves requests without
    errors (its non-5xx series count as 0 errors), no series for a service with no requests
    (a ratio of nothing), and a single 0 labelled "no requests" when no service has any."""
    errors = f'rate(http_requests_total{{{SEL}, code=~"5.."}}[{RATE}])'
    every = f"rate({REQUESTS}[{RATE}])"
    return (f"sum by (service) ({errors} or {every} * 0)"
            f" / (sum by (service) ({every}) > 0)"
            ' or on () label_replace(vector(0), "service", "no requests", "", "")')


def build_overview() -> dict:
    panels = [
        _panel(1, "Metrics endpoints up", "stat", [prom(f"sum(up{{{SEL}}}) or vector(0)", "up")], 0, 0, 6, 4,
               description=f"Scrapes that succeed, of the {ENDPOINTS}. A service without a metrics endpoint is not "
                           "counted: `inv status` shows every container's health."),
        _panel(2, "Metrics endpoints down", "stat", [prom(f"count(up{{{SEL}}} == 0) or vector(0)", "down")], 6, 0, 6, 4,
               description=f"Scrapes that fail, of the {ENDPOINTS}: the service is down or its endpoint does not "
                           "answer."),
        _panel(3, "Restarts (1h)", "stat", [prom(
            f"sum(changes(process_start_time_seconds{{{SEL}}}[1h])) or vector(0)", "restarts")], 12, 0, 6, 4,
               description="Process restarts seen by the metrics endpoints (process_start_time_seconds)"),
        _panel(4, "Scrape duration", "stat", [prom(f"max(scrape_duration_seconds{{{SEL}}})", "max")], 18, 0, 6, 4,
               unit="s"),
        _panel(5, "Metrics endpoint up / down per service", "state-timeline", [prom(f"max by (service) (up{{{SEL}}})")],
               0, 4, 24, 6, description=f"1 = the service's metrics endpoint answers; only {ENDPOINTS}"),
        _panel(6, "Request rate", "timeseries", [prom(
            f"sum by (service) (rate({REQUESTS}[{RATE}]))")], 0, 10, 8, 8, unit="reqps"),
        _panel(7, "Error ratio (5xx)", "timeseries", [prom(error_ratio())], 8, 10, 8, 8, unit="percentunit",
               description="5xx responses / all responses (http_requests_total); 0 when there are none"),
        _panel(8, "Latency p95", "timeseries", [prom(
            "histogram_quantile(0.95, sum by (service, le) "
            f"(rate(http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))")],
            16, 10, 8, 8, unit="s"),
        _panel(9, "Scrape samples per service", "timeseries", [prom(
            f"sum by (service) (scrape_samples_scraped{{{SEL}}})")], 0, 18, 12, 7),
        _panel(10, "Restarts per service (1h)", "timeseries", [prom(
            f"sum by (service) (changes(process_start_time_seconds{{{SEL}}}[1h]))")], 12, 18, 12, 7),
        _panel(11, "Log volume per service", "timeseries", [(
            'sum by (service) (count_over_time({service=~"$service", project=~".+"} [$__interval]))', "{{service}}",
            LOKI)],
            0, 25, 24, 7),
        _panel(12, "Logs", "logs", [('{service=~"$service", project=~".+"}', "", LOKI)], 0, 32, 24, 10,
               description="Lines with a trace_id link to the trace in the trace backend that runs (Loki derived "
                           "field)"),
    ]
    return {
        "uid": DASHBOARD_UID,
        "title": "Sentiric Overview",
        "tags": ["sentiric"],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": [{
            "name": "service", "label": "Service", "type": "query", "datasource": PROMETHEUS,
            "query": {"query": 'label_values(up{job="sentiric"}, service)', "refId": "services"},
            "includeAll": True, "multi": True, "allValue": ".+", "refresh": 2,
            "current": {"text": "All", "value": "$__all"}, "options": [], "hide": 0, "sort": 1,
        }]},
        "panels": panels,
    }


def prometheus_queries(dashboard: dict) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"] if t["datasource"]["type"] == "prometheus"]


def runnable(expr: str, rate_window: str = "1m") -> str:
    """What Grafana sends for the default variable values."""
    return expr.replace("$__rate_interval", rate_window).replace('service=~"$service"', 'service=~".+"')


def render_json(dashboard: dict) -> str:
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"
