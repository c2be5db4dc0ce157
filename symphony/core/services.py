"""The one model of a compose service, and the rules every consumer shares (pure).

Compose resolves a profile into JSON (`docker compose config --format json`); the engine
describes what runs (`docker inspect`). Both are turned into `ServiceSpec`s here, so start,
restart, status, compose.check, the observability plan and the Kubernetes export ask the
same questions of the same rules:

- `healthcheck_kind`: what the engine makes of a `healthcheck:` (declared, switched off, left to
  the image's HEALTHCHECK, or a test with no command); `healthcheck_active` is "declared"
- `one_shot_services`: which services are jobs that run to completion? (labelled
  `com.sentiric.one-shot: "true"`, or awaited by another service with
  `service_completed_successfully`)
- `parse_port_range`: "8080", "41000-41002" -> (first, last)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

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


# What a compose `healthcheck:` means to the engine (checked against Docker 20.10 and Compose v5):
DECLARED = "declared"    # a test the engine runs
DISABLED = "disabled"    # `disable: true` or `test: ["NONE"]`: no healthcheck, not even the image's
FROM_IMAGE = "image"     # absent, or no test (timings only, `test: []`): the image's HEALTHCHECK, if any
NO_COMMAND = "empty"     # `["CMD"]` or `["CMD-SHELL"]` alone: nothing to run (Docker 20.10's daemon panics)


def healthcheck_kind(healthcheck) -> str:
    """THE rule for what a service's healthcheck is. A string test is a shell command (compose-go's
    transformHealthCheckTest makes it ["CMD-SHELL", text]), so `test: NONE` runs a command named NONE
    and fails; only the list `["NONE"]` switches the check off. A healthcheck without a test keeps the
    image's test (moby daemon/commit.go `merge`), so only the created container tells whether one runs:
    for a container's Config.Healthcheck, already merged, FROM_IMAGE means none."""
    if not isinstance(healthcheck, dict) or not healthcheck:
        return FROM_IMAGE
    if healthcheck.get("disable") in (True, "true"):
        return DISABLED
    test = healthcheck.get("test")
    if isinstance(test, str):
        return DECLARED
    if not isinstance(test, (list, tuple)) or not test:
        return FROM_IMAGE
    if test[0] == "NONE":  # exactly: Compose refuses "none", the engine does not know it
        return DISABLED
    if len(test) == 1 and test[0] in ("CMD", "CMD-SHELL"):
        return NO_COMMAND
    return DECLARED


def healthcheck_active(healthcheck) -> bool:
    """Does the compose file (or a container's merged config) declare a test the engine runs?"""
    return healthcheck_kind(healthcheck) == DECLARED


def dependencies(service: dict) -> tuple[Dependency, ...]:
    """`depends_on` in either syntax (a list, or a mapping with conditions)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return tuple(Dependency(str(d)) for d in deps)
    out = []
    for name, spec in deps.items():
        spec = spec or {}
        # `required` is a boolean (the schema says so); `restart` may also be the string "true"
        out.append(Dependency(name, spec.get("condition") or STARTED, spec.get("required") is not False,
                              spec.get("restart") in (True, "true")))
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


def with_engine_healthchecks(specs: dict[str, ServiceSpec], containers) -> dict[str, ServiceSpec]:
    """The compose model with each created container's answer to "does a healthcheck run": a service
    whose file declares none (or only timings) runs its image's HEALTHCHECK, which only the engine
    knows once the container exists."""
    runs = {c.service: c.has_healthcheck for c in containers}
    return {name: replace(spec, healthcheck=runs[name]) if name in runs and runs[name] != spec.healthcheck else spec
            for name, spec in specs.items()}


def health_waits_without_healthcheck(specs: dict[str, ServiceSpec], names) -> list[str]:
    """`service_healthy` dependencies that can never hold, because the dependency runs no healthcheck,
    as "dependent -> dependency". Compose fails these too ("container ... has no healthcheck
    configured", docker/compose pkg/compose/convergence.go isServiceHealthy)."""
    wanted = set(names)
    return [f"{name} -> {dep.name}" for name in sorted(wanted & set(specs)) for dep in specs[name].depends
            if dep.condition == HEALTHY and dep.name in wanted and dep.name in specs
            and not specs[dep.name].healthcheck]


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


def picks_one_port(published, target) -> bool:
    """A host range published for one container port (`18080-18090:80`): the engine binds one free
    port of the range, so no single port of it is required (or can clash for certain)."""
    start, end = parse_port_range(published)
    return end > start and "-" not in str(target).strip()


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
            if not published or published == "0" or picks_one_port(published, p.get("target", "")):
                continue  # none, "any free port", or any free one of a range: nothing to check
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
