"""The one model of a compose service, and the rules every consumer shares (pure).

Compose resolves a profile into JSON (`docker compose config --format json`); the engine
describes what runs (`docker inspect`). Both are turned into `ServiceSpec`s here, so start,
restart, status, compose.check, the observability plan and the Kubernetes export ask the
same questions of the same rules:

- `healthcheck_active`: does a healthcheck exist that the engine will run? (`test: ["NONE"]`,
  `disable: true`, an empty test: no)
- `one_shot_services`: which services are jobs that run to completion? (labelled
  `com.sentiric.one-shot: "true"`, or awaited by another service with
  `service_completed_successfully`)
- `parse_port_range`: "8080", "41000-41002" -> (first, last)
"""
from __future__ import annotations

from dataclasses import dataclass

ONE_SHOT_LABEL = "com.sentiric.one-shot"
COMPLETED = "service_completed_successfully"
HEALTHY = "service_healthy"
STARTED = "service_started"
CONDITIONS = (STARTED, HEALTHY, COMPLETED)
# The label Compose v2 puts on each container: "db:service_healthy:false,migrate:service_completed_successfully:false"
DEPENDS_ON_LABEL = "com.docker.compose.depends_on"


@dataclass(frozen=True)
class Dependency:
    name: str
    condition: str = STARTED
    required: bool = True   # `required: false`: start anyway when the dependency is absent
    restart: bool = False   # `restart: true`: restart this service when the dependency restarts


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    healthcheck: bool
    one_shot: bool
    depends: tuple[Dependency, ...] = ()

    def dependency_conditions(self, among=None) -> dict[str, str]:
        return {d.name: d.condition for d in self.depends if among is None or d.name in among}


def healthcheck_active(healthcheck) -> bool:
    """THE rule for "this service has a healthcheck": present, not disabled, and a test that is
    not NONE (Compose's way to switch off an image's HEALTHCHECK) and not empty."""
    if not isinstance(healthcheck, dict) or not healthcheck or healthcheck.get("disable"):
        return False
    test = healthcheck.get("test")
    if isinstance(test, str):
        return bool(test.strip()) and test.strip().upper() != "NONE"
    if isinstance(test, (list, tuple)):
        return (bool(test) and str(test[0]).upper() != "NONE"
                and not (len(test) == 1 and test[0] in ("CMD", "CMD-SHELL")))
    return False


def dependencies(service: dict) -> tuple[Dependency, ...]:
    """`depends_on` in either syntax (a list, or a mapping with conditions)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return tuple(Dependency(str(d)) for d in deps)
    out = []
    for name, spec in deps.items():
        spec = spec or {}
        out.append(Dependency(name, spec.get("condition") or STARTED, bool(spec.get("required", True)),
                              bool(spec.get("restart", False))))
    return tuple(out)


def one_shot_services(services: dict[str, dict]) -> set[str]:
    """Jobs: labelled one-shot, or awaited with service_completed_successfully by anyone."""
    jobs = {name for name, svc in services.items()
            if str(((svc or {}).get("labels") or {}).get(ONE_SHOT_LABEL)) == "true"}
    for svc in services.values():
        for dep in dependencies(svc or {}):
            if dep.condition == COMPLETED:
                jobs.add(dep.name)
    return jobs


def specs_from_compose(model: dict) -> dict[str, ServiceSpec]:
    """Every service of a resolved compose model (`config --format json`)."""
    services = model.get("services") or {}
    jobs = one_shot_services(services)
    return {name: ServiceSpec(name, healthcheck_active((svc or {}).get("healthcheck")), name in jobs,
                              dependencies(svc or {}))
            for name, svc in services.items()}


def parse_depends_label(text: str) -> tuple[Dependency, ...]:
    deps = []
    for item in (text or "").split(","):
        parts = item.split(":")
        if parts and parts[0]:
            condition = parts[1] if len(parts) > 1 and parts[1] in CONDITIONS else STARTED
            restart = len(parts) > 2 and parts[2] == "true"
            deps.append(Dependency(parts[0], condition, True, restart))
    return tuple(deps)


def specs_from_containers(containers: list) -> dict[str, ServiceSpec]:
    """What the engine runs (core.containers.ContainerState list), as the same model: the
    dependencies come from the label Compose writes on each container."""
    by_service: dict[str, dict] = {}
    for c in containers:
        by_service.setdefault(c.service, {
            "labels": c.labels,
            "healthcheck": {"test": ["CMD", "(from image)"]} if c.has_healthcheck else None,
            "depends_on": {d.name: {"condition": d.condition, "restart": d.restart}
                           for d in parse_depends_label(c.labels.get(DEPENDS_ON_LABEL, ""))},
        })
    return specs_from_compose({"services": by_service})


def parse_port_range(text) -> tuple[int, int]:
    """"8080" -> (8080, 8080); "41000-41002" -> (41000, 41002); ValueError otherwise."""
    first, _, last = str(text).strip().partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        raise ValueError(f"not a port or port range: {text!r}")
    start, end = int(first), int(last or first)
    if end < start or not 0 <= start <= 65535 or end > 65535:
        raise ValueError(f"not a port or port range: {text!r}")
    return start, end


@dataclass(frozen=True, order=True)
class PublishedPort:
    port: int
    protocol: str
    host_ip: str
    service: str


def published_ports(model: dict) -> list[PublishedPort]:
    """Every host port the resolved model publishes (ranges expanded)."""
    found = []
    for name, svc in sorted((model.get("services") or {}).items()):
        for p in (svc or {}).get("ports") or []:
            published = str(p.get("published") or "")
            if not published or published == "0":
                continue  # none, or "any free port": nothing to check
            start, end = parse_port_range(published)
            for port in range(start, end + 1):
                found.append(PublishedPort(port, p.get("protocol") or "tcp", p.get("host_ip") or "0.0.0.0", name))
    return sorted(found)


def start_order(specs: dict[str, ServiceSpec], names) -> list[str]:
    """`names` with every dependency before its dependents (ties by name)."""
    wanted = set(names)
    order, done = [], set()

    def visit(name, seen=()):
        if name in done or name in seen:
            return
        for dep in sorted(d.name for d in specs[name].depends if d.name in wanted and d.name in specs):
            visit(dep, (*seen, name))
        done.add(name)
        order.append(name)

    for name in sorted(wanted):
        if name in specs:
            visit(name)
    return order


def with_dependencies(specs: dict[str, ServiceSpec], names) -> set[str]:
    wanted, queue = set(), list(names)
    while queue:
        name = queue.pop()
        if name in wanted or name not in specs:
            continue
        wanted.add(name)
        queue.extend(d.name for d in specs[name].depends)
    return wanted


def with_restart_dependents(specs: dict[str, ServiceSpec], names) -> set[str]:
    """`names` plus every service that declares `restart: true` on one of them (transitively):
    Compose restarts those with their dependency, and so does Symphony."""
    chosen = set(names)
    changed = True
    while changed:
        changed = False
        for spec in specs.values():
            if spec.name not in chosen and any(d.restart and d.name in chosen for d in spec.depends):
                chosen.add(spec.name)
                changed = True
    return chosen
