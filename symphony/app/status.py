"""`status` and `logs` of a profile."""
from __future__ import annotations

from symphony.errors import SymphonyError
from symphony.infra import state


def profile_status(runner, profile: str) -> dict:
    from datetime import datetime, timezone

    from symphony.app.profiles import declared_services
    from symphony.core.containers import status_rows
    from symphony.infra.engine import project_states

    project = state.project_name(profile)
    rows = status_rows(project_states(runner, project), declared_services(profile), datetime.now(timezone.utc))
    return {"profile": profile, "project": project, "services": rows}


def show_logs(runner, profile: str, services, follow: bool, tail, since) -> None:
    """The profile's container logs through Compose, every secret of its env masked."""
    from symphony.app.envfile import register_secrets_of_env_file
    from symphony.core.containers import parse_inspect, secret_env_values
    from symphony.infra import console as ui
    from symphony.infra.engine import project_inspect

    project = state.project_name(profile)
    containers = project_inspect(runner, project)
    if not containers:
        raise SymphonyError(f"profile {profile} has no containers, so there are no logs",
                            hint=f"start it with `inv start --profile {profile}`")
    created = {c.service for c in parse_inspect(containers)}
    gone = [s for s in services if s not in created]
    if gone:  # Compose would print nothing for them and succeed
        raise SymphonyError(f"{', '.join(gone)} of profile {profile} has no container, so there are no logs",
                            hint=f"`inv start --profile {profile}` creates it; `inv status` shows what runs")
    # what the containers were given, whatever .env.generated holds now (or whether it exists):
    # by the secret rule, and under a plain name the compose file fills from a secret
    secret_keys = register_secrets_of_env_file()
    ui.register_secrets(secret_env_values(containers, _secret_environment(profile, secret_keys)))
    args = ["logs", "--no-color"] + (["--follow"] if follow else [])
    if tail is not None:
        args += ["--tail", str(tail)]
    if since:
        args += ["--since", since]
    runner.compose(project, [], [], *args, "--", *services, mutating=False)


def _secret_environment(profile: str, secret_keys: set[str]) -> dict[str, set[str]]:
    """secret_environment of the profile's compose file (nothing when it cannot be read: logs still
    masks by the rule; compose.check is where a reading problem is reported)."""
    import yaml

    from symphony.core.containers import secret_environment
    from symphony.core.yamlio import parse

    try:
        doc = parse(state.compose_file(profile).read_text(encoding="utf-8")).document
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return secret_environment(doc, secret_keys)
