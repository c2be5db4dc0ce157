"""Grafana datasources with fixed uids, so dashboards and links refer to them by uid (pure)."""
from __future__ import annotations

PROMETHEUS_UID, LOKI_UID, TEMPO_UID, JAEGER_UID = "sentiric-prometheus", "sentiric-loki", "sentiric-tempo", "sentiric-jaeger"


def _traces_to_logs():
    return {"datasourceUid": LOKI_UID, "filterByTraceID": True, "spanStartTimeShift": "-5m", "spanEndTimeShift": "5m",
            "tags": [{"key": "service.name", "value": "service"}]}


def build_datasources() -> dict:
    return {
        "apiVersion": 1,
        "deleteDatasources": [],
        "datasources": [
            {"name": "Prometheus", "type": "prometheus", "uid": PROMETHEUS_UID, "access": "proxy",
             "url": "http://prometheus:9090", "isDefault": True, "editable": False},
            {"name": "Loki", "type": "loki", "uid": LOKI_UID, "access": "proxy", "url": "http://loki:3100",
             "editable": False, "jsonData": {"derivedFields": [
                 {"name": "trace_id", "matcherRegex": "trace_id=(\\w+)", "datasourceUid": TEMPO_UID,
                  "url": "$${__value.raw}", "urlDisplayLabel": "Trace"}]}},
            {"name": "Tempo", "type": "tempo", "uid": TEMPO_UID, "access": "proxy", "url": "http://tempo:3200",
             "editable": False, "jsonData": {"tracesToLogsV2": _traces_to_logs(),
                                             "serviceMap": {"datasourceUid": PROMETHEUS_UID}}},
            {"name": "Jaeger", "type": "jaeger", "uid": JAEGER_UID, "access": "proxy", "url": "http://jaeger:16686",
             "editable": False, "jsonData": {"tracesToLogsV2": _traces_to_logs()}},
        ],
    }
