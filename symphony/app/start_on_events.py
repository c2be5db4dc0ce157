"""Starting containers in dependency order without Compose's half-second polling: Compose has
created them; each one is started (`docker start`) the moment the engine's events say its
`depends_on` conditions hold (the decisions are core/scheduler.py's; this is the shell that
feeds it events and runs what it says). Used by `start` and by `restart`."""
from __future__ import annotations

import json
import queue
import time

from symphony.app.waiting import WaitOutcome
from symphony.core.scheduler import StartScheduler
from symphony.core.services import health_waits_without_healthcheck
from symphony.errors import SymphonyError
from symphony.infra import console as ui
from symphony.infra.runner import raise_if_engine_unusable

RECONCILE_SECONDS = 1.0  # after this long without events, a snapshot catches any that were missed
HEARTBEAT_SECONDS = 10.0  # with no progress line for this long, say who is still being waited for


def _print(service: str, status: str, elapsed: float, started_at: float | None = None) -> None:
    """One progress line; a ready or failed service also shows how long it took since its start."""
    if status == "running":
        return  # "starting" was printed when Symphony started it; the next line is its health
    kind = "ok" if status in ("healthy", "completed") else "fail" if status == "failed" else "info"
    took = f"  ({elapsed - started_at:.1f}s after its start)" if started_at is not None and status != "starting" else ""
    ui.say(f"  {ui.paint(f'{service:<24}', kind)} {status:<10} {elapsed:5.1f}s{took}")


def heartbeat_line(sched: StartScheduler, started_at: dict[str, float], elapsed: float) -> str:
    """`still waiting 40s: api (starting, 12s), ui (waits for api)` (pure, tested)."""
    parts = []
    for name in sched.pending():
        if name in started_at:
            parts.append(f"{name} ({sched.status[name]}, {elapsed - started_at[name]:.0f}s)")
        else:
            waits = [d for d, cond in sched.deps[name].items() if not sched.satisfied(d, cond)]
            parts.append(f"{name} (waits for {', '.join(waits)})" if waits else f"{name} (created)")
    return f"  still waiting {elapsed:.0f}s: " + ", ".join(parts)


def refuse_health_waits_without_healthcheck(specs, names, consequence: str) -> None:
    """A service that waits for a dependency to be healthy when no healthcheck runs in it would wait
    until the timeout: say so at once (start and restart)."""
    never = health_waits_without_healthcheck(specs, names)
    if never:
        raise SymphonyError("waits for health that can never come (service_healthy on a service whose container runs "
                            f"no healthcheck: neither the compose file nor its image defines one): {', '.join(never)}; "
                            + consequence,
                            hint="give the dependency a healthcheck in the compose file, or wait for it with "
                                 "condition: service_started")


def start_error(stderr: str) -> str:
    """What `docker start` said, without its closing summary: the engine's reason ("Bind for
    0.0.0.0:18080 failed: port is already allocated") comes first, "Error: failed to start
    containers: NAME" last."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    reasons = [line for line in lines if not line.startswith("Error: failed to start containers")]
    return "; ".join(reasons or lines) or "docker start failed"


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
        return _loop(runner, sched, timeout, began, snapshot, events, clock, watcher)
    finally:
        watcher.stop()


def _loop(runner, sched, timeout, began, snapshot, events, clock, watcher) -> WaitOutcome:
    ids: dict[str, str] = {}
    started_at: dict[str, float] = {}  # when Symphony started each service, for its progress line
    starting = []  # `docker start` calls in flight: the loop keeps reading events meanwhile
    last_line = clock()
    stream_ended = False

    def show(service, status):
        nonlocal last_line
        _print(service, status, clock() - began, started_at.get(service))
        last_line = clock()

    def reconcile():
        for s in snapshot():
            ids.setdefault(s.service, s.name)
            changed = sched.observe_state(s.service, s.state, s.health, s.exit_code)
            if changed:
                show(s.service, changed)

    reconcile()
    idle_since = clock()
    while True:
        startable = [n for n in sched.startable() if n in ids]
        if startable:
            sched.mark_started(startable)
            for n in startable:
                started_at[n] = clock() - began
                show(n, "starting")
                starting.append((n, runner.start(["docker", "start", ids[n]], quiet=True, capture=True)))
        for n, call in list(starting):
            if call.done():
                starting.remove((n, call))
                res = call.wait(check=False)  # an engine that went away raises here (exit 127)
                if res.code != 0:
                    sched.status[n], sched.reason[n] = "failed", start_error(res.stderr)
                    show(n, "failed")
        elapsed = clock() - began
        if sched.failed() or (sched.done() and not starting) or elapsed >= timeout:
            states = snapshot()
            failed = [s for s in states if s.service in sched.failed()]
            return WaitOutcome(not sched.failed() and sched.done(), elapsed, states, failed, sched.pending(),
                               timed_out=not sched.done() and not sched.failed(), reasons=dict(sched.reason))
        if clock() - last_line >= HEARTBEAT_SECONDS:
            ui.say(heartbeat_line(sched, started_at, elapsed))
            last_line = clock()
        try:
            line = events.get(timeout=0.1 if starting else 0.5)
        except queue.Empty:
            if watcher.done() and not stream_ended:
                # the event stream ended: the engine went away (exit 127); if it still answers,
                # carry on with snapshots alone
                raise_if_engine_unusable(None, runner.child_env("docker"))
                stream_ended = True
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
            show(service, changed)
