"""Waiting for a project to become ready, with one progress line per service change."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from symphony.infra import console as ui
from symphony.core.containers import ContainerState

POLL_SECONDS = 0.25


@dataclass
class Progress:
    """Turns successive snapshots into `service state elapsed` events (pure)."""

    expected: list[str]
    seen: dict[str, str] = field(default_factory=dict)
    ready_at: dict[str, float] = field(default_factory=dict)

    def feed(self, states: list[ContainerState], elapsed: float) -> list[tuple[str, str, float]]:
        events = []
        for s in states:
            if s.service not in self.expected:
                continue
            shown = s.shown_health if s.state != "created" else "created"
            if self.seen.get(s.service) != shown:
                self.seen[s.service] = shown
                events.append((s.service, shown, elapsed))
            if s.ready and s.service not in self.ready_at:
                self.ready_at[s.service] = elapsed
        return events

    def pending(self, states: list[ContainerState]) -> list[str]:
        ready = {s.service for s in states if s.ready}
        return [name for name in self.expected if name not in ready]


@dataclass
class WaitOutcome:
    ok: bool
    elapsed: float
    states: list[ContainerState]
    failed: list[ContainerState]
    pending: list[str]
    timed_out: bool = False


def wait_ready(snapshot, expected: list[str], timeout: float, *, started: float | None = None,
               clock=time.monotonic, sleep=time.sleep) -> WaitOutcome:
    """Poll `snapshot()` until every expected service is ready, one fails, or time runs out."""
    started = clock() if started is None else started
    progress = Progress(list(expected))
    while True:
        states = snapshot()
        elapsed = clock() - started
        for service, shown, at in progress.feed(states, elapsed):
            kind = "ok" if shown in ("healthy", "running", "completed") else "fail" if shown in ("unhealthy", "exited", "dead") or shown.startswith("failed") else "info"
            ui.say(f"  {ui.paint(f'{service:<24}', kind)} {shown:<10} {at:5.1f}s")
        failed = [s for s in states if s.service in expected and s.failed]
        pending = progress.pending(states)
        if failed:
            return WaitOutcome(False, elapsed, states, failed, pending)
        if not pending:
            return WaitOutcome(True, elapsed, states, [], [])
        if elapsed >= timeout:
            return WaitOutcome(False, elapsed, states, [], pending, timed_out=True)
        sleep(POLL_SECONDS)


def failure_report(runner, outcome, compose_error=""):
    from symphony.infra.engine import container_logs

    lines = []
    if compose_error:
        lines.append("compose said:\n    " + "\n    ".join(compose_error.strip().splitlines()[-8:]))
    culprits = outcome.failed or [s for s in outcome.states if s.service in outcome.pending and s.state != "created"]
    waiting = [s.service for s in outcome.states if s.service in outcome.pending and s.state == "created"]
    if waiting:
        lines.append(f"created but not started (waiting on dependencies): {', '.join(waiting)}")
    for s in culprits:
        lines.append(f"{s.service}: state {s.state}, health {s.shown_health}")
        if s.last_check:
            lines.append("  last healthcheck: " + s.last_check.replace("\n", "\n    ")[:600])
        logs = container_logs(runner, s.name, 15)
        if logs:
            lines.append("  last log lines:\n    " + logs.replace("\n", "\n    "))
    missing = [name for name in outcome.pending if name not in {s.service for s in outcome.states}]
    if missing:
        lines.append(f"never created (waiting on their dependencies): {', '.join(missing)}")
    return "\n".join(lines)
