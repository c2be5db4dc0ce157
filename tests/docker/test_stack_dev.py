"""`dev` builds a service from its checkout in the sources directory (SYMPHONY_SOURCES_DIR, here a
temp dir) and uses published images for the others, saying which is which."""
from __future__ import annotations

from symphony.app.platform import platform_catalog
from tests.docker.test_stack_platform import certificates, settings_args  # noqa: F401  (a fixture)
from tests.stack_helpers import Stack, project_containers
from tests.standins import build_standins, image_name


def test_dev_builds_existing_checkouts_and_pulls_the_rest(tmp_path, certificates):  # noqa: F811
    catalog = platform_catalog()
    build_standins(catalog, "dev")
    sources = tmp_path / "sources"
    checkout = sources / "sentiric-sip-registrar-service"
    checkout.mkdir(parents=True)
    # the "source": the stand-in image plus a marker, so the test can tell a build from a pull
    (checkout / "Dockerfile").write_text(f"FROM {image_name(catalog.services['sip-registrar-service'])}\n"
                                         "LABEL com.sentiric.test-built-from=checkout\n")
    stack = Stack(tmp_path / "state", "dev")
    (tmp_path / "state").mkdir()
    try:
        res = stack("start", "--profile", "dev", "--offline", "-s", "sip-registrar-service",
                    *settings_args(certificates), env={"SYMPHONY_SOURCES_DIR": str(sources)})
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"dev: building from source: sip-registrar-service ({checkout})" in res.stdout
        assert "dev: no checkout, using published images:" in res.stdout and "user-service" in res.stdout
        containers = {c["Config"]["Labels"]["com.docker.compose.service"]: c
                      for c in project_containers(stack.project("dev"))}
        # -s brings what it depends on (redis, user-service, and user-service's postgres)
        assert set(containers) == {"sip-registrar-service", "redis", "user-service", "postgres"}
        built = containers["sip-registrar-service"]["Config"]["Labels"]
        assert built.get("com.sentiric.test-built-from") == "checkout"
        assert built.get("com.sentiric.built-by") == "symphony"  # so `inv clean` may remove it
        assert "com.sentiric.test-built-from" not in containers["user-service"]["Config"]["Labels"]
    finally:
        stack.cleanup()
