"""`restart`: stop services and start them again through the same dependency-ordered start as
`start` (app/start_on_events.py), so a dependency is ready before its dependents come back.

Which services: the ones asked for (default: all of the running profile), plus every service
that declares `restart: true` on one of them (as Compose does). The dependencies come from
the labels Compose wrote on the containers, so no env file is needed. A dependency that is
not restarted counts as it is: when it is not ready (it failed, or was never started), the
restart is refused before anything is stopped.
"""
from __future__ import annotations

import time

from symphony.errors import SymphonyError
from symphony.infra import console as ui
from symphony.infra import state


def restart_services(runner, profile: str, services, timeout: float, wait: bool = True):
    from symphony.app.profiles import check_services, declared_services
    from symphony.app.start_on_events import refuse_health_waits_without_healthcheck, start_in_order
    from symphony.app.waiting import failure_report
    from symphony.core.scheduler import StartScheduler
    from symphony.core.services import specs_from_containers, start_order, with_dependencies, with_restart_dependents
    from symphony.infra.engine import project_states

    project = state.project_name(profile)
    current = project_states(runner, project)  # read-only: a dry run asks too, to show what it would do
    if not current:
        raise SymphonyError(f"profile {profile} is not running", hint=f"start it with `inv start --profile {profile}`")
    specs = specs_from_containers(current)
    requested = check_services(services, set(specs) | set(declared_services(profile)), profile)
    gone = [name for name in requested if name not in specs]
    if gone:  # declared, but its container was removed: only a start creates it again
        raise SymphonyError(f"cannot restart {', '.join(gone)}: no container (removed by hand?); nothing was stopped",
                            hint=f"`inv start --profile {profile}` creates it again")
    chosen = with_restart_dependents(specs, requested or specs)
    involved = with_dependencies(specs, chosen)
    settled = sorted(involved - chosen)
    refuse_health_waits_without_healthcheck(specs, involved, "nothing was stopped")
    _refuse_unready_dependencies(specs, chosen, current, profile)
    order = start_order(specs, chosen)
    began = time.monotonic()
    # dependents first, so nothing runs while what it needs is down
    runner.compose(project, [], [], "stop", *reversed(order), capture=True)
    if runner.dry_run:
        ui.say(ui.paint("+ (then `docker start` of each, in dependency order: " + ", ".join(order) + ")", "info"))
        return None
    if not wait:
        runner.compose(project, [], [], "start", *order, capture=True)
        ui.status("ok", f"restarted {', '.join(order)} (not waiting for health: --no-wait)")
        return None
    sched = StartScheduler.for_services(specs, sorted(involved), settled)
    outcome = start_in_order(runner, project, sched, timeout, began, lambda: project_states(runner, project))
    if not outcome.ok:
        what = f"timed out after {timeout:g}s" if outcome.timed_out else \
            "; ".join(f"{n}: {sched.reason.get(n, 'failed')}" for n in sched.failed())
        raise SymphonyError(f"after restart, not ready ({what})\n" + ui.mask(failure_report(runner, outcome)),
                            hint="`inv logs -s SERVICE`, `inv status`")
    ui.status("ok", f"restarted {', '.join(order)} ({outcome.elapsed:.1f}s)")
    return outcome


def _refuse_unready_dependencies(specs, chosen, current, profile) -> None:
    by_service = {s.service: s for s in current}
    problems = []
    for name in sorted(chosen):
        for dep in specs[name].depends:
            if dep.name in chosen:
                continue  # restarted with it
            c = by_service.get(dep.name)
            if c is None:
                problems.append(f"{name} needs {dep.name}, which has no container")
            elif dep.condition == "service_completed_successfully":
                if not (c.state == "exited" and c.exit_code == 0):
                    problems.append(f"{name} needs {dep.name} to have completed, but it is {c.shown_health}")
            elif c.state != "running" or c.health == "unhealthy" or (
                    dep.condition == "service_healthy" and c.health not in ("healthy", "starting")):
                problems.append(f"{name} needs {dep.name}, which is {c.shown_health}")
    if problems:
        raise SymphonyError("cannot restart: " + "; ".join(problems) + "; nothing was stopped",
                            hint=f"bring the whole profile up again with `inv start --profile {profile}`, "
                                 "or restart the dependency too (-s)")
