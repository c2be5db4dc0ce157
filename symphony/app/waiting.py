"""The outcome of waiting for a profile's services, and the report when they did not come up."""
from __future__ import annotations

from dataclasses import dataclass, field

from symphony.core.containers import ContainerState


@dataclass
class WaitOutcome:
    ok: bool
    elapsed: float
    states: list[ContainerState]
    failed: list[ContainerState]
    pending: list[str]
    timed_out: bool = False
    reasons: dict[str, str] = field(default_factory=dict)  # service -> why it failed (engine's words)


def failure_report(runner, outcome: WaitOutcome) -> str:
    """Per culprit: state, health, the last healthcheck output and the last log lines (the
    caller masks secrets); then who was left waiting on whom."""
    from symphony.infra.engine import container_logs

    lines = []
    culprits = outcome.failed or [s for s in outcome.states if s.service in outcome.pending and s.state != "created"]
    waiting = [s.service for s in outcome.states if s.service in outcome.pending and s.state == "created"]
    if waiting:
        lines.append(f"created but not started (waiting on dependencies): {', '.join(waiting)}")
    for s in culprits:
        lines.append(f"{s.service}: state {s.state}, health {s.shown_health}")
        if outcome.reasons.get(s.service) and outcome.reasons[s.service] not in ("unhealthy",):
            lines.append(f"  engine said: {outcome.reasons[s.service]}")
        if s.last_check:
            lines.append("  last healthcheck: " + s.last_check.replace("\n", "\n    ")[:600])
        logs = container_logs(runner, s.name, 15)
        if logs:
            lines.append("  last log lines:\n    " + logs.replace("\n", "\n    "))
    missing = [name for name in outcome.pending if name not in {s.service for s in outcome.states}]
    if missing:
        lines.append(f"never created (waiting on their dependencies): {', '.join(missing)}")
    return "\n".join(lines)
