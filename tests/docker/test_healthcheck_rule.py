"""The healthcheck rule (core.services.healthcheck_kind) against the real engine: for every form a
compose file can take, on an image with a HEALTHCHECK and on one without, the created container
runs a check exactly when the rule says; and `start` waits for an image's own check, but refuses at
once a health wait that no check can ever satisfy (as Compose does)."""
from __future__ import annotations

import json
import time

import pytest
import yaml

from symphony.app.restart import restart_services
from symphony.app.start import run_scheduled
from symphony.core.services import DECLARED, FROM_IMAGE, specs_from_compose, with_engine_healthchecks
from symphony.errors import SymphonyError
from symphony.infra import state
from symphony.infra.engine import project_states
from symphony.infra.runner import Runner
from tests.stack_helpers import docker, remove_project, unique_prefix
from tests.unit.test_services import HEALTHCHECK_FORMS


@pytest.fixture
def checked_image(tmp_path):
    """An image with its own HEALTHCHECK (1 s apart, so a start waits seconds), under a test-only name."""
    tag = f"{unique_prefix('hc')}image:1"
    (tmp_path / "Dockerfile").write_text('FROM busybox:1.35\nHEALTHCHECK --interval=1s CMD ["true"]\n')
    docker("build", "-q", "-t", tag, str(tmp_path))
    yield tag
    docker("image", "rm", "-f", tag, check=False)


def _project(tmp_path, services: dict) -> tuple[str, Runner, dict]:
    """Write a compose file, let Compose resolve and create it; (project, runner, resolved model)."""
    project = unique_prefix("hc") + "p"
    (tmp_path / "compose.yml").write_text(yaml.safe_dump({"services": services}))
    runner = Runner(echo=False)
    compose = [*runner.compose_base, "-p", project, "-f", str(tmp_path / "compose.yml")]
    model = json.loads(runner.query([*compose, "config", "--format", "json"]).stdout)
    runner.run([*compose, "create"], capture=True)
    return project, runner, model


def test_the_engine_runs_a_healthcheck_exactly_when_the_rule_says(tmp_path, checked_image):
    services = {}
    for i, (healthcheck, _) in enumerate(HEALTHCHECK_FORMS):
        for image, suffix in ((checked_image, "own"), ("busybox:1.35", "plain")):
            svc = {"image": image, "command": ["sleep", "600"]}
            if healthcheck is not None:
                svc["healthcheck"] = healthcheck
            services[f"f{i}-{suffix}"] = svc
    project, runner, model = _project(tmp_path, services)
    try:  # created, never started: Docker 20.10's daemon panics running a ["CMD"] test
        runs = {s.service: s.has_healthcheck for s in project_states(runner, project)}
        assert set(runs) == set(services)
        for i, (healthcheck, kind) in enumerate(HEALTHCHECK_FORMS):
            assert runs[f"f{i}-own"] is (kind == DECLARED or kind == FROM_IMAGE), healthcheck
            assert runs[f"f{i}-plain"] is (kind == DECLARED), healthcheck
        # the model start schedules with is the engine's answer, not the file's
        engine = with_engine_healthchecks(specs_from_compose(model), project_states(runner, project))
        assert {n: s.healthcheck for n, s in engine.items()} == runs
    finally:
        remove_project(project)


def _start(monkeypatch, project, runner, model, timeout=60):
    prefix, profile = project[:-1], project[-1]
    monkeypatch.setattr(state, "PROJECT_PREFIX", prefix)
    return run_scheduled(runner, profile, model, sorted(model["services"]), timeout, time.monotonic())


def test_start_waits_for_the_health_of_an_image_s_own_check(tmp_path, checked_image, monkeypatch):
    project, runner, model = _project(tmp_path, {
        "db": {"image": checked_image, "command": ["sleep", "600"]},  # no healthcheck in the file
        "api": {"image": "busybox:1.35", "command": ["sleep", "600"],
                "depends_on": {"db": {"condition": "service_healthy"}}},
    })
    try:
        outcome = _start(monkeypatch, project, runner, model)
        assert outcome.ok
        states = {s.service: s for s in project_states(runner, project)}
        assert states["db"].health == "healthy" and states["api"].state == "running"
    finally:
        remove_project(project)


def test_start_refuses_at_once_a_health_wait_no_check_can_satisfy(tmp_path, monkeypatch):
    project, runner, model = _project(tmp_path, {
        "db": {"image": "busybox:1.35", "command": ["sleep", "600"]},  # neither the file nor the image checks
        "api": {"image": "busybox:1.35", "command": ["sleep", "600"],
                "depends_on": {"db": {"condition": "service_healthy"}}},
    })
    try:
        began = time.monotonic()
        with pytest.raises(SymphonyError) as refused:
            _start(monkeypatch, project, runner, model, timeout=60)
        assert time.monotonic() - began < 20  # not the 60 s timeout
        assert "waits for health that can never come" in refused.value.message
        assert "api -> db" in refused.value.message and "nothing was started" in refused.value.message
        assert {s.service: s.state for s in project_states(runner, project)} == {"db": "created", "api": "created"}
    finally:
        remove_project(project)


def test_restart_refuses_the_same_wait_before_stopping_anything(tmp_path, monkeypatch):
    project, runner, _ = _project(tmp_path, {
        "db": {"image": "busybox:1.35", "command": ["sleep", "600"]},
        "api": {"image": "busybox:1.35", "command": ["sleep", "600"],
                "depends_on": {"db": {"condition": "service_healthy"}}},
    })
    try:
        # started by hand, as Compose would not: it refuses the wait too ("has no healthcheck configured")
        docker("start", *docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout.split())
        monkeypatch.setattr(state, "PROJECT_PREFIX", project[:-1])
        with pytest.raises(SymphonyError) as refused:
            restart_services(runner, project[-1], ["api"], timeout=60)
        assert "api -> db" in refused.value.message and "nothing was stopped" in refused.value.message
        assert {s.service: s.state for s in project_states(runner, project)} == {"db": "running", "api": "running"}
    finally:
        remove_project(project)
