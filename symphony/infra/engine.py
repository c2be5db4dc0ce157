"""Questions Symphony asks the Docker engine about its projects (read-only, through the runner)."""
from __future__ import annotations

import json

from symphony.core.containers import PROJECT_LABEL, ContainerState, parse_inspect
from symphony.infra import state

MANAGED_LABEL = "com.sentiric.managed-by=symphony"


def project_container_ids(runner, project: str) -> list[str]:
    return runner.query(["docker", "ps", "-aq", "--no-trunc", "--filter",
                         f"label={PROJECT_LABEL}={project}"]).stdout.split()


def project_inspect(runner, project: str) -> list[dict]:
    """`docker inspect` of every container of a project: over the local engine's socket when
    there is one (one connection, no CLI processes), else through the CLI."""
    api = runner.engine_api()
    if api is not None:
        from symphony.infra.dockerapi import EngineUnavailable

        try:
            return api.project_containers(project)
        except EngineUnavailable:
            pass  # the CLI below reports the engine's state in its own words (exit 127)
    ids = project_container_ids(runner, project)
    if not ids:
        return []
    res = runner.query(["docker", "inspect", *ids], check=False)
    # a container removed between the two calls makes inspect fail for that id only
    return json.loads(res.stdout or "[]")


def project_states(runner, project: str) -> list[ContainerState]:
    """Every container of a project as the engine describes it."""
    return parse_inspect(project_inspect(runner, project))


def project_volumes(runner, project: str) -> list[str]:
    return runner.query(["docker", "volume", "ls", "-q", "--filter", f"label={PROJECT_LABEL}={project}"]).stdout.split()


def symphony_projects() -> dict[str, str]:
    """Compose project name -> profile, for every profile this checkout knows."""
    return {state.project_name(p): p for p in state.known_profiles()}


def running_projects(runner) -> dict[str, int]:
    """Symphony projects that have running containers on this engine: project -> count."""
    out = runner.query(["docker", "ps", "--filter", f"label={PROJECT_LABEL}",
                        "--format", '{{.Label "' + PROJECT_LABEL + '"}}']).stdout.split()
    ours = symphony_projects()
    counts: dict[str, int] = {}
    for project in out:
        if project in ours:
            counts[project] = counts.get(project, 0) + 1
    return counts


def ensure_network(runner) -> None:
    """sentiric-net is shared by every profile and the observability stack, so it is
    created outside any compose project (and labelled, so `clean` knows it is ours)."""
    res = runner.query(["docker", "network", "inspect", "--format", "{{.Name}}", state.NETWORK_NAME], check=False)
    if res.code != 0:
        runner.docker("network", "create", "--label", MANAGED_LABEL, state.NETWORK_NAME)


def image_exists(runner, image: str) -> bool:
    return runner.query(["docker", "image", "inspect", "--format", "{{.Id}}", image], check=False).code == 0


def container_logs(runner, container: str, lines: int = 20) -> str:
    res = runner.query(["docker", "logs", "--tail", str(lines), container], check=False)
    return (res.stdout + res.stderr).rstrip()
