"""Start order from `depends_on` conditions, driven by engine events (pure: no Docker here).

Compose's own `up` checks a dependency's health every half second and then starts the
dependent; reacting to the engine's health events instead saves that wait on every hop of
the chain. The stack task feeds this class events and snapshots and starts what it says.
"""
from __future__ import annotations

from dataclasses import dataclass, field

READY = ("healthy", "completed")


@dataclass
class StartScheduler:
    deps: dict[str, dict[str, str]]          # service -> {dependency: condition}
    has_healthcheck: dict[str, bool]
    one_shots: set[str]
    status: dict[str, str] = field(default_factory=dict)   # created | running | healthy | completed | failed
    reason: dict[str, str] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    def __post_init__(self):
        for name in self.deps:
            self.status.setdefault(name, "created")

    @classmethod
    def for_services(cls, specs: dict, expected, settled=()) -> "StartScheduler":
        """A scheduler for `expected` (names of core.services.ServiceSpec in `specs`). Services in
        `settled` are not (re)started by this run: their containers count as they are (a job that
        exited 0 is completed, a service that exited has failed), as `restart -s` needs."""
        names = [n for n in expected if n in specs]
        sched = cls(deps={n: specs[n].dependency_conditions(among=names) for n in names},
                    has_healthcheck={n: specs[n].healthcheck for n in names},
                    one_shots={n for n in names if specs[n].one_shot})
        sched.mark_started([n for n in settled if n in sched.deps])
        return sched

    # -- what the engine says ---------------------------------------------------------
    def observe(self, service: str, action: str, exit_code: int | None = None) -> str | None:
        """Apply one engine event; returns the new status when it changed."""
        if service not in self.deps:
            return None
        before = self.status[service]
        if action == "start":
            self.started.add(service)
            if before in ("created", "failed"):
                self.status[service] = "running"
        elif action == "health_status: healthy":
            self.status[service] = "healthy"
        elif action == "health_status: unhealthy":
            self.status[service], self.reason[service] = "failed", "unhealthy"
        elif action == "die":
            if service in self.one_shots and exit_code == 0:
                self.status[service] = "completed"
            else:
                self.status[service], self.reason[service] = "failed", f"exited with code {exit_code}"
        return self.status[service] if self.status[service] != before else None

    def observe_state(self, service: str, state: str, health: str, exit_code: int) -> str | None:
        """Reconcile with a snapshot (events can be missed while the stream connects). A container
        that is not running counts only once this run has started it: a job that exited in an
        earlier run runs again, as with `compose up`."""
        if service not in self.deps:
            return None
        if state in ("running", "restarting"):
            self.started.add(service)
            if health == "healthy":
                return self.observe(service, "health_status: healthy")
            if health == "unhealthy":
                return self.observe(service, "health_status: unhealthy")
            return self.observe(service, "start")
        if state in ("exited", "dead") and service in self.started \
                and self.status[service] in ("created", "running", "healthy"):
            return self.observe(service, "die", exit_code)
        return None

    # -- what to do ---------------------------------------------------------------------
    def ready(self, service: str) -> bool:
        status = self.status[service]
        if service in self.one_shots:
            return status == "completed"
        if self.has_healthcheck.get(service):
            return status == "healthy"
        return status in ("running", "healthy")

    def satisfied(self, dep: str, condition: str) -> bool:
        status = self.status.get(dep, "created")
        if condition == "service_healthy":
            return status == "healthy"
        if condition == "service_completed_successfully":
            return status == "completed"
        return status in ("running", "healthy", "completed")

    def startable(self) -> list[str]:
        return sorted(name for name, deps in self.deps.items()
                      if name not in self.started and self.status[name] == "created"
                      and all(self.satisfied(d, c) for d, c in deps.items()))

    def mark_started(self, names) -> None:
        self.started.update(names)

    def failed(self) -> list[str]:
        return sorted(n for n, s in self.status.items() if s == "failed")

    def pending(self) -> list[str]:
        return sorted(n for n in self.deps if not self.ready(n))

    def done(self) -> bool:
        return not self.pending()
