"""`dev` builds a service from its sibling checkout ../sentiric-<name> and uses published images
for the others, saying which is which."""
from __future__ import annotations

import shutil

import pytest

from tests.invoke_helpers import ROOT
from tests.stack_helpers import STANDIN_REGISTRY, Stack, project_containers, standin_args
from tests.standins import build_standins

pytestmark = pytest.mark.docker
CHECKOUT = ROOT.parent / "sentiric-tts-edge-service"


@pytest.fixture
def checkout():
    if CHECKOUT.exists():
        pytest.skip(f"{CHECKOUT} exists (a real checkout?); not touching it")
    CHECKOUT.mkdir()
    # the "source": the stand-in image plus a marker, so the test can tell a build from a pull
    (CHECKOUT / "Dockerfile").write_text(f"FROM {STANDIN_REGISTRY}/sentiric/sentiric-tts-edge-service:latest\n"
                                         "LABEL com.sentiric.test-built-from=checkout\n")
    yield CHECKOUT
    shutil.rmtree(CHECKOUT)


def test_dev_builds_existing_checkouts_and_pulls_the_rest(checkout, tmp_path):
    build_standins("dev")
    stack = Stack(tmp_path, "dev")
    try:
        res = stack("start", "--profile", "dev", "--offline", "-s", "tts-gateway", "--set", "HEALTHCHECK_INTERVAL=1s",
                    *standin_args())
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"dev: building from source: tts-edge-service ({checkout})" in res.stdout
        assert "dev: no checkout, using published images:" in res.stdout and "tts-gateway" in res.stdout
        containers = {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in project_containers(stack.project("dev"))}
        assert set(containers) == {"tts-edge-service", "tts-gateway"}  # -s brings its dependency too
        built = containers["tts-edge-service"]["Config"]["Labels"]
        assert built.get("com.sentiric.test-built-from") == "checkout"
        assert built.get("com.sentiric.built-by") == "symphony"  # so `inv clean` may remove it
        assert "com.sentiric.test-built-from" not in containers["tts-gateway"]["Config"]["Labels"]
    finally:
        stack.cleanup()
