"""compose.check's core on small files (no Docker), and the real profiles through `inv`."""
from __future__ import annotations

import textwrap

from symphony.app.platform import platform_catalog
from symphony.core.composelint import check_compose, host_ports, interpolate
from symphony.core.platform.composegen import render
from tests.invoke_helpers import inv


def findings(text, env=None):
    return [(f.level, f.where, f.message) for f in check_compose(textwrap.dedent(text), "x.yml", env or {})]


def errors(text, env=None):
    return [(w, m) for level, w, m in findings(text, env) if level == "error"]


HEALTHY = "healthcheck: {test: [CMD, true]}"


def test_a_dependency_absent_from_the_profile_is_named_with_its_line():
    errs = errors(f"""
        services:
          api:
            image: a
            {HEALTHY}
            depends_on:
              user: {{condition: service_healthy}}
        """)
    assert errs == [("x.yml:7", "api depends on user, which is not in this profile; add user or remove the dependency")]


def test_service_healthy_on_a_service_without_healthcheck():
    errs = errors(f"""
        services:
          db: {{image: d}}
          api:
            image: a
            {HEALTHY}
            depends_on: {{db: {{condition: service_healthy}}}}
        """)
    assert errs == [("x.yml:7", "api waits for db to be healthy, but db has no healthcheck")]


def test_dependency_cycle_prints_the_chain():
    errs = errors(f"""
        services:
          a: {{image: a, {HEALTHY}, depends_on: {{b: {{condition: service_healthy}}}}}}
          b: {{image: b, {HEALTHY}, depends_on: {{c: {{condition: service_healthy}}}}}}
          c: {{image: c, {HEALTHY}, depends_on: {{a: {{condition: service_healthy}}}}}}
        """)
    assert ("x.yml:3", "dependency cycle: a -> b -> c -> a") in errs


def test_undefined_variables_and_defaults():
    text = f"""
        services:
          a:
            image: "a:${{TAG:-latest}}"
            {HEALTHY}
            environment: {{X: "${{DEFINED}}", Y: "${{MISSING}}", Z: "$${{LITERAL}}"}}
        """
    errs = errors(text, {"DEFINED": "1"})
    assert len(errs) == 1 and errs[0][0] == "x.yml:6" and "${MISSING}" in errs[0][1]


def test_duplicate_host_ports_after_interpolation_and_ranges():
    text = f"""
        services:
          a: {{image: a, {HEALTHY}, ports: ["127.0.0.1:${{A_PORT}}:80"]}}
          b: {{image: b, {HEALTHY}, ports: ["8000-8010:9000-9010"]}}
          c: {{image: c, {HEALTHY}, ports: ["8005:80/udp", "8005:80"]}}
        """
    errs = errors(text, {"A_PORT": "8003"})
    assert [m for _, m in errs] == [
        "host port 8003/tcp is published by both a and b",  # they clash only once A_PORT is known
        "host port 8005/tcp is published by both b and c",  # 8005/udp is a different port
    ]


def test_container_name_and_restarting_one_shot_jobs_are_errors():
    errs = errors(f"""
        services:
          job: {{image: j, restart: always}}
          api:
            image: a
            container_name: api
            {HEALTHY}
            depends_on: {{job: {{condition: service_completed_successfully}}}}
        """)
    messages = " | ".join(m for _, m in errs)
    assert "pins container_name" in messages and "one-shot jobs need restart" in messages


def test_long_running_service_without_healthcheck_is_a_warning():
    found = findings("""
        services:
          a: {image: a}
        """)
    assert found == [("warn", "x.yml:3",
                      "a is long-running but has no healthcheck, so nothing can wait for it to be ready")]


def test_broken_yaml_names_the_line():
    found = findings("services:\n  a: [unclosed\n")
    assert found[0][0] == "error" and found[0][1].startswith("x.yml:") and "not valid YAML" in found[0][2]


def test_interpolation_and_port_parsing():
    assert interpolate("${A:-x}-${B}-$${C}", {"B": "2"}) == "x-2-${C}"
    assert host_ports("${P:-8080}:80", {}) == [(8080, "tcp")]
    assert host_ports("80", {}) == []
    assert host_ports({"published": "53", "protocol": "udp"}, {}) == [(53, "udp")]


def test_catalog_profiles_are_closed_and_gateway_has_no_dependencies():
    catalog = platform_catalog()
    for profile, members in catalog.profiles.items():
        model = render(catalog, profile)
        assert set(model["services"]) == set(members)
        for _name, svc in model["services"].items():
            assert "container_name" not in svc
            assert set(svc.get("depends_on", {})) <= set(members)
            if "healthcheck" in svc:
                assert svc["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
            else:  # nothing to probe: said so, so that nothing waits for a health it never reports
                assert svc["labels"]["com.sentiric.readiness"] == "running"
    assert not any("depends_on" in s for s in render(catalog, "gateway")["services"].values())
    assert {"sip-sbc-service", "api-gateway"}.isdisjoint(catalog.profiles["core"])


def test_every_profile_passes_compose_check(tmp_path):
    res = inv("compose.check", "--all", state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 error(s), 0 warning(s)" in res.stdout
