"""What the engine says about a project's containers, as plain data (from `docker inspect` JSON),
and the status table built from it.

Pure functions: parsing, readiness rules and the status table are unit-tested without Docker.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from symphony.core.services import DEPENDS_ON_LABEL, healthcheck_active, one_shot_services, parse_depends_label

SERVICE_LABEL = "com.docker.compose.service"
PROJECT_LABEL = "com.docker.compose.project"
ONEOFF_LABEL = "com.docker.compose.oneoff"


@dataclass(frozen=True)
class ContainerState:
    service: str
    name: str
    state: str            # created | running | restarting | exited | dead | paused
    health: str           # healthy | unhealthy | starting | "" (no healthcheck)
    exit_code: int
    started_at: str
    image: str
    ports: tuple[str, ...] = ()
    restarts: int = 0
    last_check: str = ""  # output of the last healthcheck
    labels: dict = field(default_factory=dict, compare=False)
    has_healthcheck: bool = False  # the engine runs one (compose's or the image's own)
    one_shot: bool = False         # a job that runs to completion (core.services rule)

    @property
    def ready(self) -> bool:
        if self.one_shot:
            return self.state == "exited" and self.exit_code == 0
        if self.health:
            return self.state == "running" and self.health == "healthy"
        return self.state == "running"

    @property
    def failed(self) -> bool:
        if self.one_shot:
            return self.state == "exited" and self.exit_code != 0
        return self.health == "unhealthy" or self.state in ("exited", "dead")

    @property
    def shown_health(self) -> str:
        if self.one_shot and self.state == "exited":
            return "completed" if self.exit_code == 0 else f"failed ({self.exit_code})"
        return self.health or ("running" if self.state == "running" else self.state)


def parse_time(text: str) -> datetime | None:
    if not text or text.startswith("0001-"):
        return None
    text = text.rstrip("Z")
    head, _, frac = text.partition(".")
    try:
        return datetime.fromisoformat(head + ("." + frac[:6] if frac else "")).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _ports(network_settings: dict) -> tuple[str, ...]:
    out = []
    for container_port, bindings in sorted(((network_settings or {}).get("Ports") or {}).items()):
        for b in bindings or []:
            host_ip = b.get("HostIp") or "0.0.0.0"
            if host_ip == "::":
                continue  # the IPv6 twin of an IPv4 binding
            out.append(f"{host_ip}:{b.get('HostPort')}->{container_port}")
    return tuple(dict.fromkeys(out))


def parse_inspect(items: list[dict]) -> list[ContainerState]:
    states = []
    for item in items:
        labels = (item.get("Config") or {}).get("Labels") or {}
        if labels.get(ONEOFF_LABEL) == "True":
            continue  # `compose run` containers are not part of the running profile
        st = item.get("State") or {}
        health = st.get("Health") or {}
        config = item.get("Config") or {}
        log = health.get("Log") or []
        states.append(ContainerState(
            service=labels.get(SERVICE_LABEL, item.get("Name", "").lstrip("/")),
            name=item.get("Name", "").lstrip("/"),
            state=st.get("Status", ""),
            health=health.get("Status", ""),
            exit_code=int(st.get("ExitCode") or 0),
            started_at=st.get("StartedAt", ""),
            image=(item.get("Config") or {}).get("Image", ""),
            ports=_ports(item.get("NetworkSettings") or {}),
            restarts=int(item.get("RestartCount") or 0),
            last_check=(log[-1].get("Output") or "").strip() if log else "",
            labels=labels,
            has_healthcheck=healthcheck_active({"test": (config.get("Healthcheck") or {}).get("Test")}),
        ))
    jobs = one_shot_services({s.service: {"labels": s.labels, "depends_on": {
        d.name: {"condition": d.condition} for d in parse_depends_label(s.labels.get(DEPENDS_ON_LABEL, ""))}}
        for s in states})
    return sorted((replace(s, one_shot=s.service in jobs) for s in states), key=lambda s: (s.service, s.name))


def secret_env_values(items: list[dict], secret_by_service: dict[str, set[str]] | None = None) -> set[str]:
    """The values of the containers' environment (`docker inspect` items) that the secret rule
    classifies (core.secrets.is_secret: a secret name, a URL with a password), and those of the
    variables `secret_by_service` names for the container's Compose service (a plain name the
    compose file fills from a secret: the value the container got, even after a rotation)."""
    from symphony.core.secrets import is_secret

    found = set()
    for item in items:
        service = ((item.get("Config") or {}).get("Labels") or {}).get(SERVICE_LABEL, "")
        named = (secret_by_service or {}).get(service, set())
        for entry in (item.get("Config") or {}).get("Env") or []:
            key, _, value = entry.partition("=")
            if value and (key in named or is_secret(key, value)):
                found.add(value)
    return found


def secret_environment(doc: dict, secret_keys: set[str]) -> dict[str, set[str]]:
    """service -> the names of its `environment:` entries whose value (as the compose file writes
    it) uses a variable in `secret_keys` or one the secret rule names (`DB_CONN: ${POSTGRES_PASSWORD}`)."""
    from symphony.core.envcompiler.lint import variables_in
    from symphony.core.secrets import is_secret_name

    found: dict[str, set[str]] = {}
    for service, svc in ((doc or {}).get("services") or {}).items():
        environment = (svc or {}).get("environment") if isinstance(svc, dict) else None
        if isinstance(environment, list):
            environment = dict(str(e).partition("=")[::2] for e in environment)
        for name, value in (environment or {}).items() if isinstance(environment, dict) else ():
            used = variables_in([(0, str(value))]) if value is not None else {}
            if any(v in secret_keys or is_secret_name(v) for v in used):
                found.setdefault(str(service), set()).add(str(name))
    return found


def uptime(started_at: str, now: datetime) -> str:
    start = parse_time(started_at)
    if not start:
        return "-"
    seconds = max(0, int((now - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def status_rows(states: list[ContainerState], expected: list[str], now: datetime) -> list[dict]:
    """One row per service of the profile (and any stray container of the project)."""
    rows = []
    by_service: dict[str, list[ContainerState]] = {}
    for s in states:
        by_service.setdefault(s.service, []).append(s)
    for service in sorted(set(expected) | set(by_service)):
        found = by_service.get(service)
        if not found:
            rows.append({"service": service, "container": "", "state": "not created", "health": "-",
                         "uptime": "-", "ports": [], "image": "", "restarts": 0})
            continue
        for s in found:
            rows.append({
                "service": s.service, "container": s.name, "state": s.state, "health": s.shown_health,
                "uptime": uptime(s.started_at, now) if s.state == "running" else "-",
                "ports": list(s.ports), "image": s.image, "restarts": s.restarts,
            })
    return rows


def table(rows: list[dict], columns: list[str]) -> list[str]:
    cells = [[", ".join(r[c]) if isinstance(r[c], list) else str(r[c]) for c in columns] for r in rows]
    widths = [max([len(c.upper())] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    fmt = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()  # noqa: E731
    return [fmt([c.upper() for c in columns])] + [fmt(row) for row in cells]
