"""Stand-in images built from the catalog's facts, for a machine that cannot pull the real ones.

Each stand-in reproduces what the catalog says about its real image, so that a wrong fact fails
the Docker tier as the real image would:
- only the tools the catalog lists (busybox applets for sh/wget; a `curl` that speaks the `-f`
  subset the healthchecks use; Debian's bash-static for bash; an `nc` with `-z`) — no others, so a
  healthcheck that runs a tool the image lacks fails with "not found";
- the uid the real process runs as (a key file it cannot read stops it, as it stops the service);
- exit 1 at start when a variable the code requires is unset, or a certificate file it names
  cannot be read;
- TCP listeners only on the service's TCP ports, on the port its variable says (or the code's
  default), answering only the real health and metrics paths (404 elsewhere); nothing on TCP
  where the real service only speaks UDP (SIP). UDP ports and RTP ranges are not bound (nothing
  probes them; Debian's busybox cannot bind UDP).
Python, node and perl are not reproduced: the readiness rule never needs them while an image has
bash, curl, wget or nc (tests/unit/test_standins.py checks every service against that).

Images are tagged under the stand-in registry (never a real image's name); the session's
teardown removes them (tests/conftest.py).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from symphony.core.platform.catalog import Catalog, Service
from tests.stack_helpers import STANDIN_REGISTRY, STANDIN_SETTINGS

LEGACY_CONTEXT = Path(__file__).resolve().parent / "standin"   # the observability backends' stand-in
BASE_IMAGE = "busybox:1.35"
STANDIN_LABEL = "com.sentiric.test-standin"
REPRODUCED_TOOLS = {"sh", "bash", "curl", "wget", "nc"}
DATA_DELAY, APP_DELAY = 2, 1

CURL = r"""#!/bin/busybox sh
# curl, the subset healthchecks use: -f -s -S -o FILE --max-time N URL. Fails (22) on an HTTP
# error or a refused connection, like `curl -f`.
url=""; timeout=10
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) shift ;;
    --max-time|-m) shift; timeout="$1" ;;
    -*) ;;
    *) url="$1" ;;
  esac
  shift
done
exec /bin/busybox wget -q -O /dev/null "$url" 2>/dev/null || exit 22  # (Debian's static busybox crashes on -T)
"""
NC = r"""#!/bin/busybox sh
# nc with -z (connect, then close) as openbsd netcat and alpine's busybox have it.
zero=""; wait=2; args=""
while [ $# -gt 0 ]; do
  case "$1" in
    -z) zero=1 ;;
    -w) shift; wait="$1" ;;
    *) args="$args $1" ;;
  esac
  shift
done
[ -n "$zero" ] && exec /bin/busybox nc -w "$wait" $args </dev/null
exec /bin/busybox nc $args
"""


def resolve(reference: str, tag: str = "latest") -> str:
    """A compose image reference with the stand-in registry's values substituted."""
    values = {**STANDIN_SETTINGS, "TAG": tag}
    return re.sub(r"\$\{([A-Z_]+)(?::-[^}]*)?\}", lambda m: values[m.group(1)], reference)


def image_name(svc: Service, tag: str = "latest") -> str:
    return resolve(svc.image_ref, tag)


def tools_of(svc: Service) -> set[str]:
    """The tools the stand-in has: the catalog's, as far as they can be reproduced."""
    return set(svc.tools) & REPRODUCED_TOOLS


def _check_tool(svc: Service) -> str | None:
    """A data image's own readiness tool (pg_isready, redis-cli ...): played by a TCP probe."""
    if not svc.check:
        return None
    return svc.check[1].split()[0] if svc.check[0] == "CMD-SHELL" else svc.check[1]


def run_script(svc: Service, delay: int) -> str:
    """The stand-in's process: the checks the real code makes at start, then the listeners."""
    lines = ["#!/bin/busybox sh", f"# stand-in for {svc.name} ({svc.image}), from compose/catalog/{svc.name}.yaml",
             "set -u", "bb=/bin/busybox", 'log() { echo "standin ' + svc.name + ': $*"; }']
    for e in svc.env:
        if e.required:
            lines.append(f'[ -n "${{{e.name}+x}}" ] || {{ log "required variable {e.name} is not set"; exit 1; }}')
        if e.empty == "exits":  # Compose passes a variable the config defines empty as set and empty
            lines.append(f'[ -n "${{{e.name}}}" ] || {{ log "required variable {e.name} is empty"; exit 1; }}')
        elif e.empty == "hangs":  # retries for ever and never opens a port
            lines.append(f'[ -n "${{{e.name}}}" ] || {{ log "{e.name} is empty: retrying for ever"; '
                         'while :; do $bb sleep 5; done; }')
        if re.search(r"_(CERT|KEY|CA)_PATH$", e.name) and e.value.startswith("/"):
            lines.append(f'[ -r "${{{e.name}}}" ] || {{ log "cannot read ${{{e.name}}} ({e.name})"; exit 1; }}')
    lines.append(f"$bb sleep {delay}  # the service's own start-up")
    www = "/tmp/standin-www"
    paths = {}
    for endpoint in (svc.health, svc.metrics):
        if endpoint and endpoint.path:
            paths.setdefault(endpoint.port, set()).add(endpoint.path)
    for p in svc.ports:
        if p.protocol != "tcp" or p.end is not None:
            continue
        port = f"${{{p.variable}:-{p.port}}}" if p.variable else str(p.port)
        root = f"{www}/{p.name}"
        lines.append(f"$bb mkdir -p {root}")
        for path in sorted(paths.get(p.name, ())):
            target = root + path.rstrip("/")
            body = "standin_up 1" if path == (svc.metrics.path if svc.metrics else None) else "ok"
            if path.rstrip("/") == "":
                target = f"{root}/index.html"
            lines.append(f"$bb mkdir -p $($bb dirname {target}) && echo '{body}' > {target}")
        lines.append(f'$bb httpd -p "{port}" -h {root} && log "listening on tcp {port} ({p.name})"')
    lines += ["log ready", "trap 'exit 0' TERM INT", "while :; do $bb sleep 3600 & wait $!; done"]
    return "\n".join(lines) + "\n"


def build_context(svc: Service, directory: Path, delay: int) -> Path:
    rootfs = directory / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    (rootfs / "usr/bin").mkdir(parents=True)
    (rootfs / "tmp").mkdir()
    (rootfs / "tmp").chmod(0o1777)  # any uid (the service's own) writes there, as in the real images
    (rootfs / "etc").mkdir()
    (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nappuser:x:1001:1001::/app:/bin/sh\n"
                                       "node:x:1000:1000::/home/node:/bin/sh\n")
    (rootfs / "etc/group").write_text("root:x:0:\nappgroup:x:1001:\nnode:x:1000:\n")
    tools = tools_of(svc)
    for applet in ("sh", "wget"):
        if applet in tools:
            (rootfs / "bin" / applet).symlink_to("busybox")
    scripts = {"curl": CURL, "nc": NC}
    for tool, text in scripts.items():
        if tool in tools:
            (rootfs / "usr/bin" / tool).write_text(text)
            (rootfs / "usr/bin" / tool).chmod(0o755)
    if "bash" in tools:
        bash = shutil.which("bash-static") or "/bin/bash-static"
        if not Path(bash).exists():
            raise RuntimeError("bash-static is needed for stand-ins of images with bash: apt-get install bash-static")
        shutil.copy(bash, rootfs / "bin" / "bash")
    check = _check_tool(svc)
    if check:
        first = next((p for p in svc.ports if p.protocol == "tcp"), None)
        (rootfs / "usr/bin" / check).write_text(
            f"#!/bin/busybox sh\n# plays {check}: ready once the service's port answers\n"
            f"exec /bin/busybox nc -w 2 127.0.0.1 {first.port if first else 1} </dev/null >/dev/null 2>&1\n")
        (rootfs / "usr/bin" / check).chmod(0o755)
    (rootfs / "standin").write_text(run_script(svc, delay))
    user = svc.process_uid if svc.process_uid.isdigit() else "0"
    (directory / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE} AS busybox\n"
        "FROM scratch\n"
        "COPY --from=busybox /bin/busybox /bin/busybox\n"
        "COPY --from=busybox /etc/nsswitch.conf /etc/nsswitch.conf\n"  # static glibc resolves names through it

        "COPY rootfs/ /\n"
        "ENV PATH=/usr/bin:/bin\n"
        f'LABEL {STANDIN_LABEL}="true" com.sentiric.standin.of="{svc.image}"\n'
        f"USER {user}\n"
        'ENTRYPOINT ["/bin/busybox", "sh", "/standin"]\n')
    return directory


def build_standin(svc: Service, delay: int | None = None) -> str:
    image = image_name(svc)
    assert image.startswith(STANDIN_REGISTRY + "/"), f"{image}: a stand-in must never take a real image's name"
    with tempfile.TemporaryDirectory(prefix=f"standin-{svc.name}-") as tmp:
        build_context(svc, Path(tmp), delay if delay is not None else (DATA_DELAY if svc.tier == "data" else APP_DELAY))
        subprocess.run(["docker", "build", "-q", "-t", image, tmp], check=True, capture_output=True, text=True,
                       timeout=300)
    return image


def build_standins(catalog: Catalog, profile: str) -> list[str]:
    """One stand-in per service image of `profile` (services sharing an image share one)."""
    built = {}
    for name in catalog.profiles[profile]:
        svc = catalog.services[name]
        image = image_name(svc)
        if image not in built:
            built[image] = build_standin(svc)
    return list(built)


# the observability backends that cannot be pulled here, with the ports their healthchecks,
# the services' OTLP exporters and Prometheus' `observability` job use (Prometheus itself runs
# for real); the stand-in answers /metrics on each
OBS_STANDINS = {f"{STANDIN_REGISTRY}/grafana/grafana:11.6.0": "3000", f"{STANDIN_REGISTRY}/grafana/loki:3.5.0": "3100",
                f"{STANDIN_REGISTRY}/grafana/alloy:v1.8.3": "12345",
                f"{STANDIN_REGISTRY}/grafana/tempo:2.7.2": "3200 4318",
                f"{STANDIN_REGISTRY}/grafana/promtail:3.5.0": "9080",
                f"{STANDIN_REGISTRY}/jaegertracing/jaeger:2.5.0": "16686 4318 8888"}
PROMETHEUS_IMAGE = f"{STANDIN_REGISTRY}/prom/prometheus:v2.53.3"


def build_image(image: str, ports: str, delay: int) -> None:
    assert image.startswith(STANDIN_REGISTRY + "/"), f"{image}: a stand-in must never take a real image's name"
    grafana = "/grafana/grafana:" in image  # the real image has the `grafana` CLI obs.up calls
    subprocess.run(
        ["docker", "build", "-q", "-t", image, "--build-arg", f"STANDIN_PORTS={ports}",
         "--build-arg", f"STANDIN_DELAY={delay}", "--build-arg", f"STANDIN_GRAFANA_CLI={'1' if grafana else ''}",
         str(LEGACY_CONTEXT)],
        check=True, capture_output=True, text=True, timeout=300,
    )


def build_prometheus(root: Path) -> str:
    """The real Prometheus (Debian's binary) in a local image under the stand-in registry."""
    subprocess.run(["bash", "scripts/make-prometheus-image.sh", PROMETHEUS_IMAGE], cwd=root, check=True,
                   capture_output=True)
    return PROMETHEUS_IMAGE


def build_obs_standins() -> list[str]:
    for image, ports in OBS_STANDINS.items():
        build_image(image, ports, APP_DELAY)
    return list(OBS_STANDINS)


def remove_standins() -> None:
    """Every image this session tagged under the stand-in registry."""
    refs = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                          text=True).stdout.split()
    ours = [r for r in refs if r.startswith(STANDIN_REGISTRY + "/")]
    if ours:
        subprocess.run(["docker", "image", "rm", "-f", *ours], capture_output=True)

