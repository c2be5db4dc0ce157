"""Every consumer of the healthcheck rule agrees on every form (the table is test_services.py's,
checked against the engine in tests/docker/test_healthcheck_rule.py): start's model and scheduler,
compose.check, and the Kubernetes export's probes."""
from __future__ import annotations

import pytest
import yaml

from symphony.app.composecheck import compose_schema
from symphony.core.composelint import check_compose
from symphony.core.kube.convert import probes
from symphony.core.scheduler import StartScheduler
from symphony.core.services import DECLARED, DISABLED, NO_COMMAND, specs_from_compose
from tests.unit.test_services import HEALTHCHECK_FORMS


def _compose(healthcheck, condition: str) -> dict:
    db = {"image": "db:1"} if healthcheck is None else {"image": "db:1", "healthcheck": healthcheck}
    return {"services": {"db": db, "api": {"image": "api:1", "healthcheck": {"test": ["CMD", "true"]},
                                           "depends_on": {"db": {"condition": condition}}}}}


@pytest.mark.parametrize("healthcheck, kind", HEALTHCHECK_FORMS)
def test_start_compose_check_and_the_export_read_a_healthcheck_alike(healthcheck, kind):
    declared = kind == DECLARED
    specs = specs_from_compose(_compose(healthcheck, "service_healthy"))
    assert specs["db"].healthcheck is declared
    assert StartScheduler.for_services(specs, ["db", "api"]).has_healthcheck["db"] is declared
    assert bool(probes(healthcheck)) is declared

    def lint(condition):
        found = check_compose(yaml.safe_dump(_compose(healthcheck, condition)), "x.yml", {}, compose_schema())
        return {(f.level, f.message) for f in found if f.message.startswith(("api ", "db's"))}

    waits_for_health = lint("service_healthy")
    if kind == DISABLED:
        assert any(level == "error" and "never becomes healthy" in m for level, m in waits_for_health)
    elif kind == NO_COMMAND:
        assert any(level == "error" and "has no command" in m for level, m in waits_for_health)
    else:  # declared, or the image's own: only the created container can say (start asks it)
        assert not any(level == "error" for level, _ in waits_for_health)
    only_started = lint("service_started")
    assert any("only waits for db to start although db has a healthcheck" in m for _, m in only_started) is declared
