"""What `inv start --observability` adds to a profile's services (pure: model in, override out)."""
from __future__ import annotations

OBS_LABEL = "com.sentiric.observability"
# The log collector lists only containers labelled COLLECTOR_LABEL=TAIL (a Docker API filter in
# observability/alloy/config.alloy and promtail/promtail.yml); a container that logs through the
# loki driver is labelled DRIVER instead, so each container's lines reach Loki exactly once.
COLLECTOR_LABEL = "com.sentiric.logs.collector"
TAIL, DRIVER = "tail", "driver"
OTLP_ENDPOINT = "http://otlp:4318"  # tempo or jaeger, whichever runs, carries this alias
# The driver runs inside the daemon on the host: it reaches Loki through the port Loki
# publishes on the host's loopback, never through a name on sentiric-net.
LOKI_PUSH_URL = "http://127.0.0.1:{port}/loki/api/v1/push"
# Rename the driver's compose_* labels to the ones Prometheus, Alloy and the dashboard use.
LOKI_RELABEL = (
    # $$: Compose would interpolate a lone $
    "- action: labelmap\n  regex: compose_(service|project)\n  replacement: $$1\n"
    "- action: replace\n  source_labels: [container_name]\n  target_label: container\n"
)
# Compose interpolates this from the generated env (`inv start --observability` sets it there).
OTLP_FROM_ENV = "${OTEL_EXPORTER_OTLP_ENDPOINT}"


# The driver also keeps a local json-file copy of each container's log (so `docker logs` works):
# unbounded unless max-size is set (grafana/loki@v3.5.0 clients/cmd/docker-driver: driver.go
# hands the options to jsonfilelog.New; config.go accepts max-size and max-file; the vendored
# jsonfilelog defaults to -1, no limit). Three files of 10 MB: at most 30 MB per container.
LOCAL_COPY_MAX_SIZE, LOCAL_COPY_MAX_FILE = "10m", "3"


def loki_logging(loki_port: int = 3100, loki_push_url: str | None = None) -> dict:
    """Driver options that never block a container when Loki is down: non-blocking mode with a
    bounded buffer (lines are dropped, not waited for), few short retries, a short timeout; and a
    bounded local copy (max-size x max-file)."""
    return {
        "driver": "loki",
        "options": {
            "loki-url": loki_push_url or LOKI_PUSH_URL.format(port=loki_port),
            "mode": "non-blocking",
            "max-buffer-size": "4m",
            "loki-retries": "2",
            "loki-max-backoff": "800ms",
            "loki-timeout": "1s",
            "loki-batch-size": "102400",
            "loki-relabel-config": LOKI_RELABEL,
            "max-size": LOCAL_COPY_MAX_SIZE,
            "max-file": LOCAL_COPY_MAX_FILE,
        },
    }


def stack_override(model: dict, *, log_driver: str | None = None, loki_port: int = 3100,
                   loki_push_url: str | None = None, otlp_endpoint: str | None = None) -> dict:
    """Compose override for every platform service of `model` (`compose config` JSON): OTEL_*
    env and the collector label: `tail` (the log collector reads the container), or with
    log_driver="loki" the driver's logging block and `driver` (the collector never lists it):
    one stream per container, never two. Services labelled as part of the observability stack
    are left alone."""
    if log_driver not in (None, "loki"):
        raise ValueError(f"log driver {log_driver!r}: only 'loki' is supported")
    services = {}
    for name, svc in sorted((model.get("services") or {}).items()):
        if ((svc or {}).get("labels") or {}).get(OBS_LABEL) == "true":
            continue  # never instrument the observability stack with itself
        entry: dict = {"environment": {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint or OTLP_FROM_ENV,
            "OTEL_SERVICE_NAME": name,
        }}
        if log_driver == "loki":
            entry["logging"] = loki_logging(loki_port, loki_push_url)
        entry["labels"] = {COLLECTOR_LABEL: DRIVER if log_driver == "loki" else TAIL}
        services[name] = entry
    return {"services": services}


def obs_env(enabled: bool, otlp_endpoint: str = OTLP_ENDPOINT) -> dict[str, str]:
    """Variables the generated env gains when observability is on (none when it is off, so a
    service's SDK does not export to a collector that is not there)."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint} if enabled else {}
