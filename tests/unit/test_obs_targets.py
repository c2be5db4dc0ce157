"""`obs.status` reads Prometheus' /api/v1/targets: the pure summary it prints."""
from __future__ import annotations

from symphony.core.observability.targets import summarize_targets

# the shape of Prometheus 2.42's answer for the targets observability/prometheus/prometheus.yml makes
PAYLOAD = {"status": "success", "data": {"activeTargets": [
    {"labels": {"job": "sentiric", "service": "user-service", "project": "sentiric-demo",
                "container": "sentiric-demo-user-service-1", "instance": "172.18.0.5:8080"},
     "scrapeUrl": "http://172.18.0.5:8080/metrics", "health": "up", "lastError": ""},
    {"labels": {"job": "sentiric", "service": "broker", "project": "sentiric-demo",
                "container": "sentiric-demo-broker-1", "instance": "172.18.0.4:8080"},
     "scrapeUrl": "http://172.18.0.4:8080/metrics", "health": "down",
     "lastError": "Get \"http://172.18.0.4:8080/metrics\": connection refused"},
    {"labels": {"job": "prometheus", "instance": "127.0.0.1:9090"}, "health": "unknown"},
], "droppedTargets": []}}


def test_one_row_per_target_sorted_by_project_and_service():
    rows = summarize_targets(PAYLOAD)
    assert [(r["project"], r["service"], r["health"]) for r in rows] == [
        ("", "prometheus", "unknown"), ("sentiric-demo", "broker", "down"), ("sentiric-demo", "user-service", "up")]
    broker = rows[1]
    assert broker["container"] == "sentiric-demo-broker-1" and "connection refused" in broker["error"]
    assert rows[0]["address"] == "127.0.0.1:9090"  # no scrapeUrl yet: the instance label stands in


def test_an_empty_or_failed_answer_gives_no_rows():
    assert summarize_targets({}) == []
    assert summarize_targets({"status": "error", "data": None}) == []
    assert summarize_targets({"data": {"activeTargets": None}}) == []


def test_a_backend_is_shown_as_docker_reports_it_not_as_its_stale_health():
    """Docker keeps the last health ("unhealthy") on a stopped container; a crash loop is
    "running" between two crashes, with a RestartCount that says otherwise."""
    from symphony.app.observability import _backend_state
    from symphony.core.containers import ContainerState

    def backend(state, health="", restarts=0, one_shot=False, exit_code=0):
        return ContainerState("loki", "c", state, health, exit_code, "", "img", restarts=restarts, one_shot=one_shot)

    assert _backend_state(backend("running", "healthy")) == "healthy"
    assert _backend_state(backend("exited", "unhealthy", exit_code=137)) == "exited"
    assert _backend_state(backend("restarting", restarts=4)) == "restarting"
    assert _backend_state(backend("running", restarts=4)) == "running (restarted 4x)"
    assert _backend_state(backend("exited", one_shot=True)) == "completed"
