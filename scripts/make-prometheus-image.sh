#!/usr/bin/env bash
# Builds a Prometheus image from Debian's `prometheus` package (binary + the libc it links), for
# machines without a registry. It is tagged under a local name, never as prom/prometheus:
# use it with `PROMETHEUS_IMAGE=symphony-local/prometheus:debian inv obs.up`.
# Usage: scripts/make-prometheus-image.sh [TAG]   (idempotent; needs /usr/bin/prometheus, docker)
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-symphony-local/prometheus:debian}"
if docker image inspect "$tag" >/dev/null 2>&1; then echo "prometheus image $tag already present"; exit 0; fi
bin="$(command -v prometheus || true)"
[ -n "$bin" ] || { echo "prometheus not found: apt-get install prometheus" >&2; exit 127; }
ctx="$(mktemp -d)"; trap 'rm -rf "$ctx"' EXIT
cp -r observability/images/prometheus/Dockerfile "$ctx/"
mkdir -p "$ctx/rootfs/bin"
cp "$bin" "$ctx/rootfs/bin/prometheus"
# the shared libraries it links (just libc and the loader for Debian's build)
for lib in $(ldd "$bin" | awk '/=>/ {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"; cp -L "$lib" "$ctx/rootfs$lib"
done
docker build -q -t "$tag" "$ctx" >/dev/null
echo "built prometheus image $tag from $bin ($("$bin" --version 2>&1 | head -1))"
