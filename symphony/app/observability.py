"""The observability stack (Prometheus, Grafana, Loki with a log collector, Tempo or Jaeger) on
the platform's network: what `obs.*` and `start --observability` call."""
from __future__ import annotations

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui
from symphony.infra import state

COLLECTORS = ("alloy", "promtail", "none")
TRACING = ("tempo", "jaeger", "none")


def obs_project() -> str:
    return state.PROJECT_PREFIX + "obs"


def obs_file():
    return state.OBSERVABILITY_DIR / "compose.yml"


def socket_env(runner, values: dict[str, str]) -> dict[str, str]:
    """DOCKER_SOCKET_PATH/GID for the compose file: read from the socket only when the engine is
    reached through a unix socket on this machine (symphony/core/observability/socket.py)."""
    import json
    import os

    from symphony.core.observability.socket import local_socket, socket_access

    def setting(key):
        return (os.environ.get(key) or values.get(key) or "").strip() or None

    res = runner.query(["docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"], check=False)
    endpoint = res.stdout.strip() if res.code == 0 else ""
    gid, path = setting("DOCKER_SOCKET_GID"), setting("DOCKER_SOCKET_PATH")
    socket_gid, rootless = None, False
    local = local_socket(endpoint)
    if not gid and local:
        try:
            socket_gid = os.stat(path or local).st_gid
        except OSError:
            socket_gid = None
        info = runner.query(["docker", "info", "--format", "{{json .SecurityOptions}}"], check=False)
        try:
            rootless = info.code == 0 and any("name=rootless" in o for o in json.loads(info.stdout or "[]") or [])
        except ValueError:
            rootless = False
    access = socket_access(endpoint, gid_setting=gid, path_setting=path, socket_gid=socket_gid, rootless=rootless,
                           own_gid=os.getgid())
    return {"DOCKER_SOCKET_GID": access.gid, "DOCKER_SOCKET_PATH": access.path}


def compose_env(settings, profile: str | None, config=None, compiled=None) -> dict[str, str]:
    """Values the observability compose file needs from the profile's env (`compiled`, else
    compiled here; secrets via the child's environment, never on a command line)."""
    from symphony.app.envfile import compile_profile
    from symphony.core.envcompiler.lint import is_placeholder

    if compiled is None:
        compiled, _ = compile_profile(settings, profile, config)
    profile = compiled.profile
    password = compiled.values.get("GRAFANA_ADMIN_PASSWORD", "")
    if (not password.strip() or is_placeholder(password)) and profile != "demo":
        raise UsageError(f"GRAFANA_ADMIN_PASSWORD for profile {profile!r} is empty or a placeholder (admin, "
                         "changeme, secret, example...)",
                         hint="set a real one in the config repo's environments/common/secrets.env")
    env = {"GRAFANA_ADMIN_PASSWORD": password or "admin"}
    for key in (*(var for var, _ in HOST_PORTS.values()), "PROMETHEUS_IMAGE", "DOCKERHUB_MIRROR",
                "DOCKER_SOCKET_GID", "DOCKER_SOCKET_PATH"):
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


# the services each --collector / --tracing choice runs (Compose profiles of observability/compose.yml)
CHOICE_SERVICES = {"alloy": ("alloy", "alloy-init"), "promtail": ("promtail", "promtail-init"), "tempo": ("tempo",),
                   "jaeger": ("jaeger",), "none": ()}


def _selected(services, collector, tracing) -> list[str]:
    if services:
        unknown = [s for s in services if s not in (*HOST_PORTS, "promtail")]
        if unknown:
            raise UsageError(f"no observability service {', '.join(map(repr, unknown))}",
                             hint=f"services: {', '.join(sorted((*HOST_PORTS, 'promtail')))}")
        for service in services:  # naming one enables its Compose profile: it would run beside the chosen one
            for flag, chosen, choices in (("--collector", collector, COLLECTORS), ("--tracing", tracing, TRACING)):
                if service in choices and service != chosen:
                    raise UsageError(f"-s {service} is not the {flag} in use ({chosen})",
                                     hint=f"pass {flag} {service} to switch to it")
        return list(services)
    return ["prometheus", "grafana", "loki"] + [x for x in (collector, tracing) if x != "none"]


def with_dependencies(services) -> list[str]:
    """`services` and what Compose starts with them (their depends_on in observability/compose.yml)."""
    import yaml

    model = yaml.safe_load(obs_file().read_text(encoding="utf-8"))["services"]
    found, todo = [], list(services)
    while todo:
        name = todo.pop(0)
        if name not in found:
            found.append(name)
            todo.extend(model.get(name, {}).get("depends_on") or ())
    return found


def host_port(var: str, value) -> int:
    """A UI's host port from its variable, or a usage error naming it (Compose would refuse it later,
    after half the stack started)."""
    from symphony.core.services import parse_port_range

    try:
        port, last = parse_port_range(value)
    except ValueError:
        port = last = 0
    if port != last or port == 0:
        raise UsageError(f"{var}={str(value)!r} is not a port number (1-65535)",
                         hint=f"fix {var} in the config repo or the environment")
    return port


def check_host_ports(runner, services, env) -> None:
    """A taken port is named with the variable that moves it, before Compose half-starts the stack."""
    import os

    from symphony.app.preflight import engine_is_local, port_is_free

    if not engine_is_local(runner):
        return  # a remote engine's ports cannot be probed from here
    ours = runner.query(["docker", "ps", "--filter", f"label=com.docker.compose.project={obs_project()}",
                         "--format", "{{.Ports}}"], check=False).stdout
    for service in services:
        if service not in HOST_PORTS:
            continue
        var, default = HOST_PORTS[service]
        port = host_port(var, env.get(var) or os.environ.get(var) or default)
        if f":{port}->" not in ours and not port_is_free(port, "tcp", "127.0.0.1"):
            raise UsageError(f"127.0.0.1:{port} (for {service}) is already in use by another program",
                             hint=f"free it, or choose another port: {var}=<port> in the config repo or the "
                                  "environment")


def require_loki_plugin(runner):
    problem = loki_plugin_problem(runner)
    if problem:
        raise SymphonyError(f"{problem}, so `--log-driver loki` cannot work on this engine",
                            hint=loki_install_hint(runner))


def write_stack_override(model, log_driver, dry_run=False, loki_port=None):
    """The override `start --observability` adds; the driver pushes to Loki's port on the host."""
    import yaml

    from symphony.core.observability.override import stack_override
    from symphony.infra.files import write_file

    path = state.STATE_DIR / ".compose.observability.yml"
    text = ("# written by `inv start --observability`; regenerated on every start\n"
            + yaml.safe_dump(stack_override(model, log_driver=log_driver, loki_port=int(loki_port or 3100)),
                             sort_keys=True))
    write_file(path, text, dry_run=dry_run, what="OTEL_* env" + (", loki logging driver" if log_driver else ""),
               say=lambda line: ui.say(ui.paint(line, "info")))
    return path


class UpPlan:
    """What `bring_up` decided before writing anything: the compose env, the Compose profiles, the
    services to start (and what Compose starts with them), the other choices' services to remove."""

    __slots__ = ("env", "selection", "tracing", "services", "started", "replaced")

    def __init__(self, env, selection, tracing, services, started, replaced):
        self.env, self.selection, self.tracing, self.services, self.started, self.replaced = (
            env, selection, tracing, services, started, replaced)


def plan_up(settings, runner, *, services=(), collector="alloy", tracing="tempo", profile=None, config=None,
            standalone=True, compiled=None) -> UpPlan:
    """Every check `bring_up` makes, nothing written (`start --observability` runs it with its own
    checks, before its first write). `standalone=False` (obs.up's default) refuses when no profile
    runs here: an observability stack with nothing to observe is usually a wrong engine or context."""
    from symphony.infra.engine import running_projects

    selection = profiles_args(collector, tracing)  # bad choices fail before anything else
    services = list(services)
    chosen = _selected(services, collector, tracing)
    env = compose_env(settings, profile, config, compiled)
    ui.register_secrets([env["GRAFANA_ADMIN_PASSWORD"]])
    env.update(socket_env(runner, env))
    if tracing == "tempo":  # its metrics generator writes the service graph to Prometheus
        env["PROMETHEUS_REMOTE_WRITE_RECEIVER"] = "--web.enable-remote-write-receiver"
    started = with_dependencies(chosen)  # what Compose starts: the services asked for and their depends_on
    check_host_ports(runner, started, env)
    if not standalone and not running_projects(runner):
        where = f"context {runner.context}" if runner.context else "this engine"
        raise SymphonyError(f"no Symphony profile is running on {where}, so there is nothing to observe",
                            hint="start one with observability (`inv start --observability`), start a profile first, "
                                 "check --context, or pass --standalone to run the stack on its own")
    # the other collector / trace backend would keep running beside the chosen one (Compose keeps
    # a disabled profile's containers: they are no orphans), reading every log or span twice
    others = [choice for choice in (*COLLECTORS, *TRACING) if choice not in (collector, tracing)]
    replaced = [] if services else [s for choice in others for s in CHOICE_SERVICES[choice]]
    return UpPlan(env, selection, tracing, services, started, replaced)


def apply_up(runner, plan: UpPlan, wait=True) -> dict[str, str]:
    """Start what `plan_up` decided: remove the replaced choice's services, write the configs, up."""
    from symphony.infra.engine import ensure_network

    env = dict(plan.env)
    if plan.replaced:
        every = [a for choice in (*COLLECTORS, *TRACING) if choice != "none" for a in ("--profile", choice)]
        runner.compose(obs_project(), [obs_file()], [], *every, "rm", "--stop", "--force", *plan.replaced, env=env,
                       capture=True)
    ensure_network(runner)
    env["SYMPHONY_OBS_CONFIG"] = str(render_runtime_configs(state.NETWORK_NAME, runner.dry_run, tracing=plan.tracing))
    args = [*plan.selection, "up", "-d", "--remove-orphans"] + (["--wait"] if wait else [])
    runner.compose(obs_project(), [obs_file()], [], *args, *plan.services, env=env)
    if "grafana" in plan.started:
        apply_grafana_password(runner, env["GRAFANA_ADMIN_PASSWORD"])
    return env


def bring_up(settings, runner, *, services=(), collector="alloy", tracing="tempo", profile=None, config=None, wait=True,
             standalone=True):
    """Start the stack (`plan_up`, then `apply_up`)."""
    plan = plan_up(settings, runner, services=services, collector=collector, tracing=tracing, profile=profile,
                   config=config, standalone=standalone)
    return apply_up(runner, plan, wait)


# Grafana's own CLI, in its container: the flag reads the new password from the first line of
# stdin (grafana/grafana pkg/cmd/grafana-cli/commands/commands.go: reset-admin-password's
# --password-from-stdin; reset_password_command.go), so it is never in an argv.
GRAFANA_RESET = ["grafana", "cli", "admin", "reset-admin-password", "--password-from-stdin"]


def apply_grafana_password(runner, password: str) -> None:
    """GF_SECURITY_ADMIN_PASSWORD is applied only when Grafana creates its database: on every up,
    set the configured password through Grafana's CLI, so it is the one in force (a password
    changed in the config repo takes effect; a stack first started by `demo` with `admin` does
    not keep it)."""
    if runner.dry_run:
        runner.run(["docker", "exec", "-i", "<grafana container>", *GRAFANA_RESET])
        ui.say(ui.paint("  (GRAFANA_ADMIN_PASSWORD on its stdin)", "info"))
        return
    found = runner.query(["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={obs_project()}",
                          "--filter", "label=com.docker.compose.service=grafana"], check=False).stdout.split()
    if not found:
        raise SymphonyError("Grafana is not running, so its admin password could not be set",
                            hint=f"see `docker compose -p {obs_project()} logs grafana`")
    res = runner.run(["docker", "exec", "-i", found[0], *GRAFANA_RESET], capture=True, check=False,
                     stdin=password + "\n")
    if res.code != 0:
        reason = ((res.stderr or res.stdout).strip().splitlines() or ["no output"])[-1]
        raise SymphonyError(f"Grafana refused the admin password from GRAFANA_ADMIN_PASSWORD: {ui.mask(reason)}",
                            hint="check GRAFANA_ADMIN_PASSWORD in the config repo (Grafana wants at least 4 "
                                 "characters)")
    ui.status("ok", "Grafana's admin password is GRAFANA_ADMIN_PASSWORD (set through Grafana's CLI, on stdin)")


def report_untailed(runner, collector: str, services=()) -> None:
    """Name the running containers on the platform network that no log source reads: the
    collector lists only those labelled com.sentiric.logs.collector=tail (every service of
    Symphony's profiles is), and `driver` ones log through the loki driver."""
    from symphony.core.observability.override import COLLECTOR_LABEL

    if collector == "none" or runner.dry_run or (services and collector not in services):
        return
    res = runner.query(["docker", "ps", "--filter", f"network={state.NETWORK_NAME}",
                        "--format", f'{{{{.Names}}}}\t{{{{.Label "{COLLECTOR_LABEL}"}}}}'], check=False)
    unread = sorted(name for name, _, label in (line.partition("\t") for line in res.stdout.splitlines())
                    if name and not label.strip())
    if unread:
        shown = ", ".join(unread[:6]) + (f" and {len(unread) - 6} more" if len(unread) > 6 else "")
        ui.status("warn", f"{len(unread)} container(s) on {state.NETWORK_NAME} carry no {COLLECTOR_LABEL} label, so "
                          f"their logs are not collected: {shown}",
                  f"give them the label `{COLLECTOR_LABEL}: tail` in their compose file, as Symphony's profiles do")


def print_urls(env):
    ui.status("ok", "observability stack up")
    ui.say(f"      Grafana     http://127.0.0.1:{env.get('GRAFANA_PORT', '3300')}  (admin / GRAFANA_ADMIN_PASSWORD)")
    ui.say(f"      Prometheus  http://127.0.0.1:{env.get('PROMETHEUS_PORT', '9090')}")
    ui.say(f"      Loki        http://127.0.0.1:{env.get('LOKI_PORT', '3100')}")




def loki_plugin_problem(runner) -> str | None:
    from symphony.core.observability.logdriver import plugin_problem

    listing = runner.query(["docker", "plugin", "ls", "--format", "{{.Name}} {{.Enabled}}"], check=False)
    return plugin_problem(listing.stdout)


def loki_install_hint(runner) -> str:
    from symphony.core.observability.logdriver import install_command

    arch = runner.query(["docker", "version", "--format", "{{.Server.Arch}}"], check=False).stdout.strip()
    return install_command(arch)


def stop_stack(runner, volumes: bool, yes: bool) -> None:
    from symphony.infra.engine import project_volumes

    args = ["--profile", "*", "down", "--remove-orphans"]
    if volumes:
        names = project_volumes(runner, obs_project())
        if names:
            ui.confirm("delete the observability volumes:", names, yes, runner.dry_run)
        args.append("--volumes")
    runner.compose(obs_project(), [], [], *args, capture=True)
    if not runner.dry_run:
        ui.status("ok", "observability stack stopped" + ("" if volumes else "; its volumes are kept"))


def stack_status(runner) -> dict:
    """Backends with their health, Prometheus' targets, and the URLs (for obs.status)."""
    import json

    from symphony.core.observability.targets import summarize_targets
    from symphony.infra.engine import project_states

    states = project_states(runner, obs_project())
    backends = {s.service: _backend_state(s) for s in states}
    targets, targets_error = [], ""
    prom = next((s for s in states if s.service == "prometheus" and s.state == "running"), None)
    if prom:
        res = runner.query(["docker", "exec", prom.name, "wget", "-q", "-O", "-",
                            "http://127.0.0.1:9090/api/v1/targets?state=active"], check=False)
        try:
            targets = summarize_targets(json.loads(res.stdout)) if res.code == 0 else []
        except (ValueError, KeyError, TypeError):
            res.code = 1
        if res.code != 0:  # not "no targets yet": Prometheus did not answer (starting, or broken)
            targets_error = ((res.stderr or res.stdout).strip().splitlines() or [f"exit {res.code}"])[-1]
    urls = {s.service: [p.split("->")[0] for p in s.ports] for s in states if s.ports}
    return {"project": obs_project(), "backends": backends, "targets": targets, "urls": urls,
            "prometheus_running": prom is not None, "targets_error": targets_error}


def _backend_state(container) -> str:
    """What obs.status shows for a backend: a stopped one's state (Docker keeps its last health,
    "unhealthy", after a stop), and a running one that has restarted says so (a crash loop is
    "running" between two crashes)."""
    if container.state != "running" and not container.one_shot:
        return container.state
    shown = container.shown_health
    return f"{shown} (restarted {container.restarts}x)" if container.restarts and not container.one_shot else shown


DATASOURCES = "grafana/provisioning/datasources/datasources.yml"


def datasources_text(tracing: str = "tempo") -> str:
    import yaml

    from symphony.core.observability.datasources import build_datasources

    note = "" if tracing == "tempo" else f" (for --tracing {tracing})"
    return (f"# Generated by `inv obs.render` from symphony/core/observability/datasources.py{note}; obs.up writes\n"
            "# the one for the trace backend it starts\n" + yaml.safe_dump(build_datasources(tracing), sort_keys=False))


def generated_files() -> dict:
    """The Overview dashboard and the Grafana datasources (for the default Tempo), from their builders."""
    from symphony.core.observability.dashboard import build_overview, render_json

    return {
        state.OBSERVABILITY_DIR / "grafana/dashboards/overview.json": render_json(build_overview()),
        state.OBSERVABILITY_DIR / DATASOURCES: datasources_text("tempo"),
    }


def print_scrape_plan(settings, runner, profile=None, config=None) -> None:
    from symphony.app.composemodel import profile_model
    from symphony.app.envfile import resolve_profile
    from symphony.core.observability.scrape import scrape_plan

    model, _ = profile_model(settings, runner, resolve_profile(settings, profile), config=config)
    entries = scrape_plan(model)
    width = max((len(name) for name in entries), default=0)
    for name, entry in entries.items():
        where = ", ".join(f":{p}{entry['path']}" for p in entry["ports"]) or "-"
        ui.status("ok" if entry["ports"] else "info", f"{name:<{width}}  {where:<24} {entry['reason']}")


# Config files the backends read, copied at `obs.up` into the state directory with the modes the
# non-root backends need (a checkout under umask 077 would leave them unreadable) and with the
# platform network's real name in the discovery rules (the checked-in files say sentiric-net).
CONFIG_FILES = ("prometheus/prometheus.yml", "alloy/config.alloy", "promtail/promtail.yml", "loki/loki.yml",
                "tempo/tempo.yml", "jaeger/config.yml", "grafana/provisioning", "grafana/dashboards")
NETWORK_SCOPED = ("prometheus/prometheus.yml", "alloy/config.alloy", "promtail/promtail.yml")


def runtime_config_text(rel: str, text: str, network: str, tracing: str = "tempo") -> str:
    """`text` of config file `rel` for a platform network named `network` and a trace backend."""
    if rel == DATASOURCES:
        return datasources_text(tracing)
    if rel not in NETWORK_SCOPED or network == state.DEFAULT_NETWORK:
        return text
    import re

    lines = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        comment = stripped.startswith(("#", "//"))
        lines.append(line if comment else re.sub(r"(?<![\w.-])sentiric-net(?![\w.-])", network, line))
    return "".join(lines)


def render_runtime_configs(network: str, dry_run: bool = False, tracing: str = "tempo", target=None):
    """Write the backends' config files under `target` (default: the state directory's
    .observability); returns that directory."""
    from symphony.infra.files import write_file

    target = target or state.STATE_DIR / ".observability"
    if dry_run:
        ui.say(ui.paint(f"+ (write the observability config files under {target}, mode 0644)", "info"))
        return target
    for rel in CONFIG_FILES:
        source = state.OBSERVABILITY_DIR / rel
        files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in files:
            sub = path.relative_to(state.OBSERVABILITY_DIR)
            out = target / sub
            _readable_dirs(target, out.parent)
            text = runtime_config_text(str(sub), path.read_text(encoding="utf-8"), network, tracing)
            write_file(out, text, mode=0o644)
    return target


def _readable_dirs(top, directory) -> None:
    """Create `directory` (at or under `top`) and its parents up to `top` with mode 0755: the
    backends' non-root users must be able to traverse them whatever the umask. A level that is a
    symlink is refused (its target's mode would change)."""
    from symphony.infra.files import directory_chain

    directory_chain(top, directory, 0o755)
