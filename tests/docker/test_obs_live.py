"""INFRA-001 live: the demo stack plus a real Prometheus running the project's prometheus.yml."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from symphony.core.observability.dashboard import build_overview, prometheus_queries, runnable
from tests.invoke_helpers import ROOT
from tests.stack_helpers import Stack, docker, free_port, remove_project
from tests.standins import build_prometheus

DEMO_SERVICES = {"datastore", "broker", "user-service", "agent-service", "api-gateway"}


def api(port, path, **params):
    url = f"http://127.0.0.1:{port}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)["data"]


def targets(port, project):
    return {t["labels"].get("service"): t for t in api(port, "targets", state="active")["activeTargets"]
            if t["labels"].get("project") == project}


def dropped(port) -> set[str]:
    """Containers discovery found but the relabel rules dropped (by container name)."""
    return {t["discoveredLabels"].get("__meta_docker_container_name", "").lstrip("/")
            for t in api(port, "targets", state="dropped")["droppedTargets"]}


def eventually(check, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as exc:  # Prometheus still starting
            last = exc
        time.sleep(1)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last})")


@pytest.fixture(scope="module")
def observed_demo(tmp_path_factory):
    """One demo stack and one Prometheus for the module: bringing them up is most of the time."""
    # builds the image from Debian's binary only when missing; kept afterwards for later runs
    prometheus_image = build_prometheus(ROOT)
    stack = Stack(tmp_path_factory.mktemp("obs"), "obs")
    port = free_port()
    env = {"PROMETHEUS_PORT": str(port), "PROMETHEUS_IMAGE": prometheus_image}
    try:
        res = stack("start", "--offline", "--set", "API_GATEWAY_HOST_PORT=0")
        assert res.returncode == 0, res.stdout + res.stderr
        res = stack("obs.up", "-s", "prometheus", env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        yield stack, port, env
    finally:
        remove_project(stack.prefix + "obs")  # first: its containers hold the network that cleanup removes
        stack.cleanup()


def test_prometheus_discovers_every_demo_service_and_runtime_changes(observed_demo):
    stack, port, env = observed_demo
    project = stack.project("demo")
    started = time.monotonic()
    found = eventually(lambda: (lambda t: t if DEMO_SERVICES <= set(t) and all(
        t[s]["health"] == "up" for s in DEMO_SERVICES) else None)(targets(port, project)), 30, "all demo targets up")
    assert time.monotonic() - started <= 30
    answer = api(port, "query", query=f'up{{project="{project}"}}')["result"]
    up = {r["metric"]["service"]: r["value"][1] for r in answer}
    assert {s: up.get(s) for s in DEMO_SERVICES} == {s: "1" for s in DEMO_SERVICES}
    for service in DEMO_SERVICES:
        labels = found[service]["labels"]
        assert labels["container"].startswith(f"{project}-{service}-")
        assert found[service]["scrapeUrl"].endswith(":8080/metrics")
    assert "migrate" not in found  # a finished one-shot job is not a target

    # added at runtime: "extra" has a metrics-port label, two TCP ports and a second network: one
    # target; "plain" declares no metrics endpoint (a TCP port and an RTP-like UDP range): none;
    # "quiet" opts out: none. Discovery having seen all three is read from the dropped targets.
    side_net = f"{project}-side"
    names = {svc: f"{project}-{svc}" for svc in ("extra", "plain", "quiet")}
    extra_args = {"extra": ["--label", "com.sentiric.metrics.port=8080", "--expose", "8080", "--expose", "9999"],
                  "plain": ["--expose", "8080", "--expose", "10000-10020/udp"],
                  "quiet": ["--label", "com.sentiric.metrics.enabled=false"]}
    docker("network", "create", side_net)
    try:
        for svc, name in names.items():
            docker("run", "-d", "--name", name, "--network", stack.network,
                   "--label", f"com.docker.compose.project={project}", "--label", f"com.docker.compose.service={svc}",
                   *extra_args[svc], "-e", f"SERVICE_NAME={svc}", f"{project}-broker:latest")
        docker("network", "connect", side_net, names["extra"])
        eventually(lambda: targets(port, project).get("extra", {}).get("health") == "up", 30, "extra scraped")
        eventually(lambda: {names["plain"], names["quiet"]} <= dropped(port), 30, "plain and quiet discovered")
        active = api(port, "targets", state="active")["activeTargets"]
        mine = [t for t in active if t["labels"].get("service") == "extra" and t["labels"].get("project") == project]
        assert len(mine) == 1 and mine[0]["scrapeUrl"].endswith(":8080/metrics"), mine  # every port, one target
        assert not [t for t in active if t["labels"].get("service") in ("plain", "quiet")
                    and t["labels"].get("project") == project]
    finally:
        docker("rm", "-f", *names.values(), check=False)
        docker("network", "rm", side_net, check=False)
    eventually(lambda: "extra" not in targets(port, project), 30, "removed service dropped")

    status = stack("obs.status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    rows = [t for t in json.loads(status.stdout)["targets"] if t["project"] == project]
    assert {r["service"] for r in rows} == DEMO_SERVICES and {r["health"] for r in rows} == {"up"}


def test_every_overview_query_returns_data(observed_demo):
    stack, port, _ = observed_demo
    project = stack.project("demo")
    eventually(lambda: len(targets(port, project)) >= 5, 30, "demo discovered")
    queries = [runnable(q) for q in prometheus_queries(build_overview())]

    def all_have_data():
        empty = [q for q in queries if not api(port, "query", query=q)["result"]]
        return not empty or None

    eventually(all_have_data, 60, "every dashboard query answered")

    # the demo serves 200s and some 500s: the 5xx ratio is per service, a fraction, never NaN
    (ratio,) = [runnable(t["expr"]) for p in build_overview()["panels"] if p["title"] == "Error ratio (5xx)"
                for t in p["targets"]]

    def ratios():
        found = {r["metric"].get("service"): float(r["value"][1]) for r in api(port, "query", query=ratio)["result"]}
        return found if set(found) == DEMO_SERVICES and all(0 < v < 1 for v in found.values()) else None

    eventually(ratios, 60, "a 5xx ratio per demo service")


def test_lifecycle_and_admin_apis_refuse_the_network(observed_demo):
    """Any container on sentiric-net reaches Prometheus: the real binary must refuse to quit,
    reload or delete series for it."""
    _, port, _ = observed_demo
    answers = {}
    for path in ("/-/quit", "/-/reload", "/api/v1/admin/tsdb/delete_series?match[]=up"):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST")
        try:
            urllib.request.urlopen(request, timeout=5)
            answers[path] = "accepted"
        except urllib.error.HTTPError as exc:
            answers[path] = exc.read().decode()
    assert "Lifecycle API is not enabled" in answers["/-/quit"], answers
    assert "Lifecycle API is not enabled" in answers["/-/reload"], answers
    assert "admin APIs disabled" in answers["/api/v1/admin/tsdb/delete_series?match[]=up"], answers
    assert api(port, "status/buildinfo")["version"]  # and it is still running


def remote_write_status(port) -> int:
    """The real Prometheus' answer to an (empty, hence undecodable) remote write."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/write", data=b"", method="POST")
    try:
        return urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_remote_write_is_received_with_tempo_the_default_trace_backend(observed_demo):
    _, port, _ = observed_demo
    assert remote_write_status(port) == 400  # the receiver is there (and refuses a body that is not snappy)
