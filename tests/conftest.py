"""Test tiers: unit tests need nothing; tests marked `docker` need a real engine.

Without an engine the docker tier is skipped with the reason in the summary; under
CI (CI=true) a missing engine FAILS those tests, so a broken CI cannot pass silently.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache

import pytest

from tests.images import remove_untagged_since, untagged_images

# The tools requirements-dev.txt installs (docker-compose, lint-imports, inv) sit beside the
# interpreter running the tests, in .venv/bin when the venv is not activated: find them there,
# as Symphony itself does (symphony.infra.runner.find_tool).
_BESIDE = os.path.dirname(sys.executable)
if _BESIDE not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BESIDE + os.pathsep + os.environ.get("PATH", "")


@lru_cache(maxsize=1)
def docker_problem() -> str | None:
    if not shutil.which("docker"):
        return "docker CLI not installed"
    try:
        res = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                             capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "Docker daemon did not answer within 20s"
    if res.returncode != 0:
        return "Docker daemon not reachable: " + (res.stderr.strip().splitlines() or ["?"])[-1]
    return None


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_runtest_setup(item):
    if item.get_closest_marker("docker") is None:
        return
    problem = docker_problem()
    if problem is None:
        return
    if under_ci():
        pytest.fail(f"CI=true but the Docker tier cannot run: {problem}", pytrace=False)
    pytest.skip(f"needs Docker: {problem}")


@pytest.fixture(autouse=True)
def _secrets_registered_by_a_test_stay_in_it():
    """The console's masker is process-wide: a secret one test registers must not mask (or, by its
    absence later, unmask) another test's output."""
    from symphony.infra import console

    saved, console._MASKER = console._MASKER, None
    yield
    console._MASKER = saved


@pytest.fixture(scope="session", autouse=True)
def _leave_the_engine_as_found():
    """After the session: no stand-in image left (they carry the stand-in registry's name, never a
    real one, but they are still not the user's), no demo image built under one of the session's
    project prefixes, no untagged image the session's rebuilds left (a stand-in or demo image whose
    tag a later build took), no network left under one of the session's project prefixes, and the
    session's lock directory removed."""
    untagged_before = untagged_images() if docker_problem() is None else set()
    yield
    from tests.stack_helpers import LOCK_DIR, remove_session_images, remove_session_networks

    shutil.rmtree(LOCK_DIR, ignore_errors=True)
    if docker_problem() is None:
        from tests.standins import remove_standins

        remove_standins()
        remove_session_images()
        remove_session_networks()
        remove_untagged_since(untagged_before)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skip is a failure: a machine prepared by .ci/run has everything every test needs,
    so a skip there means a test that silently stopped protecting anything."""
    outcome = yield
    report = outcome.get_result()
    if under_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: this test was skipped ({reason}); CI must run every test"


def pytest_collection_modifyitems(config, items):
    """The tier is the folder: everything under tests/docker/ needs the real engine."""
    for item in items:
        if "/tests/docker/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.docker)
