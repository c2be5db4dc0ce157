"""`obs.*`: Prometheus, Grafana, Loki with a log collector, Tempo or Jaeger, on sentiric-net."""
from __future__ import annotations

from symphony.infra import console as ui
from symphony.infra import state
from symphony.cli import task
from symphony.errors import SymphonyError, UsageError

COLLECTORS = ("alloy", "promtail", "none")
TRACING = ("tempo", "jaeger", "none")
DRY_HELP = "print the exact commands that would change anything, run none"
CONTEXT_HELP = "Docker context to run against (default: current; DOCKER_HOST is honoured)"
PLACEHOLDER_PASSWORDS = {"", "admin", "changeme", "change_me", "password"}


def obs_project() -> str:
    return state.PROJECT_PREFIX + "obs"


def obs_file():
    return state.OBSERVABILITY_DIR / "compose.yml"


def _socket_gid() -> str:
    """Group of the local Docker socket, so Prometheus and the collector need not run as root."""
    import os

    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    path = host[len("unix://"):] if host.startswith("unix://") else "/var/run/docker.sock"
    try:
        return str(os.stat(path).st_gid)
    except OSError:
        return "0"


def compose_env(c, profile: str | None, config=None) -> dict[str, str]:
    """Values the observability compose file needs from the profile's env (secrets via the
    child's environment, never on a command line)."""
    from tasks.env import compile_profile

    compiled, _ = compile_profile(c, profile, config)
    profile = compiled.profile
    password = compiled.values.get("GRAFANA_ADMIN_PASSWORD", "")
    if password.strip().lower() in PLACEHOLDER_PASSWORDS and profile != "demo":
        raise UsageError(f"GRAFANA_ADMIN_PASSWORD for profile {profile!r} is empty or a default like admin",
                         hint="set a real one in the config repo's environments/common/secrets.env")
    env = {"GRAFANA_ADMIN_PASSWORD": password or "admin", "DOCKER_SOCKET_GID": _socket_gid()}
    for key in ("PROMETHEUS_PORT", "GRAFANA_PORT", "LOKI_PORT", "TEMPO_PORT", "JAEGER_UI_PORT", "PROMETHEUS_IMAGE"):
        if compiled.values.get(key):
            env[key] = compiled.values[key]
    return env


def profiles_args(collector: str, tracing: str) -> list[str]:
    if collector not in COLLECTORS:
        raise UsageError(f"--collector {collector!r} is not one of {', '.join(COLLECTORS)}")
    if tracing not in TRACING:
        raise UsageError(f"--tracing {tracing!r} is not one of {', '.join(TRACING)}")
    return [arg for p in (collector, tracing) if p != "none" for arg in ("--profile", p)]


# host port of each UI/API: (env variable, default)
HOST_PORTS = {"prometheus": ("PROMETHEUS_PORT", 9090), "grafana": ("GRAFANA_PORT", 3300), "loki": ("LOKI_PORT", 3100),
              "alloy": ("ALLOY_PORT", 12345), "tempo": ("TEMPO_PORT", 3200), "jaeger": ("JAEGER_UI_PORT", 16686)}


def _selected(services, collector, tracing) -> list[str]:
    if services:
        unknown = [s for s in services if s not in (*HOST_PORTS, "promtail")]
        if unknown:
            raise UsageError(f"no observability service {', '.join(map(repr, unknown))}",
                             hint=f"services: {', '.join(sorted((*HOST_PORTS, 'promtail')))}")
        return list(services)
    return ["prometheus", "grafana", "loki"] + [x for x in (collector, tracing) if x != "none"]


def check_host_ports(runner, services, env) -> None:
    """A taken port is named with the variable that moves it, before Compose half-starts the stack."""
    import os

    from tasks.doctor import port_is_free

    if runner.context or os.environ.get("DOCKER_HOST", "unix://").split(":")[0] not in ("unix", ""):
        return  # a remote engine's ports cannot be probed from here
    ours = runner.query(["docker", "ps", "--filter", f"label=com.docker.compose.project={obs_project()}",
                         "--format", "{{.Ports}}"], check=False).stdout
    for service in services:
        if service not in HOST_PORTS:
            continue
        var, default = HOST_PORTS[service]
        port = int(env.get(var) or os.environ.get(var) or default)
        if f":{port}->" not in ours and not port_is_free(port, "tcp", "127.0.0.1"):
            raise UsageError(f"127.0.0.1:{port} (for {service}) is already in use by another program",
                             hint=f"free it, or choose another port: {var}=<port> in the config repo or the environment")


def require_loki_plugin(runner):
    plugins = runner.query(["docker", "plugin", "ls", "--format", "{{.Name}} {{.Enabled}}"], check=False).stdout
    if not any(line.split(" ")[0].split(":")[0] == "loki" and line.endswith("true") for line in plugins.splitlines()):
        raise SymphonyError(
            "the loki logging driver plugin is not installed (or not enabled) on this engine",
            hint="docker plugin install grafana/loki-docker-driver:3.5.0 --alias loki --grant-all-permissions",
        )


def write_stack_override(model, log_driver, dry_run=False, loki_port=None):
    """The override `start --observability` adds; the driver pushes to Loki's port on the host."""
    import yaml

    from symphony.core.observability.override import stack_override

    path = state.STATE_DIR / ".compose.observability.yml"
    if dry_run:
        ui.say(ui.paint(f"+ (write {path}: OTEL_* env" + (", loki logging driver" if log_driver else "") + ")", "info"))
        return path
    state.atomic_write(path, "# written by `inv start --observability`; regenerated on every start\n"
                       + yaml.safe_dump(stack_override(model, log_driver=log_driver, loki_port=int(loki_port or 3100)),
                                        sort_keys=True))
    return path


def bring_up(c, runner, *, services=(), collector="alloy", tracing="tempo", profile=None, config=None, wait=True,
             standalone=True):
    """Start the stack. `standalone=False` (obs.up's default) refuses when no profile runs here:
    an observability stack with nothing to observe is usually a wrong engine or context."""
    from symphony.infra.engine import ensure_network, running_projects

    selection = profiles_args(collector, tracing)  # bad choices fail before anything else
    env = compose_env(c, profile, config)
    ui.register_secrets([env["GRAFANA_ADMIN_PASSWORD"]])
    check_host_ports(runner, _selected(services, collector, tracing), env)
    if not standalone and not running_projects(runner):
        where = f"context {runner.context}" if runner.context else "this engine"
        raise SymphonyError(f"no Symphony profile is running on {where}, so there is nothing to observe",
                            hint="start one with observability (`inv start --observability`), start a profile first, "
                                 "check --context, or pass --standalone to run the stack on its own")
    ensure_network(runner)
    args = [*selection, "up", "-d", "--remove-orphans"] + (["--wait"] if wait else [])
    runner.compose(obs_project(), [obs_file()], [], *args, *services, env=env)
    return env


@task(iterable=["service"], help={
    "service": "only this observability service (repeatable): prometheus, grafana, loki, alloy, promtail, tempo, jaeger",
    "collector": "log collector: alloy (default), promtail (end of life), none (with --log-driver loki on the platform)",
    "tracing": "trace backend: tempo (default), jaeger, none",
    "profile": "profile whose env supplies GRAFANA_ADMIN_PASSWORD and ports (default: the active one)",
    "config": "config repo path (default: the usual config source)",
    "standalone": "start even though no profile runs on the engine (Prometheus finds services started later)",
    "dry_run": DRY_HELP, "context": CONTEXT_HELP,
})
def up(c, service=None, collector="alloy", tracing="tempo", profile=None, config=None, standalone=False, dry_run=False,
       context=None):
    """Start the observability stack on sentiric-net (UIs on 127.0.0.1)."""
    from symphony.infra.runner import parse_context

    runner = parse_context(c, context, dry_run)
    if not runner.dry_run:
        runner.ensure_daemon()
    env = bring_up(c, runner, services=service or (), collector=collector, tracing=tracing, profile=profile,
                   config=config, standalone=standalone)
    if not runner.dry_run:
        _print_urls(env)


def _print_urls(env):
    ui.status("ok", "observability stack up")
    ui.say(f"      Grafana     http://127.0.0.1:{env.get('GRAFANA_PORT', '3300')}  (admin / GRAFANA_ADMIN_PASSWORD)")
    ui.say(f"      Prometheus  http://127.0.0.1:{env.get('PROMETHEUS_PORT', '9090')}")
    ui.say(f"      Loki        http://127.0.0.1:{env.get('LOKI_PORT', '3100')}")


@task(help={"volumes": "also delete the stack's volumes (metrics, logs, traces, Grafana state)",
            "yes": "do not ask for confirmation", "dry_run": DRY_HELP, "context": CONTEXT_HELP})
def down(c, volumes=False, yes=False, dry_run=False, context=None):
    """Stop the observability stack (its data volumes are kept unless --volumes)."""
    from symphony.infra.engine import project_volumes
    from symphony.infra.runner import parse_context
    from tasks.stack import _confirm

    runner = parse_context(c, context, dry_run)
    args = ["--profile", "*", "down", "--remove-orphans"]
    if volumes:
        names = project_volumes(runner, obs_project())
        if names:
            _confirm("delete the observability volumes:", names, yes, runner)
        args.append("--volumes")
    runner.compose(obs_project(), [], [], *args)


@task(help={"json": "print JSON for scripts", "context": CONTEXT_HELP})
def status(c, json=False, context=None):
    """Backends ready or not, Prometheus targets up/down per service, the URLs."""
    import json as jsonlib

    from symphony.infra.engine import project_states
    from symphony.core.observability.targets import summarize_targets
    from symphony.infra.runner import parse_context

    runner = parse_context(c, context, False)
    runner.ensure_daemon()
    states = project_states(runner, obs_project())
    backends = {s.service: s.shown_health for s in states}
    targets = []
    prom = next((s for s in states if s.service == "prometheus" and s.state == "running"), None)
    if prom:
        res = runner.query(["docker", "exec", prom.name, "wget", "-q", "-O", "-",
                            "http://127.0.0.1:9090/api/v1/targets?state=active"], check=False)
        if res.code == 0:
            targets = summarize_targets(jsonlib.loads(res.stdout))
    urls = {s.service: [p.split("->")[0] for p in s.ports] for s in states if s.ports}
    if json:
        print(jsonlib.dumps({"project": obs_project(), "backends": backends, "targets": targets, "urls": urls}, indent=2))
        return
    if not states:
        ui.status("warn", "the observability stack is not running", "inv obs.up")
        return
    for name, health in sorted(backends.items()):
        ui.status("ok" if health in ("healthy", "running") else "warn", f"{name:<12} {health:<10} {' '.join(urls.get(name, []))}")
    if prom and not targets:
        ui.status("warn", "Prometheus answered no targets yet (discovery refreshes every 5s)")
    for t in targets:
        ui.status("ok" if t["health"] == "up" else "fail",
                  f"target {t['service']:<22} {t['health']:<5} {t['project']:<18} {t['address']} {t['error']}".rstrip())


@task(help={"check": "do not write; fail if a committed file differs from its builder"})
def render(c, check=False):
    """Write the Overview dashboard and the Grafana datasources from their builders."""
    import yaml

    from symphony.core.observability.dashboard import build_overview, render_json
    from symphony.app.generated import sync_generated
    from symphony.core.observability.datasources import build_datasources

    outputs = {
        state.OBSERVABILITY_DIR / "grafana/dashboards/overview.json": render_json(build_overview()),
        state.OBSERVABILITY_DIR / "grafana/provisioning/datasources/datasources.yml":
            "# Generated by `inv obs.render` from tasks/observe/datasources.py\n"
            + yaml.safe_dump(build_datasources(), sort_keys=False),
    }
    sync_generated(outputs, check=check, source="its builder in tasks/observe/", fix="inv obs.render")


@task(help={"profile": "profile to plan for (default: the active one)",
            "config": "config repo path (default: the usual config source)"})
def plan(c, profile=None, config=None):
    """What Prometheus will scrape for a profile's services (port, path, why), without running it."""
    from symphony.app.composemodel import profile_model
    from tasks.env import resolve_profile
    from symphony.core.observability.scrape import scrape_plan, several_targets
    from symphony.infra.runner import parse_context

    model, _ = profile_model(c, parse_context(c, None, False), resolve_profile(c, profile), config=config)
    entries = scrape_plan(model)
    for name, entry in entries.items():
        where = ", ".join(f":{p}{entry['path']}" for p in entry["ports"]) or "-"
        ui.status("ok" if entry["ports"] else "info", f"{name:<22} {where:<24} {entry['reason']}")
    several = several_targets(model)
    if several:
        raise SymphonyError(f"{', '.join(several)} would be scraped on several ports (one target each)",
                            hint="label the service with com.sentiric.metrics.port (or com.sentiric.metrics.enabled: \"false\")")
