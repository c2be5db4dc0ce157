#!/bin/sh
# Plays pg_isready, redis-cli ping, rabbitmq-diagnostics ping, celery inspect ping, ...:
# succeeds once the stand-in has finished its simulated start-up.
if [ -f /tmp/ready ]; then echo "$(basename "$0"): ready"; exit 0; fi
echo "$(basename "$0"): not ready yet" >&2
exit 1
