#!/usr/bin/env bash
# Sets Symphony up on Debian/Ubuntu: the system packages, a virtualenv (.venv) with the Python
# packages (works on an "externally managed" system Python: nothing is installed into it), the
# bytecode of Symphony's modules, a running Docker engine, the local base image.
# Usage: bash scripts/setup.sh [--for-tests]     (idempotent; asks sudo for apt when not root)
#   --for-tests  also what the test suite needs: Debian's prometheus (the real Prometheus the
#                observability tests run), bash-static (stand-ins of images with bash), iproute2
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=0
case "${1:-}" in
  "") ;;
  --for-tests) for_tests=1 ;;
  *) echo "usage: bash scripts/setup.sh [--for-tests]" >&2; exit 2 ;;
esac

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

echo "== system packages"
pkgs=(python3 python3-venv docker.io busybox-static git file)
[ "$for_tests" = 1 ] && pkgs+=(prometheus bash-static iproute2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== python packages (.venv)"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Symphony needs Python 3.11 or newer ($("$python" --version 2>&1)); set PYTHON=python3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
# Symphony's bytecode, compiled once: every `inv` then loads it instead of compiling its modules
.venv/bin/python -m compileall -q symphony tasks tasks.py >/dev/null

echo "== docker engine"
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    $sudo systemctl start docker
  elif [ "$(id -u)" -eq 0 ]; then   # a container or CI machine without systemd
    nohup dockerd >/tmp/symphony-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 1; done
fi
docker version --format 'engine {{.Server.Version}}' \
  || { echo "the Docker engine does not answer: start it, and add yourself to the docker group" >&2; exit 1; }

echo "== local base image"
bash scripts/make-base-image.sh
echo "ready: .venv/bin/inv --list   (or: source .venv/bin/activate)"
