"""The stack lifecycle: start, stop, restart, status, logs, clean (root tasks, like the old Makefile)."""
from __future__ import annotations

from symphony.cli import CONTEXT_HELP, DRY_HELP, LOCK_HELP, PROFILE_HELP, SERVICE_HELP, settings, task


@task(
    iterable=["service", "set"],
    help={
        "profile": PROFILE_HELP,
        "service": SERVICE_HELP + "; its dependencies start too",
        "build": "rebuild images that have a build section",
        "pull": "image pull policy: missing | always | never (default: what each service says)",
        "no_wait": "return once containers are created, without waiting for health",
        "timeout": "seconds to wait for every service to be healthy (default: symphony.health_timeout)",
        "offline": "do not fetch the config repo",
        "replace": "if another profile is running here, stop it (keeping its volumes) first",
        "config": "config repo path (default: the usual config source)",
        "set": "override an env value KEY=VALUE (repeatable)",
        "dry_run": DRY_HELP,
        "context": CONTEXT_HELP,
        "lock_timeout": LOCK_HELP,
        "observability": "also start the observability stack and point every service's traces at it",
        "log_driver": "with --observability: `loki` makes services log through the loki Docker driver",
        "collector": "with --observability: alloy (default) | promtail | none",
        "tracing": "with --observability: tempo (default) | jaeger | none",
    },
)
def start(c, profile=None, service=None, build=False, pull=None, no_wait=False, timeout=None, offline=False,
          replace=False, config=None, set=None, dry_run=False, context=None, lock_timeout=None,
          observability=False, log_driver=None, collector="alloy", tracing="tempo"):
    """Start a profile: sync config, generate env, lint, start in dependency order until healthy."""
    from symphony.app.profiles import active_profile
    from symphony.app.start import StartRequest, print_started, start_profile, validate_request
    from symphony.infra.runner import engine_runner

    s = settings(c)
    req = StartRequest(profile=active_profile(s, profile), services=list(service or ()), build=build, pull=pull,
                       wait=not no_wait, timeout=s.seconds("health_timeout", timeout, "--timeout", waiting=not no_wait),
                       lock_timeout=s.seconds("lock_timeout", lock_timeout, "--lock-timeout"), offline=offline,
                       replace=replace, config=config, sets=list(set or ()), observability=observability,
                       log_driver=log_driver, collector=collector, tracing=tracing)
    validate_request(req)  # bad flags are refused before anything talks to the engine
    outcome = start_profile(s, engine_runner(c, context, dry_run), req)
    if outcome is not None:
        print_started(req.profile, outcome)


@task(help={
    "profile": PROFILE_HELP,
    "volumes": "also delete this profile's named volumes (asks first; all their data is lost)",
    "yes": "do not ask for confirmation",
    "dry_run": DRY_HELP,
    "context": CONTEXT_HELP,
    "lock_timeout": LOCK_HELP,
})
def stop(c, profile=None, volumes=False, yes=False, dry_run=False, context=None, lock_timeout=None):
    """Stop and remove the profile's containers; volumes (your data) are kept."""
    from symphony.app.lifecycle import stop_profile
    from symphony.app.locking import stack_locked
    from symphony.app.profiles import active_profile
    from symphony.infra.runner import engine_runner

    s = settings(c)
    profile = active_profile(s, profile)
    wait = s.seconds("lock_timeout", lock_timeout, "--lock-timeout")
    runner = engine_runner(c, context, dry_run)
    with stack_locked(runner, f"stop --profile {profile}", wait):
        stop_profile(runner, profile, volumes, yes)


@task(iterable=["service"], help={
    "profile": PROFILE_HELP, "service": SERVICE_HELP + " (default: all)",
    "timeout": "seconds to wait for health again (default: symphony.health_timeout)",
    "no_wait": "do not wait for health", "dry_run": DRY_HELP, "context": CONTEXT_HELP, "lock_timeout": LOCK_HELP,
})
def restart(c, profile=None, service=None, timeout=None, no_wait=False, dry_run=False, context=None, lock_timeout=None):
    """Restart services of the running profile in dependency order and wait until they are ready."""
    from symphony.app.locking import stack_locked
    from symphony.app.profiles import active_profile
    from symphony.app.restart import restart_services
    from symphony.infra.runner import engine_runner

    s = settings(c)
    wait_for = s.seconds("health_timeout", timeout, "--timeout", waiting=not no_wait)
    wait = s.seconds("lock_timeout", lock_timeout, "--lock-timeout")
    profile = active_profile(s, profile)
    runner = engine_runner(c, context, dry_run)
    with stack_locked(runner, f"restart --profile {profile}", wait):
        restart_services(runner, profile, list(service or ()), wait_for, wait=not no_wait)


@task(help={"profile": PROFILE_HELP, "json": "print JSON for scripts", "context": CONTEXT_HELP})
def status(c, profile=None, json=False, context=None):
    """Each service of the profile: state, health, uptime, ports, image."""
    import json as jsonlib

    from symphony.app.profiles import active_profile
    from symphony.app.status import profile_status
    from symphony.core.containers import table
    from symphony.infra import console as ui
    from symphony.infra.runner import engine_runner

    report = profile_status(engine_runner(c, context, False), active_profile(settings(c), profile))
    if json:
        print(jsonlib.dumps(report, indent=2))
        return
    ui.say(f"profile {report['profile']} (project {report['project']})")
    for line in table(report["services"], ["service", "state", "health", "uptime", "ports", "image"]):
        ui.say("  " + line)


@task(iterable=["service"], help={
    "profile": PROFILE_HELP, "service": SERVICE_HELP + " (default: all)", "follow": "keep streaming new lines",
    "tail": "lines per service from the end (default: all)", "since": "only lines since T (e.g. 10m, 2026-11-24T10:00)",
    "context": CONTEXT_HELP,
})
def logs(c, profile=None, service=None, follow=False, tail=None, since=None, context=None):
    """Show (or follow) the logs of the profile's services (secrets of its env masked)."""
    from symphony.app.profiles import active_profile, check_services, declared_services
    from symphony.app.status import show_logs
    from symphony.cli.flags import since_flag, tail_flag
    from symphony.infra.runner import engine_runner

    tail = tail_flag(tail)
    if since is not None:  # "" too: Compose would read it as "every line"
        since_flag(since)
    profile = active_profile(settings(c), profile)
    services = check_services(service, declared_services(profile), profile)
    show_logs(engine_runner(c, context, False), profile, services, follow, tail, since)


@task(help={"yes": "do not ask for confirmation", "dry_run": DRY_HELP, "context": CONTEXT_HELP,
            "lock_timeout": LOCK_HELP})
def clean(c, yes=False, dry_run=False, context=None, lock_timeout=None):
    """Remove everything Symphony's projects created (containers, volumes, network, built images)."""
    from symphony.app.lifecycle import clean_all
    from symphony.app.locking import stack_locked
    from symphony.infra.runner import engine_runner

    wait = settings(c).seconds("lock_timeout", lock_timeout, "--lock-timeout")
    runner = engine_runner(c, context, dry_run)
    with stack_locked(runner, "clean", wait):
        clean_all(runner, yes)
