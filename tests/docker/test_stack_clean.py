"""`clean` removes only Symphony's resources; `--dry-run` prints and changes nothing."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.stack_helpers import docker, project_containers, project_volumes, stack_fixture

stack = stack_fixture("clean")


@pytest.fixture
def foreign(stack):
    """Another project's container and volume; the container joins the platform network once the
    stack has created it (so the network is Symphony's, and in use by someone else)."""
    name = f"foreign-{uuid.uuid4().hex[:6]}"
    docker("volume", "create", "--label", "com.docker.compose.project=someone-else", f"{name}-data")

    def run():
        docker("run", "-d", "--name", name, "--network", stack.network, "--label",
               "com.docker.compose.project=someone-else", "-v", f"{name}-data:/data", "busybox:1.35", "sleep", "600")
        return name

    yield run
    docker("rm", "-f", name, check=False)
    docker("volume", "rm", f"{name}-data", check=False)


def test_clean_removes_ours_and_leaves_a_foreign_container_and_volume(stack, foreign):
    project = stack.project("demo")
    assert stack("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0").returncode == 0
    foreign = foreign()
    preview = stack("clean", "--dry-run")
    assert preview.returncode == 0
    assert f"volume    {project}_datastore-data" in preview.stdout
    assert "+ docker rm -f -v" in preview.stdout
    assert f"(kept: network {stack.network}, still used by {foreign})" in preview.stdout
    assert not any(foreign in line for line in preview.stdout.splitlines() if line.startswith("+ "))
    assert len(project_containers(project)) == 6  # the dry run removed nothing

    refused = stack("clean")  # no terminal to confirm on
    assert refused.returncode == 2 and project_containers(project)

    res = stack("clean", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert project_containers(project) == [] and project_volumes(project) == []
    assert "error" not in res.stderr.lower(), res.stderr
    assert "kept" in res.stdout and stack.network in res.stdout
    assert docker("network", "inspect", stack.network, check=False).returncode == 0  # a foreign container uses it
    assert docker("inspect", "-f", "{{.State.Running}}", foreign).stdout.strip() == "true"
    assert docker("volume", "inspect", f"{foreign}-data", check=False).returncode == 0
    assert not (stack.state_dir / ".profile.state").exists()
    # the images this checkout's projects built go too (another checkout's are not even looked at)
    assert images_of(project) == []


def images_of(project: str) -> list[str]:
    """The images Symphony built for `project`, by name (by id when a later build took the name)."""
    out = docker("images", "--filter", "label=com.sentiric.built-by=symphony", "--filter",
                 f"label=com.sentiric.project={project}", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}").stdout
    return [iid if "<none>" in ref else ref for iid, ref in (line.split() for line in out.splitlines())]


def test_clean_leaves_the_images_another_checkout_built(stack, tmp_path_factory):
    """Two checkouts on one engine (two project prefixes): one's clean never removes the other's
    built images, though both carry Symphony's built-by label."""
    from tests.stack_helpers import Stack, remove_project

    other = Stack(tmp_path_factory.mktemp("other"), "clean-other")
    try:
        assert other("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0").returncode == 0
        assert other("stop").returncode == 0  # its images stay, no container uses them
        theirs = images_of(other.project("demo"))
        assert len(theirs) >= 5, theirs  # datastore (also migrate's), broker, user, agent, gateway
        assert stack("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0").returncode == 0
        ours = images_of(stack.project("demo"))
        preview = stack("clean", "--dry-run")
        assert all(f"image     {ref}" in preview.stdout for ref in ours), preview.stdout
        assert not any(ref in preview.stdout for ref in theirs), preview.stdout
        res = stack("clean", "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
        assert images_of(stack.project("demo")) == []
        assert sorted(images_of(other.project("demo"))) == sorted(theirs)
    finally:
        other.cleanup()
        remove_project(other.project("demo"))
        for ref in images_of(other.project("demo")):
            docker("image", "rm", "-f", ref, check=False)


def test_dry_run_start_prints_commands_and_changes_nothing(stack):
    project = stack.project("demo")
    res = stack("start", "--offline", "--dry-run")
    assert res.returncode == 0, res.stderr
    assert f"+ docker-compose -p {project} -f" in res.stdout or f"+ docker compose -p {project} -f" in res.stdout
    assert "create --remove-orphans" in res.stdout and "then `docker start`" in res.stdout
    assert project_containers(project) == []
    assert not (stack.state_dir / ".profile.state").exists()
    assert not (stack.state_dir / ".env.generated").exists()


def test_unknown_docker_context_is_a_usage_error_naming_it(stack):
    res = stack("status", "--context", "no-such-context")
    assert res.returncode == 2  # a bad flag value, not a stopped engine
    assert "no Docker context 'no-such-context'" in res.stderr and "docker context ls" in res.stderr
    assert "start the Docker engine" not in res.stderr and "Traceback" not in res.stderr


def test_a_docker_context_selects_the_engine(stack):
    name = f"symtest-ctx-{uuid.uuid4().hex[:6]}"
    docker("context", "create", name, "--docker", "host=unix:///var/run/docker.sock")
    try:
        project = stack.project("demo")
        res = stack("start", "--offline", "--context", name, "--set", "API_GATEWAY_HOST_PORT=0")
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"DOCKER_CONTEXT={name} " in res.stdout  # every engine command names the context
        status = stack("status", "--context", name, "--json")
        assert status.returncode == 0 and len(json.loads(status.stdout)["services"]) == 6
        assert stack("stop", "--context", name).returncode == 0
        assert project_containers(project) == []
    finally:
        docker("context", "rm", "-f", name, check=False)


def test_clean_removes_the_network_it_created_when_nothing_else_uses_it(stack):
    assert stack("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0").returncode == 0
    labels = docker("network", "inspect", "--format", "{{json .Labels}}", stack.network).stdout
    assert json.loads(labels).get("com.sentiric.managed-by") == "symphony"
    res = stack("clean", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert docker("network", "inspect", stack.network, check=False).returncode != 0
