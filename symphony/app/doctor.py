"""`doctor`: a preflight of everything Symphony needs, each finding with its fix."""
from __future__ import annotations

import shutil
from dataclasses import dataclass

from symphony.errors import SymphonyError
from symphony.infra import state


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


def _check_engine(runner) -> list[Check]:
    checks = []
    try:
        version = runner.engine_version()
        checks.append(Check("docker", "ok", f"Docker engine {version} reachable"))
    except SymphonyError as exc:
        checks.append(Check("docker", "fail", exc.message, exc.hint))
        return checks
    try:
        checks.append(Check("compose", "ok", f"Compose {runner.compose_version()} ({' '.join(runner.compose_base)})"))
    except SymphonyError as exc:
        checks.append(Check("compose", "fail", exc.message, exc.hint))
    from symphony.app.observability import loki_install_hint, loki_plugin_problem

    problem = loki_plugin_problem(runner)  # the same rule `start --log-driver loki` enforces
    if problem is None:
        checks.append(Check("loki-driver", "ok", "loki logging driver plugin installed and enabled"))
    else:
        checks.append(Check("loki-driver", "warn", f"{problem} (only needed for `--log-driver loki`)",
                            loki_install_hint(runner)))
    return checks


def _check_git() -> Check:
    if shutil.which("git"):
        return Check("git", "ok", "git found")
    return Check("git", "warn", "git not found: config.sync cannot run", "apt-get install git")


def _check_config(settings) -> Check:
    from symphony.app.configsource import resolve_config_source

    try:
        source = resolve_config_source(configured=settings.config_path)
    except SymphonyError as exc:
        return Check("config", "fail", exc.message, exc.hint)
    if source.embedded:
        return Check("config", "warn", f"no config repo found; using the embedded example config {source.path}",
                     "run `inv config.sync` to clone sentiric-config next to this repo "
                     "(example values are not for production)")
    return Check("config", "ok", f"config repo {source.describe()}")


def _check_profile(settings) -> tuple[Check, str | None]:
    try:
        profile = state.read_active_profile(default=settings.default_profile)
    except SymphonyError as exc:
        return Check("profile", "fail", exc.message, exc.hint), None
    where = "from .profile.state" if state.STATE_FILE.exists() else "default, no .profile.state yet"
    return Check("profile", "ok", f"active profile {profile!r} ({where})"), profile


def _check_ports(settings, runner, profile: str) -> list[Check]:
    """The same host-port preflight `start` runs, against the profile as it would start now."""
    from symphony.app.composemodel import profile_model
    from symphony.app.preflight import check_published_ports, engine_is_local

    if not engine_is_local(runner):
        return [Check("ports", "warn", "remote engine: its host ports cannot be checked from here")]
    try:
        model, _ = profile_model(settings, runner, profile)
    except SymphonyError as exc:
        return [Check("ports", "fail", exc.message, exc.hint)]
    results = check_published_ports(runner, model, state.project_name(profile))
    checks = []
    for r in results:
        label = f"{r.port.port}/{r.port.protocol}"
        if r.ours:
            checks.append(Check("ports", "ok", f"{label} in use by this profile's running {r.port.service}"))
        elif not r.free:
            checks.append(Check("ports", "fail",
                                f"host port {label} (for {r.port.service}) is taken by another program",
                                f"free it (`ss -lntup | grep {r.port.port}`) "
                                "or change the published port in the profile's env"))
    if not checks:
        checks.append(Check("ports", "ok", f"all {len(results)} published host ports of {profile!r} are free"))
    return checks


def _check_disk(runner) -> Check:
    root = runner.query(["docker", "info", "--format", "{{.DockerRootDir}}"], check=False).stdout.strip() or "/"
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        free = shutil.disk_usage("/").free
    gib = free / 2**30
    if gib < 1:
        return Check("disk", "fail", f"{gib:.1f} GiB free under {root}",
                     "free space: `docker system df`, then `inv clean`")
    if gib < 5:
        return Check("disk", "warn", f"{gib:.1f} GiB free under {root}",
                     "images and volumes need room: `docker system df`")
    return Check("disk", "ok", f"{gib:.0f} GiB free under {root}")


def _check_certificates(settings, profile: str) -> list[Check]:
    """The profile's mTLS material: missing, expired or expiring soon (same check as certs.check)."""
    from symphony.app.certificates import inspect, profile_certificates

    try:
        certs_dir, plan = profile_certificates(settings, profile)
    except SymphonyError as exc:
        return [Check("certificates", "fail", exc.message, exc.hint)]
    if not plan:
        return []
    findings = inspect(certs_dir, plan)
    if not findings:
        return [Check("certificates", "ok", f"{len(plan)} service certificate(s) in {certs_dir} present and valid")]
    return [Check("certificates", f.level, f.message, "inv certs.generate" if f.level == "fail" else "")
            for f in findings]


def run_checks(settings, runner) -> list[Check]:
    checks = _check_engine(runner)
    engine_ok = checks[0].status == "ok"
    checks.append(_check_git())
    checks.append(_check_config(settings))
    profile_check, profile = _check_profile(settings)
    checks.append(profile_check)
    if engine_ok and profile:
        checks.extend(_check_ports(settings, runner, profile))
    if profile:
        checks.extend(_check_certificates(settings, profile))
    if engine_ok:
        checks.append(_check_disk(runner))
    return checks


