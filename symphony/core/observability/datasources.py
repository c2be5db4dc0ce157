"""Grafana datasources with fixed uids, so dashboards and links refer to them by uid (pure).

One set per trace backend: the trace_id link in Loki's logs opens the backend that runs (Tempo
or Jaeger), and with no trace backend there is no link and no trace datasource. A trace
datasource provisioned by an earlier run with another backend is deleted (`deleteDatasources`),
since Grafana keeps provisioned datasources in its database across restarts.
"""
from __future__ import annotations

PROMETHEUS_UID, LOKI_UID = "sentiric-prometheus", "sentiric-loki"
TEMPO_UID, JAEGER_UID = "sentiric-tempo", "sentiric-jaeger"
TRACE_BACKENDS = {"tempo": ("Tempo", TEMPO_UID), "jaeger": ("Jaeger", JAEGER_UID)}


# The trace id in a log line as the platform writes it: JSON (`LOG_FORMAT=json` in the shipped
# config: zerolog's `"trace_id":"..."`, sentiric-agent-service@51e2d7f internal/logger/logger.go:80;
# tracing-subscriber's JSON) or text (`trace_id=...`); hex or a UUID. Grafana applies it in the
# browser (a JavaScript RegExp; this one reads the same in Python's `re`).
TRACE_ID_IN_A_LINE = r'"?trace_id"?\s*[=:]\s*"?([\w-]+)'


def _traces_to_logs():
    return {"datasourceUid": LOKI_UID, "filterByTraceID": True, "spanStartTimeShift": "-5m", "spanEndTimeShift": "5m",
            "tags": [{"key": "service.name", "value": "service"}]}


def _trace_datasource(tracing: str) -> dict:
    if tracing == "tempo":
        return {"name": "Tempo", "type": "tempo", "uid": TEMPO_UID, "access": "proxy", "url": "http://tempo:3200",
                "editable": False, "jsonData": {"tracesToLogsV2": _traces_to_logs(),
                                                "serviceMap": {"datasourceUid": PROMETHEUS_UID}}}
    return {"name": "Jaeger", "type": "jaeger", "uid": JAEGER_UID, "access": "proxy", "url": "http://jaeger:16686",
            "editable": False, "jsonData": {"tracesToLogsV2": _traces_to_logs()}}


def build_datasources(tracing: str = "tempo") -> dict:
    """Datasources for a stack whose trace backend is `tracing` (tempo, jaeger or none)."""
    if tracing not in (*TRACE_BACKENDS, "none"):
        raise ValueError(f"trace backend {tracing!r}: one of tempo, jaeger, none")
    loki = {"name": "Loki", "type": "loki", "uid": LOKI_UID, "access": "proxy", "url": "http://loki:3100",
            "editable": False}
    if tracing != "none":
        loki["jsonData"] = {"derivedFields": [
            {"name": "trace_id", "matcherRegex": TRACE_ID_IN_A_LINE, "datasourceUid": TRACE_BACKENDS[tracing][1],
             "url": "$${__value.raw}", "urlDisplayLabel": "Trace"}]}
    sources = [{"name": "Prometheus", "type": "prometheus", "uid": PROMETHEUS_UID, "access": "proxy",
                "url": "http://prometheus:9090", "isDefault": True, "editable": False}, loki]
    if tracing != "none":
        sources.append(_trace_datasource(tracing))
    stale = [{"name": name, "orgId": 1} for backend, (name, _) in TRACE_BACKENDS.items() if backend != tracing]
    return {"apiVersion": 1, "deleteDatasources": stale, "datasources": sources}
