#!/bin/sh
# Stand-in service: after $STANDIN_DELAY seconds, HTTP /health, /healthcheck, /, the
# observability backends' /ready, /-/ready and /api/health, and /metrics on every port of
# $STANDIN_PORTS (so wget and nc checks pass), and /tmp/ready for the command-style checks. Logs its start and ready times for the tests.
set -u
www=/tmp/www
mkdir -p "$www"
echo "standin $(hostname): args [$*] ports [${STANDIN_PORTS}] ready in ${STANDIN_DELAY}s"
(
  sleep "$STANDIN_DELAY"
  mkdir -p "$www/-" "$www/api"
  for page in health healthcheck index.html ready -/ready api/health; do echo ok > "$www/$page"; done
  printf '# TYPE standin_up gauge\nstandin_up 1\n# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 1\n' > "$www/metrics"
  for port in $STANDIN_PORTS; do httpd -p "$port" -h "$www"; done
  touch /tmp/ready
  echo "standin: ready"
) &
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
