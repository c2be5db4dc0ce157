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
