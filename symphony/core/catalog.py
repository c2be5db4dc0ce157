"""The Sentiric platform as data: services, images, ports, healthchecks, dependencies.

This is the one source of the `core`, `gateway`, `prod` and `dev` compose files
(rendered by tasks/composegen.py; `inv compose.render` rewrites them and a test keeps
them equal). Facts come from the platform description (shared/platform.md); where it
is silent the choice is marked ASSUMED so it is easy to find and correct.
"""
from __future__ import annotations

from dataclasses import dataclass, field

IMAGE_REGISTRY = "ghcr.io/sentiric"
APP_ENV = ("ENV", "LOG_LEVEL")  # every application service gets these
TLS_MOUNT = "${TLS_CERTS_DIR}:${TLS_MOUNT_PATH}:ro"


@dataclass(frozen=True)
class Service:
    name: str
    image: str = ""                      # default: ghcr.io/sentiric/sentiric-<name>:${TAG:-latest}
    source: str = ""                     # sibling checkout built by `dev`; default sentiric-<name>
    tcp: tuple[int, ...] = ()            # ports used inside sentiric-net
    udp: tuple[int, ...] = ()
    published: tuple[str, ...] = ()      # compose short syntax, host side from the env
    health: tuple[str, ...] = ()         # compose healthcheck `test`
    start_period: str = "30s"
    depends: tuple[str, ...] = ()        # started after these are healthy
    env: tuple[str, ...] = ()            # variables passed from the generated env
    volumes: tuple[str, ...] = ()        # "name:/path" named volumes and "${DIR}:/path:ro" mounts
    command: tuple[str, ...] = ()
    metrics: tuple[int, str] | None = None   # (port, path) scraped by Prometheus
    data: bool = False                   # data layer: published image, never built from source
    tls: bool = True                     # mount the config repo's mTLS certificates
    labels: dict = field(default_factory=dict)

    @property
    def image_ref(self) -> str:
        return compose_image(self.image or f"{IMAGE_REGISTRY}/sentiric-{self.name}:${{TAG:-latest}}")

    @property
    def source_dir(self) -> str:
        return self.source or f"sentiric-{self.name}"


def compose_image(image: str) -> str:
    """An image reference as the compose files write it: Sentiric's images under
    ${SENTIRIC_REGISTRY} (default ghcr.io/sentiric), Docker Hub's under ${DOCKERHUB_MIRROR}
    (default docker.io), so an operator's registry mirror (or the tests' stand-in registry)
    replaces every image without an edit."""
    if image.startswith(IMAGE_REGISTRY + "/"):
        return "${SENTIRIC_REGISTRY:-" + IMAGE_REGISTRY + "}" + image[len(IMAGE_REGISTRY):]
    path = image if "/" in image.split(":")[0] else f"library/{image}"
    return "${DOCKERHUB_MIRROR:-docker.io}/" + path


def http_check(port: int, path: str = "/health") -> tuple[str, ...]:
    # busybox/alpine-based images ship wget; ASSUMED for the application images
    return ("CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}")


def tcp_check(port: int) -> tuple[str, ...]:
    # gRPC services: a TCP connect is the check their images can run (ASSUMED: nc present)
    return ("CMD", "nc", "-z", "127.0.0.1", str(port))


DATA = (
    Service(
        # postgres and redis need an exporter for metrics; they opt out of scraping until one is added
        "postgres", image="postgres:16-alpine", data=True, tls=False, tcp=(5432,), labels={"com.sentiric.metrics.enabled": "false"},
        health=("CMD-SHELL", 'pg_isready -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"'),
        env=("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"),
        volumes=("postgres-data:/var/lib/postgresql/data", "${POSTGRES_INIT_DIR}:/docker-entrypoint-initdb.d:ro"),
    ),
    Service(
        "rabbitmq", image="rabbitmq:4.1.0-management-alpine", data=True, tls=False, tcp=(5672, 15672, 15692),
        metrics=(15692, "/metrics"),  # the image enables the rabbitmq_prometheus plugin
        health=("CMD", "rabbitmq-diagnostics", "-q", "ping"), start_period="60s",
        env=("RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS"),
        volumes=("rabbitmq-data:/var/lib/rabbitmq",),
    ),
    Service(
        "redis", image="redis:7-alpine", data=True, tls=False, tcp=(6379,), labels={"com.sentiric.metrics.enabled": "false"},
        health=("CMD", "redis-cli", "ping"), volumes=("redis-data:/data",),
    ),
    Service(
        # the qdrant image has neither curl nor wget; bash's /dev/tcp is what it provides
        "qdrant", image="qdrant/qdrant:v1.13.4", data=True, tls=False, tcp=(6333, 6334), metrics=(6333, "/metrics"),
        health=("CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/6333"),
        volumes=("qdrant-data:/qdrant/storage",),
    ),
)

APPS = (
    Service("user-service", tcp=(50053,), health=tcp_check(50053), depends=("postgres",),
            env=("USER_SERVICE_GRPC_PORT", "USER_SERVICE_DATABASE_URL")),
    Service("dialplan-service", tcp=(50054,), health=tcp_check(50054), depends=("postgres",),
            env=("DIALPLAN_SERVICE_GRPC_PORT", "POSTGRES_URL", "USER_SERVICE_GRPC_URL")),
    Service("media-service", tcp=(50052,), health=tcp_check(50052), depends=("user-service", "dialplan-service"),
            published=("${RTP_PORT_MIN}-${RTP_PORT_MAX}:${RTP_PORT_MIN}-${RTP_PORT_MAX}/udp",),
            env=("MEDIA_SERVICE_GRPC_PORT", "RTP_PORT_MIN", "RTP_PORT_MAX", "MEDIA_PUBLIC_IP")),
    # SIP elements must speak TCP as well as UDP (RFC 3261), so a TCP connect checks them
    Service("sip-signaling", tcp=(5060,), udp=(5060,), health=tcp_check(5060),
            depends=("rabbitmq", "media-service"),
            env=("SIP_SIGNALING_PORT", "MEDIA_SERVICE_GRPC_URL", "USER_SERVICE_GRPC_URL",
                 "DIALPLAN_SERVICE_GRPC_URL", "RABBITMQ_URL")),
    Service("sip-gateway", tcp=(5060,), udp=(5060,), health=tcp_check(5060), depends=("sip-signaling",),
            published=("${SIP_GATEWAY_HOST_PORT}:5060/udp", "${SIP_GATEWAY_HOST_PORT}:5060/tcp"),
            env=("SIP_SIGNALING_URL", "SIP_GATEWAY_PUBLIC_IP")),
    Service("api-gateway", tcp=(8080,), health=http_check(8080), depends=("user-service", "dialplan-service"),
            published=("${API_GATEWAY_BIND}:${API_GATEWAY_HOST_PORT}:8080",), metrics=(8080, "/metrics"),
            env=("API_GATEWAY_PORT", "USER_SERVICE_GRPC_URL", "DIALPLAN_SERVICE_GRPC_URL",
                 "JWT_SECRET", "INTERNAL_API_TOKEN")),
    Service("tts-edge-service", tcp=(5006,), health=http_check(5006), env=("TTS_EDGE_SERVICE_PORT",)),
    Service("tts-gateway", tcp=(50051,), health=tcp_check(50051), depends=("tts-edge-service",),
            env=("TTS_GATEWAY_GRPC_PORT", "TTS_EDGE_SERVICE_URL")),
    Service("stt-service", tcp=(5001,), health=http_check(5001), env=("STT_SERVICE_PORT",)),
    Service("agent-service", tcp=(9091,), health=http_check(9091), depends=("rabbitmq", "tts-gateway"),
            metrics=(9091, "/metrics"),
            env=("AGENT_METRICS_PORT", "RABBITMQ_URL", "TTS_GATEWAY_GRPC_URL", "STT_SERVICE_URL",
                 "USER_SERVICE_GRPC_URL", "LLM_SERVICE_URL")),
    Service("llm-service", tcp=(7860,), health=http_check(7860), depends=("agent-service",),
            env=("LLM_SERVICE_PORT", "LLM_API_KEY")),
    Service("cdr-service", tcp=(5004, 9092), health=http_check(9092), depends=("postgres", "rabbitmq"),
            metrics=(9092, "/metrics"),
            env=("CDR_SERVICE_PORT", "CDR_METRICS_PORT", "CDR_DATABASE_URL", "RABBITMQ_URL")),
    Service("knowledge-service", tcp=(50055,), health=tcp_check(50055), depends=("postgres", "qdrant"),
            env=("KNOWLEDGE_SERVICE_PORT", "KNOWLEDGE_DATABASE_URL", "QDRANT_URL")),
    Service("connectors-service", tcp=(5005,), health=http_check(5005), depends=("postgres",),
            env=("CONNECTORS_SERVICE_PORT", "CONNECTORS_DATABASE_URL")),
    # ASSUMED: port 5007 (the platform description names no port for it)
    Service("messaging-gateway", tcp=(5007,), health=http_check(5007), depends=("rabbitmq",),
            env=("MESSAGING_GATEWAY_PORT", "MESSAGING_RABBITMQ_URL")),
    Service("task-service", tcp=(5003,), health=http_check(5003), depends=("rabbitmq", "redis"),
            env=("TASK_SERVICE_PORT", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")),
    # worker and beat run the task-service image with celery commands
    Service("task-worker", image=f"{IMAGE_REGISTRY}/sentiric-task-service:${{TAG:-latest}}", source="sentiric-task-service",
            command=("celery", "-A", "app", "worker", "--loglevel=INFO"), depends=("rabbitmq", "redis"),
            health=("CMD-SHELL", 'celery -A app inspect ping -d "celery@$$HOSTNAME"'), start_period="60s",
            env=("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")),
    Service("task-beat", image=f"{IMAGE_REGISTRY}/sentiric-task-service:${{TAG:-latest}}", source="sentiric-task-service",
            command=("celery", "-A", "app", "beat", "--loglevel=INFO"), depends=("rabbitmq", "redis"),
            # [c]: the pattern must not match the healthcheck's own `sh -c` command line
            health=("CMD-SHELL", "pgrep -f '[c]elery.*beat' >/dev/null"),
            env=("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")),
    Service("flower", image="mher/flower:2.0", data=True, tls=False, tcp=(5555,),
            health=http_check(5555, "/healthcheck"), depends=("rabbitmq",),
            command=("celery", "flower"), metrics=(5555, "/metrics"), env=("CELERY_BROKER_URL",)),
    Service("dashboard-ui", tcp=(80,), health=http_check(80, "/"), depends=("api-gateway",), tls=False,
            published=("127.0.0.1:${DASHBOARD_UI_HOST_PORT}:80",), env=("UI_API_BASE_URL",)),
    Service("web-agent-ui", tcp=(80,), health=http_check(80, "/"), depends=("api-gateway",), tls=False,
            published=("127.0.0.1:${WEB_AGENT_UI_HOST_PORT}:80",), env=("UI_API_BASE_URL",)),
)

SERVICES = {s.name: s for s in DATA + APPS}
EDGE = ("sip-gateway", "api-gateway")
UIS = ("dashboard-ui", "web-agent-ui")

# Which services each profile runs. `gateway` runs on a cloud VM and reaches core over
# a VPN, so its dependencies are not part of its profile (they are env URLs instead).
PROFILES = {
    "prod": tuple(SERVICES),
    "dev": tuple(SERVICES),
    "core": tuple(n for n in SERVICES if n not in EDGE and n not in UIS),
    "gateway": EDGE,
}
DESCRIPTIONS = {
    "prod": "prod: the whole platform from published images on one host.",
    "dev": (
        "dev: the whole platform; `inv start --profile dev` builds every application service whose\n"
        "checkout ../sentiric-<name> exists (x-sentiric-source) and uses published images for the rest."
    ),
    "core": (
        "core: everything but the edge (sip-gateway, api-gateway and the UIs that need it), from\n"
        "published images; runs on a developer box (WSL2) and serves the gateway profile over a VPN."
    ),
    "gateway": (
        "gateway: only the edge services, for a public cloud VM. They reach core over the VPN through\n"
        "the env (SIP_SIGNALING_URL, USER_SERVICE_GRPC_URL, ...), so nothing here depends_on core."
    ),
}
