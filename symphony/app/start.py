"""`start`: bring a profile up in dependency order until every service is ready.

Everything that can refuse is decided before anything is written or started: another profile
running, a config or compose file that does not lint, a missing image under `--pull never`, a
host port taken by another program. Only then does `start` stop a profile it replaces, write
`.env.generated` and `.profile.state`, create the containers and start them as the engine's
events allow (app/start_on_events.py).
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui
from symphony.infra import state

PULL_POLICIES = ("missing", "always", "never")


@dataclass
class StartRequest:
    profile: str
    services: list[str] = field(default_factory=list)
    build: bool = False
    pull: str | None = None
    wait: bool = True
    timeout: float = 300.0
    lock_timeout: float = 600.0
    offline: bool = False
    replace: bool = False
    config: str | None = None
    sets: list[str] = field(default_factory=list)
    observability: bool = False
    log_driver: str | None = None
    collector: str = "alloy"
    tracing: str = "tempo"


@dataclass
class Plan:
    """What `start` decided before changing anything."""

    compiled: object
    source: object
    env_text: str
    model: dict
    files: list[Path]
    services: list[str]      # the ones asked for (empty: all)
    expected: list[str]      # the ones that will run: asked for plus their dependencies
    build: bool
    others: dict[str, int]   # other Symphony projects running on this engine: project -> containers
    observability: object = None  # the observability stack's UpPlan, with --observability


def validate_request(req: StartRequest) -> None:
    if req.pull is not None and req.pull not in PULL_POLICIES:
        raise UsageError(f"--pull {req.pull!r} is not one of {', '.join(PULL_POLICIES)}")
    if req.log_driver not in (None, "loki"):
        raise UsageError(f"--log-driver {req.log_driver!r}: only `loki` is supported")
    if req.log_driver and not req.observability:
        raise UsageError("--log-driver loki needs --observability (Loki must run to receive the logs)")
    if req.observability:
        from symphony.app.observability import profiles_args

        profiles_args(req.collector, req.tracing)  # a bad --collector/--tracing is refused first


def start_profile(settings, runner, req: StartRequest):
    """Start `req.profile`; returns the WaitOutcome (None for --no-wait and dry runs)."""
    from symphony.app.locking import stack_locked
    from symphony.app.profiles import check_services, declared_services

    validate_request(req)
    if req.services:
        check_services(req.services, declared_services(req.profile), req.profile)  # before anything is fetched
    if req.log_driver:
        from symphony.app.observability import require_loki_plugin

        require_loki_plugin(runner)
    began = time.monotonic()
    with stack_locked(runner, f"start --profile {req.profile}", req.lock_timeout):
        plan = prepare(settings, runner, req)
        return launch(settings, runner, req, plan, began)


def _sync_config(settings, runner, config, offline) -> None:
    """Fetch/fast-forward the config checkout in use; never clones implicitly (that is config.sync)."""
    from symphony.app.configsource import resolve_config_source

    source = resolve_config_source(config, settings.config_path)
    if offline or source.embedded or not (source.path / ".git").exists():
        return
    runner.which("git")
    from symphony.app.configrepo import sync_config

    sync_config(settings, runner, path=str(source.path))


def refuse_other_profiles(runner, project: str, replace: bool) -> dict[str, int]:
    from symphony.infra.engine import running_projects, symphony_projects

    others = {p: n for p, n in running_projects(runner).items() if p != project}
    if others and not replace:
        names = symphony_projects()
        listing = ", ".join(f"{names[p]} ({n} container(s))" for p, n in sorted(others.items()))
        first = names[sorted(others)[0]]
        raise UsageError(f"another profile is running on this engine: {listing}",
                         hint=f"stop it first (`inv stop --profile {first}`), or pass --replace to stop it "
                              "(volumes are kept) and start this one")
    return others


def prepare(settings, runner, req: StartRequest) -> Plan:
    """Every check, nothing written: env compiled in memory (and to a private scratch file for
    Compose), compose file linted and resolved, images and host ports checked."""
    from symphony.app.composecheck import require_clean
    from symphony.app.composemodel import load_model
    from symphony.app.envfile import compile_profile, render, write_env_file
    from symphony.app.profiles import check_services
    from symphony.core.services import specs_from_compose, with_dependencies

    project = state.project_name(req.profile)
    others = refuse_other_profiles(runner, project, req.replace)
    _sync_config(settings, runner, req.config, req.offline)
    sets = list(req.sets)
    if req.observability:  # no endpoint without a trace backend: the SDKs would export to nothing
        from symphony.core.observability.override import obs_env

        sets = [f"{k}={v}" for k, v in obs_env(req.tracing != "none").items()] + sets
    compiled, source = compile_profile(settings, req.profile, req.config, sets)
    env_text = render(compiled, source)
    require_clean(req.profile, compiled.values)
    files = [state.compose_file(req.profile)]
    with tempfile.TemporaryDirectory(prefix="symphony-start-") as scratch:
        model = load_model(runner, files, [write_env_file(env_text, Path(scratch) / ".env.generated")], project)
    services = check_services(req.services, model["services"], req.profile)
    specs = specs_from_compose(model)
    expected = sorted(with_dependencies(specs, services)) if services else sorted(model["services"])
    build = req.build
    if req.profile == "dev":
        from symphony.app.devbuild import dev_build_override

        override = dev_build_override(state.compose_file(req.profile), state.project_name(req.profile),
                                      runner.dry_run)
        files += override
        build = build or bool(override)
    if req.pull == "never":
        _require_images(runner, model, expected)
    _require_certificates(req.profile, compiled.values, expected)
    _require_free_ports(runner, model, project, others)
    observability = None
    if req.observability:  # its checks too (host ports, Grafana's password) before any write
        from symphony.app.observability import plan_up

        observability = plan_up(settings, runner, collector=req.collector, tracing=req.tracing, profile=req.profile,
                                config=req.config, compiled=compiled)
    return Plan(compiled, source, env_text, model, files, services, expected, build, others, observability)


def _require_images(runner, model, expected) -> None:
    from symphony.infra.engine import image_exists

    missing = sorted({svc["image"] for name, svc in model["services"].items() if name in expected
                      and svc.get("image") and not svc.get("build") and not image_exists(runner, svc["image"])})
    if missing:
        raise SymphonyError(f"--pull never, and these images are not on the engine: {', '.join(missing)}",
                            hint="build or load them, or use --pull missing")


def _require_certificates(profile: str, env: dict, expected) -> None:
    """A platform profile's services that read certificates exit at start without them: say so
    before starting any."""
    from symphony.app.certificates import inspect
    from symphony.app.platform import platform_catalog
    from symphony.core.platform.certs import certificate_plan

    catalog = platform_catalog()
    if profile not in catalog.profiles:
        return  # not rendered from the catalog (the demo): its services are not the platform's
    plan = certificate_plan(catalog.services[n] for n in expected if n in catalog.services)
    if not plan:
        return
    certs_dir = Path(env.get("SENTIRIC_CERTS_DIR") or ".").expanduser()
    failures = [f.message for f in inspect(certs_dir, plan) if f.level == "fail"]
    if failures:
        raise SymphonyError("the services' mTLS certificates are not usable: " + "; ".join(failures)
                            + "; nothing was started",
                            hint="create them with `inv certs.generate` (a development CA), "
                                 "or point SENTIRIC_CERTS_DIR at your sentiric-certificates checkout")


def _require_free_ports(runner, model, project, others) -> None:
    """A host port taken by another program is named before any container starts (ports held by
    a profile that --replace will stop are not "taken")."""
    from symphony.app.preflight import describe_taken, engine_is_local, taken_ports

    if not engine_is_local(runner):
        ui.status("info", "remote engine: its host ports cannot be checked from here before the start")
        return
    held_by_replaced = ""
    if others:
        filters = [a for p in others for a in ("--filter", f"label=com.docker.compose.project={p}")]
        held_by_replaced = runner.query(["docker", "ps", *filters, "--format", "{{.Ports}}"], check=False).stdout
    taken = [p for p in taken_ports(runner, model, project) if f":{p.port}->" not in held_by_replaced]
    if taken:
        raise SymphonyError(f"host port(s) already in use by another program: {describe_taken(taken)}; "
                            "nothing was started",
                            hint="free them (`ss -lntup | grep PORT` shows who holds one), or move the profile's "
                                 "published port in the config repo or with `--set VAR=PORT`")


def launch(settings, runner, req: StartRequest, plan: Plan, began: float):
    """The point of no return: stop what --replace replaces, write the env and the state, create."""
    from symphony.app.envfile import write_env_file
    from symphony.infra.engine import ensure_network, symphony_projects

    project = state.project_name(req.profile)
    names = symphony_projects()
    for other in sorted(plan.others):
        ui.status("info", f"--replace: stopping profile {names[other]} (its volumes are kept)")
        runner.compose(other, [], [], "down", "--remove-orphans", capture=True)
    write_env_file(plan.env_text, state.ENV_OUTPUT, dry_run=runner.dry_run,
                   what=f"{len(plan.compiled.values)} variables")
    if not runner.dry_run:
        for w in plan.compiled.warnings:
            ui.status("warn", w)
    ensure_network(runner)
    files = list(plan.files)
    if req.observability:
        from symphony.app.observability import apply_up, write_stack_override

        ui.say("starting the observability stack")
        obs_env = apply_up(runner, plan.observability)
        loki_port = obs_env.get("LOKI_PORT") or os.environ.get("LOKI_PORT")
        files.append(write_stack_override(plan.model, req.log_driver, runner.dry_run, loki_port))
    if not runner.dry_run:
        state.write_active_profile(req.profile)
    ui.say(f"starting profile {req.profile} (project {project}"
           + (f", context {runner.context}" if runner.context else "") + ")")
    compose = runner.compose_argv(project, files, [state.ENV_OUTPUT])
    options = (["--build"] if plan.build else []) + (["--pull", req.pull] if req.pull else [])
    if not req.wait:
        runner.run([*compose, "up", "-d", "--remove-orphans", *options, *plan.services])
        if not runner.dry_run:
            ui.status("ok", f"{req.profile}: containers created (not waiting for health: --no-wait)")
        return None
    # Compose creates (builds, pulls, recreates, removes orphans); Symphony starts each container
    # as soon as the engine reports its dependencies ready.
    created = runner.run([*compose, "create", "--remove-orphans", *options, *(plan.expected if plan.services else [])],
                         capture=not plan.build, check=False)
    if runner.dry_run:
        ui.say(ui.paint("+ (then `docker start` of each service once its depends_on conditions hold)", "info"))
        return None
    if created.code != 0:
        raise SymphonyError(f"compose could not create the containers of profile {req.profile}:\n"
                            + ui.mask(created.stderr.strip()), exit_code=created.code)
    return run_scheduled(runner, req.profile, plan.model, plan.expected, req.timeout, began)


def run_scheduled(runner, profile, model, expected, timeout, began, settled=()):
    """Start `expected` in dependency order from the engine's events; raise with a report on failure."""
    from symphony.app.start_on_events import refuse_health_waits_without_healthcheck, start_in_order
    from symphony.app.waiting import failure_report
    from symphony.core.scheduler import StartScheduler
    from symphony.core.services import specs_from_compose, with_engine_healthchecks
    from symphony.infra.engine import project_states

    project = state.project_name(profile)
    # asked again by the loop once its event watch runs (a change between the two is then not lost);
    # this answer only says which created containers run a healthcheck
    specs = with_engine_healthchecks(specs_from_compose(model), project_states(runner, project))
    refuse_health_waits_without_healthcheck(specs, expected, "nothing was started (the containers are created; "
                                                             "`inv stop` removes them)")
    sched = StartScheduler.for_services(specs, expected, settled)
    outcome = start_in_order(runner, project, sched, timeout, began, lambda: project_states(runner, project))
    if not outcome.ok:
        if outcome.timed_out:
            what = f"timed out after {timeout:g}s"
        else:
            what = "; ".join(f"{n}: {sched.reason.get(n, 'failed')}" for n in sched.failed())
        raise SymphonyError(f"profile {profile} did not start ({what})\n" + ui.mask(failure_report(runner, outcome)),
                            hint="`inv logs -s SERVICE`, `inv status`; stop with `inv stop` (volumes are kept)")
    return outcome


def print_started(profile, outcome) -> None:
    ui.status("ok", f"profile {profile}: {len(outcome.states)} service(s) ready in {outcome.elapsed:.1f}s")
    for s in outcome.states:
        shown = list(s.ports[:3]) + ([f"... {len(s.ports) - 3} more"] if len(s.ports) > 3 else [])
        for port in shown:
            ui.say(f"      {s.service}: {port}")
