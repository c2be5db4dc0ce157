"""The platform catalog: its schema refuses inconsistent facts, every healthcheck runs a tool
the image has, and the rendered compose files carry exactly the catalog's facts."""
from __future__ import annotations

import copy
import dataclasses

import pytest
import yaml

from symphony.app.platform import CATALOG_DIR, platform_catalog
from symphony.core.platform.catalog import CatalogError, Endpoint, service_from_dict
from symphony.core.platform.composegen import render
from symphony.core.platform.readiness import readiness_check, tool_used

EXAMPLE = yaml.safe_load((CATALOG_DIR / "user-service.yaml").read_text())


def svc(**changes):
    doc = copy.deepcopy(EXAMPLE)
    doc.update(changes)
    return service_from_dict(doc, "test.yaml")


@pytest.mark.parametrize("change, complaint", [
    ({"image": "ghcr.io/sentiric/sentiric-user-service:latest"}, "without a tag"),
    ({"runtime": {"tools": ["sh", "wgett"]}}, "unknown tool"),
    ({"health": {"port": "nosuch", "path": "/health"}}, "is not one of the ports"),
    ({"health": {"port": "http", "path": "health"}}, "must start with /"),
    ({"metrics": {"port": "http", "path": None}}, "needs an HTTP path"),
    ({"tier": "frontend"}, "tier"),
    ({"depends": [{"service": "postgres", "condition": "service_ready"}]}, "not a Compose condition"),
    ({"env": EXAMPLE["env"] + [{"name": "USER_SERVICE_GRPC_PORT", "value": "1"}]}, "twice"),
    ({"check": {"test": ["pg_isready"]}}, "CMD or CMD-SHELL"),
])
def test_inconsistent_facts_are_refused_naming_the_file(change, complaint):
    with pytest.raises(CatalogError) as err:
        svc(**change)
    assert "test.yaml" in str(err.value) and complaint in str(err.value)


def test_the_catalog_loads_and_names_a_repo_and_commit_for_every_service():
    catalog = platform_catalog()
    assert catalog.services, "no service in compose/catalog"
    for s in catalog.services.values():
        assert "/" in s.repo and len(s.commit) == 40, s.name
        assert s.image and s.runtime_cite and s.image_cite, s.name


@pytest.mark.parametrize("tools, expected", [
    (["sh", "bash", "curl", "nc"], "curl"),      # Debian images that install curl
    (["sh", "wget", "nc"], "wget"),              # alpine / node / nginx: busybox wget
    (["sh", "bash", "perl", "python"], "bash"),  # python-slim: bash's /dev/tcp, no curl/wget
    (["python"], "python"),
])
def test_an_http_health_path_is_probed_with_a_tool_the_image_has(tools, expected):
    test = readiness_check(svc(runtime={"tools": tools}))
    assert tool_used(test) == expected
    assert "http://127.0.0.1:${USER_SERVICE_HTTP_PORT}/health" in " ".join(test) or \
        "/dev/tcp/127.0.0.1/${USER_SERVICE_HTTP_PORT}" in " ".join(test)


def test_nothing_to_probe_with_means_no_healthcheck():
    assert readiness_check(svc(runtime={"tools": ["perl"]})) is None
    assert readiness_check(svc(health=None)) is None


def test_a_grpc_only_service_is_probed_by_a_tcp_connect_never_on_udp():
    grpc = svc(health={"port": "grpc", "path": None})
    assert readiness_check(grpc)[:3] == ["CMD", "nc", "-z"] and readiness_check(grpc)[-1] == "${USER_SERVICE_GRPC_PORT}"
    udp_ports = EXAMPLE["ports"] + [{"name": "sip", "port": 5060, "protocol": "udp"}]
    with pytest.raises(CatalogError, match="UDP port cannot be probed"):  # the schema refuses the fact outright
        svc(ports=udp_ports, health={"port": "sip", "path": None})
    sip = dataclasses.replace(svc(ports=udp_ports), health=Endpoint("sip", None))
    assert readiness_check(sip) is None  # and the rule never turns it into a TCP connect to a UDP-only SIP port


def test_pgrep_is_never_chosen_even_when_it_is_the_only_tool():
    assert readiness_check(svc(runtime={"tools": ["pgrep"]})) is None


def test_every_catalog_healthcheck_runs_a_tool_its_image_has():
    for s in platform_catalog().services.values():
        used = tool_used(readiness_check(s))
        if used and not s.check:
            assert used in s.tools, f"{s.name}: the healthcheck runs {used}, the image has {s.tools}"


def test_compose_gets_exactly_the_variables_the_code_reads_and_its_ports():
    catalog = platform_catalog()
    doc = render(catalog, "prod")
    for name, service in doc["services"].items():
        s = catalog.services[name]
        expected = {e.name for e in s.env} | {v for p in s.ports for v in (p.variable, p.end_variable) if v}
        assert set(service.get("environment", {})) == expected, name
        assert len(service.get("expose", [])) == len(s.ports), name
        for p in s.ports:
            assert (p.ref if p.protocol == "tcp" else f"{p.ref}/udp") in service["expose"], (name, p.name)
        if s.metrics:
            assert service["labels"]["com.sentiric.metrics.port"] == s.port(s.metrics.port).ref
        else:
            assert "com.sentiric.metrics.port" not in service["labels"], name


def test_rendered_files_are_what_compose_render_would_write():
    from symphony.app.composecheck import rendered_files

    for path, text in rendered_files().items():
        assert path.read_text() == text, f"{path} is stale: run `inv compose.render`"


def test_the_readme_names_every_catalog_commit_every_exclusion_and_the_assumed_count():
    import re

    readme = (CATALOG_DIR.parent.parent / "README.md").read_text()
    catalog = platform_catalog()
    for s in catalog.services.values():
        assert f"`{s.name}` | {s.repo}@{s.commit[:12]}" in readme, s.name
    for repo in catalog.excluded:
        assert f"**{repo}**" in readme, repo
    assumed = sum(len(s.assumed) for s in catalog.services.values())
    assert re.search(rf"\*\*{assumed}\*\* of them in all", readme), f"README's ASSUMED count is not {assumed}"
