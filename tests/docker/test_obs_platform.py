"""core and prod under the project's real Prometheus, on stand-ins built from the catalog's facts
(they serve /metrics exactly where the catalog says the service does, and nothing else): every
running, healthy service with a metrics endpoint is an `up` target, no target is down, `obs.plan`
predicted exactly those targets, and the Overview dashboard's own expressions say so (the down
panels read 0, the 5xx ratio reads 0 rather than "No data")."""
from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request

import pytest

from symphony.app.platform import platform_catalog
from symphony.core.observability.dashboard import build_overview, runnable
from tests.docker.test_obs_live import eventually
from tests.docker.test_stack_platform import certificates, settings_args  # noqa: F401 (certificates is a fixture)
from tests.invoke_helpers import ROOT
from tests.stack_helpers import Stack, free_port, project_containers, remove_project
from tests.standins import build_prometheus, build_standins

pytestmark = pytest.mark.docker


def query(port: int, path: str, **params):
    url = f"http://127.0.0.1:{port}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)["data"]


def planned(stack, profile: str) -> dict[str, str]:
    """service -> ":port/path" from `inv obs.plan`, as a user reads it."""
    res = stack("obs.plan", "--profile", profile)
    assert res.returncode == 0, res.stdout + res.stderr
    rows = [line.split() for line in res.stdout.splitlines() if line.startswith("ok ")]
    return {row[1]: row[2] for row in rows}


def scraped(port: int, project: str) -> dict[str, dict]:
    active = query(port, "targets", state="active")["activeTargets"]
    return {t["labels"]["service"]: t for t in active if t["labels"].get("project") == project
            and t["labels"]["job"] == "sentiric"}


def healthy_services(project: str) -> set[str]:
    """Running, and healthy where the container has a healthcheck."""
    out = set()
    for c in project_containers(project):
        state = c["State"]
        if state["Status"] == "running" and (state.get("Health") or {}).get("Status", "healthy") == "healthy":
            out.add(c["Config"]["Labels"]["com.docker.compose.service"])
    return out


def panel_expr(title_word: str) -> list[str]:
    return [runnable(t["expr"]) for p in build_overview()["panels"] if title_word in p["title"].lower()
            for t in p["targets"] if t["datasource"]["type"] == "prometheus"]


@pytest.mark.parametrize("profile", ["core", "prod"])
def test_every_healthy_service_with_a_metrics_endpoint_is_up_and_nothing_is_down(profile, tmp_path, certificates):  # noqa: F811
    catalog = platform_catalog()
    build_standins(catalog, profile)
    prometheus_image = build_prometheus(ROOT)
    stack = Stack(tmp_path, f"obs{profile}")
    project = stack.project(profile)
    port = free_port()
    env = {"PROMETHEUS_PORT": str(port), "PROMETHEUS_IMAGE": prometheus_image}
    try:
        res = stack("start", "--profile", profile, "--offline", "--timeout", "150", *settings_args(certificates),
                    timeout=400)
        assert res.returncode == 0, res.stdout + res.stderr
        plan = planned(stack, profile)
        assert plan and all(re.fullmatch(r":\d+/\S*", where) for where in plan.values()), plan
        # the catalog's facts: a service is planned exactly when it has a metrics endpoint
        assert set(plan) == {n for n in catalog.profiles[profile] if catalog.services[n].metrics}
        started = time.monotonic()
        res = stack("obs.up", "-s", "prometheus", env=env)
        assert res.returncode == 0, res.stdout + res.stderr

        def all_scraped():  # the platform's targets are discovered, and every target (Prometheus' own too) scraped once
            targets = scraped(port, project)
            every = query(port, "targets", state="active")["activeTargets"]
            return targets if set(targets) >= set(plan) and "unknown" not in {t["health"] for t in every} else None

        targets = eventually(all_scraped, 90, "every planned target discovered and scraped")
        assert set(targets) == set(plan)
        elapsed = time.monotonic() - started
        healthy = healthy_services(project)
        assert set(plan) <= healthy  # every planned service is running and healthy ...
        for service, target in targets.items():  # ... and scraped where the plan said
            url = urllib.parse.urlsplit(target["scrapeUrl"])
            assert f":{url.port}{url.path}" == plan[service], (service, target["scrapeUrl"])
        # nothing else on the platform's network is a target, and no target at all is down
        everything = query(port, "targets", state="active")["activeTargets"]
        assert {t["health"] for t in everything} == {"up"}, [(t["labels"], t["lastError"]) for t in everything
                                                             if t["health"] != "up"]
        assert {t["labels"]["service"] for t in everything if t["labels"]["job"] == "sentiric"} == set(plan)

        # the dashboard, through its own expressions (what Grafana sends with "All" selected)
        def value(expr):
            result = query(port, "query", query=expr)["result"]
            return {r["metric"].get("service", ""): r["value"][1] for r in result}

        (down,) = [e for e in panel_expr("down") if e.startswith("count(")]
        assert value(down) == {"": "0"}
        (timeline,) = [e for e in panel_expr("up / down per service")]
        assert value(timeline) == {s: "1" for s in plan}
        (endpoints_up,) = [e for e in panel_expr("metrics endpoints up")]
        assert value(endpoints_up) == {"": str(len(plan))}
        (ratio,) = panel_expr("error ratio")
        assert value(ratio) == {"no requests": "0"}  # the stand-ins serve no http_requests_total: 0, not "No data"
        print(f"{profile}: {len(plan)} targets up {elapsed:.1f}s after obs.up started; {len(healthy)} services healthy")
    finally:
        remove_project(stack.prefix + "obs")  # first: its containers hold the network that cleanup removes
        stack.cleanup()
