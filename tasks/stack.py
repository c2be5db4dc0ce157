"""The stack lifecycle: start, stop, restart, status, logs, clean (root tasks, like the old Makefile)."""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from symphony.infra import console as ui
from symphony.infra import state
from symphony.cli import setting, task
from symphony.errors import SymphonyError, UsageError

PROFILE_HELP = "profile (default: the one in .profile.state, else symphony.default_profile)"
SERVICE_HELP = "only this service (repeatable)"
DRY_HELP = "print the exact commands that would change anything, run none"
CONTEXT_HELP = "Docker context to run against (e.g. the gateway VM); DOCKER_HOST is honoured too"
LOCK_HELP = "seconds to wait for another Symphony command to finish (default: symphony.lock_timeout)"
PULL_POLICIES = ("missing", "always", "never")


def _runner(c, context, dry_run):
    from symphony.infra.runner import parse_context

    runner = parse_context(c, context, dry_run)
    if not runner.dry_run:
        runner.ensure_daemon()
    return runner


def seconds_flag(value, flag: str, hint: str = "") -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{flag} {value!r} is not a number of seconds", hint=hint) from None
    if seconds < 0:
        raise UsageError(f"{flag} {value!r} must not be negative", hint=hint)
    return seconds


def seconds_option(c, value, flag: str, key: str) -> float:
    """The flag's seconds, else the `symphony.<key>` setting's, each error naming where it came from."""
    if value is not None:
        return seconds_flag(value, flag)
    return seconds_flag(setting(c, key), f"symphony.{key} (Invoke config)",
                        hint=f"fix it in invoke.yaml or INVOKE_SYMPHONY_{key.upper()}, or pass {flag}")


_SINCE = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|\d+(\.\d+)?|\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?")


def since_flag(value: str) -> str:
    """What `docker logs --since` accepts: a duration (42m, 1h30m), a Unix time, or a date/time."""
    if not _SINCE.fullmatch(value):
        raise UsageError(f"--since {value!r} is not a duration (10m, 1h30m), a Unix time or a date (2026-11-25T10:00:00Z)")
    return value


def _active(c, profile):
    if profile:
        return state.validate_profile(profile)
    return state.read_active_profile(default=setting(c, "default_profile"))


@contextlib.contextmanager
def _locked(c, runner, what, lock_timeout):
    if runner.dry_run:  # a dry run changes nothing, so it never waits for the lock
        yield
        return

    def waiting(holder):
        ui.status("info", f"waiting for another Symphony command to finish (pid {holder.pid}: {holder.command})")

    timeout = seconds_option(c, lock_timeout, "--lock-timeout", "lock_timeout")
    with state.stack_lock(what, timeout=timeout, on_wait=waiting):
        yield


def _check_services(requested, known, profile):
    unknown = [s for s in requested or () if s not in known]
    if unknown:
        raise UsageError(f"no service {', '.join(map(repr, unknown))} in profile {profile!r}",
                         hint=f"services: {', '.join(sorted(known))}")
    return list(requested or ())


def _model(runner, profile, files, env_files):
    from symphony.app.composemodel import load_model

    return load_model(runner, files, env_files, state.project_name(profile))


def _env_files():
    return [state.ENV_OUTPUT] if state.ENV_OUTPUT.exists() else []


def _sync_config(c, runner, config, offline):
    """Fetch/fast-forward the config checkout in use; never clone implicitly (that is config.sync)."""
    from tasks.config import sync_config
    from symphony.app.configsource import resolve_config_source

    source = resolve_config_source(config, setting(c, "config_path"))
    if offline or source.embedded or not (source.path / ".git").exists():
        return
    runner.which("git")
    sync_config(c, runner, path=str(source.path))


def _other_profiles(runner, project):
    from symphony.infra.engine import running_projects

    return {p: n for p, n in running_projects(runner).items() if p != project}


def _handle_other_profiles(c, runner, project, replace):
    from symphony.infra.engine import symphony_projects

    others = _other_profiles(runner, project)
    if not others:
        return
    names = symphony_projects()
    listing = ", ".join(f"{names[p]} ({n} container(s))" for p, n in sorted(others.items()))
    if not replace:
        first = names[sorted(others)[0]]
        raise UsageError(
            f"another profile is running on this engine: {listing}",
            hint=f"stop it first (`inv stop --profile {first}`), or pass --replace to stop it (volumes are kept) "
                 "and start this one",
        )
    for other in sorted(others):
        ui.status("info", f"--replace: stopping profile {names[other]} (its volumes are kept)")
        runner.compose(other, [], [], "down", "--remove-orphans")


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
    import time

    from tasks.compose import require_clean
    from symphony.infra.engine import ensure_network, image_exists
    from tasks.env import generate_env_file

    if pull is not None and pull not in PULL_POLICIES:
        raise UsageError(f"--pull {pull!r} is not one of {', '.join(PULL_POLICIES)}")
    timeout = seconds_option(c, timeout, "--timeout", "health_timeout")
    seconds_option(c, lock_timeout, "--lock-timeout", "lock_timeout")  # before anything talks to the engine
    if log_driver not in (None, "loki"):
        raise UsageError(f"--log-driver {log_driver!r}: only `loki` is supported")
    if log_driver and not observability:
        raise UsageError("--log-driver loki needs --observability (Loki must run to receive the logs)")
    profile = _active(c, profile)
    declared = _declared_services(profile) if service else []
    if declared:
        _check_services(service, declared, profile)  # before anything is fetched or written
    project = state.project_name(profile)
    runner = _runner(c, context, dry_run)
    if log_driver:
        from tasks.obs import require_loki_plugin

        require_loki_plugin(runner)
    sets = list(set or ())
    if observability:
        from symphony.core.observability.override import OTLP_ENDPOINT

        sets = [f"OTEL_EXPORTER_OTLP_ENDPOINT={OTLP_ENDPOINT}", *sets]
    began = time.monotonic()
    with _locked(c, runner, f"start --profile {profile}", lock_timeout):
        _sync_config(c, runner, config, offline)
        env_file = state.ENV_OUTPUT
        if runner.dry_run:  # compile for real (to check it), but leave .env.generated alone
            import tempfile

            scratch = Path(tempfile.mkdtemp(prefix="symphony-dry-run-")) / ".env.generated"
            compiled = generate_env_file(c, profile, config=config, sets=sets, output=scratch, quiet=True)
            ui.say(ui.paint(f"+ (write {env_file}: {len(compiled.values)} variables, mode 0600)", "info"))
        else:
            compiled = generate_env_file(c, profile, config=config, sets=sets)
            scratch = env_file
        require_clean(profile, compiled.values)
        files = [state.compose_file(profile)]
        try:
            model = _model(runner, profile, files, [scratch])
        finally:
            if runner.dry_run:
                import shutil

                shutil.rmtree(scratch.parent, ignore_errors=True)
        services = _check_services(service, model["services"], profile)
        if profile == "dev":
            files += _dev_build_override(state.compose_file(profile), runner.dry_run)
            build = build or len(files) > 1
        if pull == "never":
            missing = sorted({svc["image"] for svc in model["services"].values()
                              if svc.get("image") and not svc.get("build") and not image_exists(runner, svc["image"])})
            if missing:
                raise SymphonyError(f"--pull never, and these images are not on the engine: {', '.join(missing)}",
                                    hint="build or load them, or use --pull missing")
        _handle_other_profiles(c, runner, project, replace)
        ensure_network(runner)
        if observability:
            from tasks.obs import bring_up, write_stack_override

            ui.say("starting the observability stack")
            obs_env = bring_up(c, runner, collector=collector, tracing=tracing, profile=profile, config=config)
            loki_port = obs_env.get("LOKI_PORT") or os.environ.get("LOKI_PORT")
            files.append(write_stack_override(model, log_driver, runner.dry_run, loki_port))
        if not runner.dry_run:
            state.write_active_profile(profile)
        ui.say(f"starting profile {profile} (project {project}" + (f", context {runner.context}" if runner.context else "") + ")")
        expected = _expected(model, services)
        compose = runner.compose_argv(project, files, [state.ENV_OUTPUT])
        options = (["--build"] if build else []) + (["--pull", pull] if pull else [])
        if no_wait:
            runner.run([*compose, "up", "-d", "--remove-orphans", *options, *services])
            if not runner.dry_run:
                ui.status("ok", f"{profile}: containers created (not waiting for health: --no-wait)")
            return
        # Compose creates (builds, pulls, recreates, removes orphans); Symphony starts each
        # container as soon as the engine reports its dependencies ready.
        created = runner.run([*compose, "create", "--remove-orphans", *options, *(expected if services else [])],
                             capture=not build, check=False)
        if runner.dry_run:
            ui.say(ui.paint("+ (then `docker start` of each service once its depends_on conditions hold)", "info"))
            return
        if created.code != 0:
            raise SymphonyError(f"compose could not create the containers of profile {profile}:\n"
                                + ui.mask(created.stderr.strip()), exit_code=created.code)
        outcome = _start_scheduled(runner, profile, project, model, expected, timeout, began)
    _print_started(profile, outcome, model)


def _start_scheduled(runner, profile, project, model, expected, timeout, began):
    from symphony.infra.engine import project_states
    from symphony.app.waiting import failure_report
    from symphony.app.start_on_events import scheduler_for, start_in_order

    sched = scheduler_for(model, expected)
    outcome = start_in_order(runner, project, sched, timeout, began, lambda: project_states(runner, project))
    if not outcome.ok:
        if outcome.timed_out:
            what = f"timed out after {timeout:g}s"
        else:
            what = "; ".join(f"{n}: {sched.reason.get(n, 'failed')}" for n in sched.failed())
        raise SymphonyError(f"profile {profile} did not start ({what})\n"
                            + ui.mask(failure_report(runner, outcome)),
                            hint="`inv logs -s SERVICE`, `inv status`; stop with `inv stop` (volumes are kept)")
    return outcome


def _expected(model, services):
    """The services `up` will run: the requested ones plus everything they depend on."""
    names = list(model["services"])
    if not services:
        return names
    wanted, queue = set(), list(services)
    while queue:
        name = queue.pop()
        if name not in wanted:
            wanted.add(name)
            queue.extend((model["services"][name].get("depends_on") or {}).keys())
    return [n for n in names if n in wanted]


def _print_started(profile, outcome, model):
    ui.status("ok", f"profile {profile}: {len(outcome.states)} service(s) ready in {outcome.elapsed:.1f}s")
    for s in outcome.states:
        shown = list(s.ports[:3]) + ([f"... {len(s.ports) - 3} more"] if len(s.ports) > 3 else [])
        for port in shown:
            ui.say(f"      {s.service}: {port}")


def _dev_build_override(compose_file, dry_run=False):
    import yaml

    from symphony.app.devbuild import build_override, write_override

    # from the file itself: `compose config` drops service-level x- extensions
    raw = yaml.safe_load(compose_file.read_text(encoding="utf-8")) or {}
    override, built, images = build_override(raw, state.COMPOSE_DIR)
    if built:
        ui.status("info", "dev: building from source: " + ", ".join(f"{n} ({p})" for n, p in built))
    if images:
        ui.status("info", "dev: no checkout, using published images: " + ", ".join(images))
    if not built:
        return []
    if dry_run:
        from symphony.app.devbuild import OVERRIDE_FILE

        path = state.STATE_DIR / OVERRIDE_FILE
        ui.say(ui.paint(f"+ (write {path}: build contexts for {len(built)} service(s))", "info"))
        return [path]
    return [write_override(override)]


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
    profile = _active(c, profile)
    project = state.project_name(profile)
    runner = _runner(c, context, dry_run)
    with _locked(c, runner, f"stop --profile {profile}", lock_timeout):
        args = ["down", "--remove-orphans"]
        if volumes:
            from symphony.infra.engine import project_volumes

            names = project_volumes(runner, project)
            if names:
                _confirm(f"delete {len(names)} volume(s) of profile {profile}, with all their data:", names, yes, runner)
            args.append("--volumes")
        runner.compose(project, [], [], *args)
    if not runner.dry_run:
        ui.status("ok", f"profile {profile} stopped" + ("" if volumes else "; volumes kept (`inv stop --volumes` deletes them)"))


def _confirm(question, items, yes, runner):
    ui.say(question)
    for item in items:
        ui.say(f"  {item}")
    if yes or runner.dry_run:
        return
    import sys

    if not sys.stdin.isatty():
        raise UsageError("not confirmed: no terminal to ask on", hint="pass --yes to confirm")
    answer = input("Proceed? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise SymphonyError("cancelled; nothing was removed")


@task(iterable=["service"], help={
    "profile": PROFILE_HELP, "service": SERVICE_HELP + " (default: all)",
    "timeout": "seconds to wait for health again (default: symphony.health_timeout)",
    "no_wait": "do not wait for health", "dry_run": DRY_HELP, "context": CONTEXT_HELP, "lock_timeout": LOCK_HELP,
})
def restart(c, profile=None, service=None, timeout=None, no_wait=False, dry_run=False, context=None, lock_timeout=None):
    """Restart services of the running profile and wait until they are healthy again."""
    import time

    from symphony.infra.engine import project_states
    from symphony.app.waiting import failure_report, wait_ready

    timeout = seconds_option(c, timeout, "--timeout", "health_timeout")
    profile = _active(c, profile)
    project = state.project_name(profile)
    runner = _runner(c, context, dry_run)
    with _locked(c, runner, f"restart --profile {profile}", lock_timeout):
        current = project_states(runner, project) if not runner.dry_run else []
        if not runner.dry_run and not current:
            raise SymphonyError(f"profile {profile} is not running", hint=f"start it with `inv start --profile {profile}`")
        services = _check_services(service, {s.service for s in current} if current else set(service or ()), profile)
        began = time.monotonic()
        runner.compose(project, [], [], "restart", *services)
        if runner.dry_run or no_wait:
            return
        expected = services or sorted({s.service for s in current if not s.one_shot})
        outcome = wait_ready(lambda: project_states(runner, project), expected, timeout, started=began)
        if not outcome.ok:
            raise SymphonyError(f"after restart, not healthy: {', '.join(s.service for s in outcome.failed) or ', '.join(outcome.pending)}\n"
                                + ui.mask(failure_report(runner, outcome)))
    ui.status("ok", f"restarted {', '.join(expected)} ({outcome.elapsed:.1f}s)")


@task(help={"profile": PROFILE_HELP, "json": "print JSON for scripts", "context": CONTEXT_HELP})
def status(c, profile=None, json=False, context=None):
    """Each service of the profile: state, health, uptime, ports, image."""
    import json as jsonlib
    from datetime import datetime, timezone

    from symphony.infra.engine import project_states
    from symphony.core.containers import status_rows, table

    profile = _active(c, profile)
    project = state.project_name(profile)
    runner = _runner(c, context, False)
    expected = _declared_services(profile)
    rows = status_rows(project_states(runner, project), expected, datetime.now(timezone.utc))
    if json:
        print(jsonlib.dumps({"profile": profile, "project": project, "services": rows}, indent=2))
        return
    ui.say(f"profile {profile} (project {project})")
    for line in table(rows, ["service", "state", "health", "uptime", "ports", "image"]):
        ui.say("  " + line)


def _declared_services(profile):
    """Service names straight from the profile's YAML (no env needed, so status works anytime)."""
    import yaml

    try:
        doc = yaml.safe_load(state.compose_file(profile).read_text(encoding="utf-8")) or {}
        return sorted((doc.get("services") or {}).keys())
    except (OSError, yaml.YAMLError):
        return []


@task(iterable=["service"], help={
    "profile": PROFILE_HELP, "service": SERVICE_HELP + " (default: all)", "follow": "keep streaming new lines",
    "tail": "lines per service from the end (default: all)", "since": "only lines since T (e.g. 10m, 2026-11-24T10:00)",
    "context": CONTEXT_HELP,
})
def logs(c, profile=None, service=None, follow=False, tail=None, since=None, context=None):
    """Show (or follow) the logs of the profile's services."""
    from symphony.infra.engine import project_container_ids

    if tail is not None and not str(tail).isdigit():
        raise UsageError(f"--tail {tail!r} is not a number of lines")
    if since:
        since_flag(since)
    profile = _active(c, profile)
    services = _check_services(service, _declared_services(profile), profile)
    runner = _runner(c, context, False)
    if not project_container_ids(runner, state.project_name(profile)):
        raise SymphonyError(f"profile {profile} has no containers, so there are no logs",
                            hint=f"start it with `inv start --profile {profile}`")
    args = ["logs", "--no-color"] + (["--follow"] if follow else [])
    if tail is not None:
        args += ["--tail", str(tail)]
    if since:
        args += ["--since", since]
    runner.compose(state.project_name(profile), [], [], *args, "--", *services, mutating=False)


@task(help={"yes": "do not ask for confirmation", "dry_run": DRY_HELP, "context": CONTEXT_HELP,
            "lock_timeout": LOCK_HELP})
def clean(c, yes=False, dry_run=False, context=None, lock_timeout=None):
    """Remove everything Symphony's projects created (containers, volumes, network, built images)."""
    from symphony.app.cleanup import plan_cleanup

    runner = _runner(c, context, dry_run)
    with _locked(c, runner, "clean", lock_timeout):
        plan = plan_cleanup(runner)
        if plan.empty:
            ui.status("ok", "nothing of Symphony's to remove")
            return
        _confirm("clean will remove only what belongs to Symphony's projects:", plan.describe(), yes, runner)
        for argv in plan.commands():
            runner.run(argv, check=False)
    if not runner.dry_run:
        state.clear_active_profile()
        ui.status("ok", "cleaned; other projects' containers, volumes and images were not touched")
