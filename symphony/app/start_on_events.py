"""`start` without Compose's half-second polling: create the containers with Compose, then start
each one the moment the engine reports its dependencies ready (the thin shell around
tasks/scheduler.py)."""
from __future__ import annotations

import json
import queue
import time

from symphony.infra import console as ui
from symphony.app.waiting import WaitOutcome
from symphony.core.scheduler import StartScheduler

RECONCILE_SECONDS = 1.0  # after this long without events, a snapshot catches any that were missed


def scheduler_for(model: dict, expected: list[str]) -> StartScheduler:
    services = model["services"]
    deps = {name: {d: (spec or {}).get("condition", "service_started")
                   for d, spec in (services[name].get("depends_on") or {}).items() if d in expected}
            for name in expected}
    one_shots = {n for n in expected if (services[n].get("labels") or {}).get("com.sentiric.one-shot") == "true"}
    for svc in services.values():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if (spec or {}).get("condition") == "service_completed_successfully" and dep in expected:
                one_shots.add(dep)
    has_hc = {n: bool(services[n].get("healthcheck")) and not services[n]["healthcheck"].get("disable")
              for n in expected}
    return StartScheduler(deps=deps, has_healthcheck=has_hc, one_shots=one_shots)


def _print(service: str, status: str, elapsed: float, started_at: float | None = None) -> None:
    """One progress line; a ready or failed service also shows how long it took since its start."""
    if status == "running":
        return  # "starting" was printed when Symphony started it; the next line is its health
    kind = "ok" if status in ("healthy", "completed") else "fail" if status == "failed" else "info"
    took = f"  ({elapsed - started_at:.1f}s after its start)" if started_at is not None and status != "starting" else ""
    ui.say(f"  {ui.paint(f'{service:<24}', kind)} {status:<10} {elapsed:5.1f}s{took}")


def start_in_order(runner, project: str, sched: StartScheduler, timeout: float, began: float,
                   snapshot, clock=time.monotonic) -> WaitOutcome:
    """Start containers as their conditions allow until every service is ready, one fails, or
    `timeout` passes. `snapshot()` returns the project's ContainerStates."""
    events: queue.Queue = queue.Queue()
    watcher = runner.stream(
        ["docker", "events", "--format", "{{json .}}", "--filter", "type=container",
         "--filter", f"label=com.docker.compose.project={project}",
         "--filter", "event=start", "--filter", "event=die", "--filter", "event=health_status"],
        events.put)
    try:
        return _loop(runner, sched, timeout, began, snapshot, events, clock)
    finally:
        watcher.stop()


def _loop(runner, sched, timeout, began, snapshot, events, clock) -> WaitOutcome:
    ids: dict[str, str] = {}
    started_at: dict[str, float] = {}  # when Symphony started each service, for its progress line
    starting = []  # `docker start` calls in flight: the loop keeps reading events meanwhile

    def reconcile():
        for s in snapshot():
            ids.setdefault(s.service, s.name)
            changed = sched.observe_state(s.service, s.state, s.health, s.exit_code)
            if changed:
                _print(s.service, changed, clock() - began, started_at.get(s.service))

    reconcile()
    idle_since = clock()
    while True:
        startable = [n for n in sched.startable() if n in ids]
        if startable:
            sched.mark_started(startable)
            for n in startable:
                started_at[n] = clock() - began
                _print(n, "starting", started_at[n])
                starting.append((n, runner.start(["docker", "start", ids[n]], quiet=True, capture=True)))
        for n, call in list(starting):
            if call.done():
                starting.remove((n, call))
                res = call.wait(check=False)
                if res.code != 0:
                    sched.status[n], sched.reason[n] = "failed", (res.stderr.strip().splitlines() or ["?"])[-1]
        elapsed = clock() - began
        if sched.failed() or (sched.done() and not starting) or elapsed >= timeout:
            states = snapshot()
            failed = [s for s in states if s.service in sched.failed()]
            return WaitOutcome(not sched.failed() and sched.done(), elapsed, states, failed, sched.pending(),
                               timed_out=not sched.done() and not sched.failed())
        try:
            line = events.get(timeout=0.1 if starting else 0.5)
        except queue.Empty:
            if clock() - idle_since >= RECONCILE_SECONDS:
                reconcile()  # events can be missed while the stream connects
                idle_since = clock()
            continue
        idle_since = clock()
        try:
            event = json.loads(line)
        except ValueError:
            continue
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        service = attrs.get("com.docker.compose.service", "")
        ids.setdefault(service, attrs.get("name", ""))
        code = attrs.get("exitCode")
        changed = sched.observe(service, event.get("Action", ""), int(code) if code not in (None, "") else None)
        if changed:
            _print(service, changed, clock() - began, started_at.get(service))
