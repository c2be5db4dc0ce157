#!/bin/sh
# A small platform-shaped service for the demo profile: HTTP /health and /metrics on
# $PORT, healthy only after $STARTUP_DELAY seconds, and (for the data service) a boot
# counter kept in the /data volume so restarts can show that data survives.
set -eu
NAME="${SERVICE_NAME:-demo}"
PORT="${PORT:-8080}"
DELAY="${STARTUP_DELAY:-1}"
WWW=/tmp/www
# a restarted container keeps its files: the last run's /health must not answer before this run is ready
rm -f "$WWW/health"
mkdir -p "$WWW"
STARTED=$(date +%s)
echo "$NAME: starting, ready in ${DELAY}s"
# like many real services, it names what it connects to, credentials and all: `inv logs` must mask them
[ -n "${BROKER_URL:-}" ] && echo "$NAME: connecting to the broker at $BROKER_URL"

BOOTS=0
if [ -d /data ]; then
  BOOTS=$(( $(cat /data/boots 2>/dev/null || echo 0) + 1 ))
  echo "$BOOTS" > /data/boots
  echo "$NAME: boot number $BOOTS (kept in the /data volume)"
fi

write_metrics() {
  ticks=$1
  cat > "$WWW/metrics.tmp" <<METRICS
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds $STARTED
# HELP http_requests_total Requests served (synthetic demo traffic).
# TYPE http_requests_total counter
http_requests_total{code="200",handler="/api"} $((ticks * 5))
http_requests_total{code="500",handler="/api"} $((ticks / 10))
# HELP http_request_duration_seconds Request latency (synthetic demo traffic).
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} $((ticks * 3))
http_request_duration_seconds_bucket{le="0.1"} $((ticks * 4))
http_request_duration_seconds_bucket{le="0.5"} $((ticks * 5))
http_request_duration_seconds_bucket{le="+Inf"} $((ticks * 5 + ticks / 10))
http_request_duration_seconds_sum $((ticks / 4))
http_request_duration_seconds_count $((ticks * 5 + ticks / 10))
# HELP demo_boots_total Times this service started on its data volume.
# TYPE demo_boots_total counter
demo_boots_total $BOOTS
METRICS
  mv "$WWW/metrics.tmp" "$WWW/metrics"
}
write_metrics 0

(
  sleep "$DELAY"
  echo ok > "$WWW/health"
  echo "$NAME: ready"
  ticks=0
  while :; do
    ticks=$((ticks + 1))
    write_metrics "$ticks"
    [ $((ticks % 30)) -eq 0 ] && echo "$NAME: handled $((ticks * 5)) requests"
    sleep 2
  done
) &

trap 'echo "$NAME: stopping"; exit 0' TERM INT
httpd -f -p "$PORT" -h "$WWW" &
wait
