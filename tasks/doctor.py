"""`inv doctor`: a preflight of everything Symphony needs, each line with its fix."""
from __future__ import annotations

import json as jsonlib
import shutil
import socket
from dataclasses import asdict, dataclass

from symphony.infra import console as ui
from symphony.infra import state
from symphony.cli import setting, task
from symphony.errors import SymphonyError


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


def port_is_free(port: int, protocol: str = "tcp", host_ip: str = "0.0.0.0") -> bool:
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host_ip if host_ip not in ("", "::") else "0.0.0.0", port))
        except OSError:
            return False
    return True


def _check_engine(runner) -> list[Check]:
    checks = []
    try:
        version = runner.ensure_daemon()
        checks.append(Check("docker", "ok", f"Docker engine {version} reachable"))
    except SymphonyError as exc:
        checks.append(Check("docker", "fail", exc.message, exc.hint))
        return checks
    try:
        checks.append(Check("compose", "ok", f"Compose {runner.compose_version()} ({' '.join(runner.compose_base)})"))
    except SymphonyError as exc:
        checks.append(Check("compose", "fail", exc.message, exc.hint))
    plugins = runner.query(["docker", "plugin", "ls", "--format", "{{.Name}} {{.Enabled}}"], check=False).stdout
    if any(line.split(" ")[0].split(":")[0] in ("loki", "grafana/loki-docker-driver") for line in plugins.splitlines()):
        checks.append(Check("loki-driver", "ok", "loki logging driver plugin installed"))
    else:
        checks.append(Check(
            "loki-driver", "warn", "loki logging driver plugin not installed (only needed for `--log-driver loki`)",
            "docker plugin install grafana/loki-docker-driver:3.5.0 --alias loki --grant-all-permissions",
        ))
    return checks


def _check_git() -> Check:
    if shutil.which("git"):
        return Check("git", "ok", "git found")
    return Check("git", "warn", "git not found: config.sync cannot run", "apt-get install git")


def _check_config(c) -> Check:
    from symphony.app.configsource import resolve_config_source

    try:
        source = resolve_config_source(configured=setting(c, "config_path"))
    except SymphonyError as exc:
        return Check("config", "fail", exc.message, exc.hint)
    if source.embedded:
        return Check("config", "warn", f"no config repo found; using the embedded example config {source.path}",
                     "run `inv config.sync` to clone sentiric-config next to this repo (example values are not for production)")
    return Check("config", "ok", f"config repo {source.describe()}")


def _check_profile(c) -> tuple[Check, str | None]:
    try:
        profile = state.read_active_profile(default=setting(c, "default_profile"))
    except SymphonyError as exc:
        return Check("profile", "fail", exc.message, exc.hint), None
    where = "from .profile.state" if state.STATE_FILE.exists() else "default, no .profile.state yet"
    return Check("profile", "ok", f"active profile {profile!r} ({where})"), profile


def _check_ports(runner, profile: str) -> list[Check]:
    from symphony.app.composemodel import load_model, published_ports

    env_files = [state.ENV_OUTPUT] if state.ENV_OUTPUT.exists() else []
    try:
        model = load_model(runner, [state.compose_file(profile)], env_files, state.project_name(profile))
    except SymphonyError as exc:
        return [Check("ports", "fail", exc.message, exc.hint)]
    ours = runner.query(
        ["docker", "ps", "--filter", f"label=com.docker.compose.project={state.project_name(profile)}", "--format", "{{.Ports}}"],
        check=False,
    ).stdout
    checks = []
    for p in published_ports(model):
        label = f"{p.port}/{p.protocol}"
        if port_is_free(p.port, p.protocol, p.host_ip):
            continue
        if f":{p.port}->" in ours:
            checks.append(Check("ports", "ok", f"{label} in use by this profile's running {p.service}"))
        else:
            checks.append(Check("ports", "fail", f"host port {label} (for {p.service}) is taken by another program",
                                f"free it (`ss -lntup | grep {p.port}`) or change the published port in the profile's env"))
    if not checks:
        checks.append(Check("ports", "ok", f"all {len(published_ports(model))} published host ports of {profile!r} are free"))
    return checks


def _check_disk(runner) -> Check:
    root = runner.query(["docker", "info", "--format", "{{.DockerRootDir}}"], check=False).stdout.strip() or "/"
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        free = shutil.disk_usage("/").free
    gib = free / 2**30
    if gib < 1:
        return Check("disk", "fail", f"{gib:.1f} GiB free under {root}", "free space: `docker system df`, then `inv clean`")
    if gib < 5:
        return Check("disk", "warn", f"{gib:.1f} GiB free under {root}", "images and volumes need room: `docker system df`")
    return Check("disk", "ok", f"{gib:.0f} GiB free under {root}")


def run_checks(c, runner) -> list[Check]:
    checks = _check_engine(runner)
    engine_ok = checks[0].status == "ok"
    checks.append(_check_git())
    checks.append(_check_config(c))
    profile_check, profile = _check_profile(c)
    checks.append(profile_check)
    if engine_ok and profile:
        checks.extend(_check_ports(runner, profile))
    if engine_ok:
        checks.append(_check_disk(runner))
    return checks


@task(help={"json": "print the checks as JSON for scripts", "context": "Docker context to check (default: current)"})
def doctor(c, json=False, context=None):
    """Preflight: Docker engine, Compose, git, config repo, profile, ports, disk."""
    from symphony.infra.runner import parse_context

    runner = parse_context(c, context, dry_run=False)
    checks = run_checks(c, runner)
    if json:
        print(jsonlib.dumps([asdict(ch) for ch in checks], indent=2))
    else:
        for ch in checks:
            ui.status(ch.status, ch.detail, ch.fix)
    failed = [ch for ch in checks if ch.status == "fail"]
    if failed:
        import invoke

        raise invoke.Exit(code=1)
