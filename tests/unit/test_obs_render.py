"""What obs.up writes for the backends to read: config files readable by their non-root users
whatever the checkout's umask, the platform network's real name, and the Grafana datasources of
the trace backend that runs."""
from __future__ import annotations

import os
import re
import stat

import pytest
import yaml

from symphony.app.observability import CONFIG_FILES, render_runtime_configs
from symphony.core.observability.dashboard import build_overview
from symphony.core.observability.datasources import build_datasources
from tests.invoke_helpers import ROOT


@pytest.fixture
def umask_077():
    old = os.umask(0o077)
    yield
    os.umask(old)


def test_configs_are_readable_by_the_non_root_backends_under_umask_077(tmp_path, umask_077):
    """Prometheus runs as 65534, Loki and Tempo as 10001, Grafana as 472, Alloy as 473: a file
    that only its owner may read stops them at start."""
    target = render_runtime_configs("sentiric-net", target=tmp_path / "obs")
    files = [p for p in target.rglob("*") if p.is_file()]
    assert {str(p.relative_to(target)).split("/")[0] for p in files} == {c.split("/")[0] for c in CONFIG_FILES}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for directory in [target, *(p for p in target.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o755, directory


def test_the_discovery_rules_name_the_platform_network_they_run_on(tmp_path):
    target = render_runtime_configs("symtest-abc-net", target=tmp_path / "obs")
    for rel in ("prometheus/prometheus.yml", "promtail/promtail.yml"):
        config = yaml.safe_load((target / rel).read_text())
        for job in config["scrape_configs"]:
            for sd in job["docker_sd_configs"]:
                assert {"name": "network", "values": ["symtest-abc-net"]} in sd["filters"], rel
    assert '"symtest-abc-net"' in (target / "alloy/config.alloy").read_text()
    assert "sentiric-net" not in (target / "prometheus/prometheus.yml").read_text().split("#")[0]


@pytest.mark.parametrize("tracing, link, present, deleted", [
    ("tempo", "sentiric-tempo", {"Prometheus", "Loki", "Tempo"}, {"Jaeger"}),
    ("jaeger", "sentiric-jaeger", {"Prometheus", "Loki", "Jaeger"}, {"Tempo"}),
    ("none", None, {"Prometheus", "Loki"}, {"Tempo", "Jaeger"}),
])
def test_the_trace_link_in_logs_opens_the_backend_that_runs(tmp_path, tracing, link, present, deleted):
    target = render_runtime_configs("sentiric-net", tracing=tracing, target=tmp_path / "obs")
    provisioned = yaml.safe_load((target / "grafana/provisioning/datasources/datasources.yml").read_text())
    sources = {d["name"]: d for d in provisioned["datasources"]}
    assert set(sources) == present
    # Grafana keeps provisioned datasources across restarts: the other backend's is deleted
    assert {d["name"] for d in provisioned["deleteDatasources"]} == deleted
    fields = sources["Loki"].get("jsonData", {}).get("derivedFields", [])
    assert [f["datasourceUid"] for f in fields] == ([link] if link else [])
    if link:
        assert link in {d["uid"] for d in sources.values()}
        trace = next(d for d in sources.values() if d["uid"] == link)
        assert trace["jsonData"]["tracesToLogsV2"]["datasourceUid"] == sources["Loki"]["uid"]
    if tracing == "tempo":  # the service map reads the metrics generator's series from Prometheus
        assert sources["Tempo"]["jsonData"]["serviceMap"]["datasourceUid"] == sources["Prometheus"]["uid"]
    used = {p["datasource"]["uid"] for p in build_overview()["panels"]}
    assert used <= {d["uid"] for d in sources.values()}  # the dashboard works with every backend


def test_the_committed_datasources_are_the_default_tempo_set():
    committed = yaml.safe_load((ROOT / "observability/grafana/provisioning/datasources/datasources.yml").read_text())
    assert committed == build_datasources("tempo")
    with pytest.raises(ValueError):
        build_datasources("zipkin")


def _collector_filters() -> dict[str, str]:
    """The label=value each collector's Docker filter selects, read from its shipped config."""
    alloy = (ROOT / "observability/alloy/config.alloy").read_text()
    promtail = (ROOT / "observability/promtail/promtail.yml").read_text()
    found = {"alloy": re.findall(r'values\s*=\s*\["(com\.sentiric\.logs\.collector=[^"]+)"\]', alloy),
             "promtail": re.findall(r'values:\s*\["(com\.sentiric\.logs\.collector=[^"]+)"\]', promtail)}
    assert all(len(v) == 1 for v in found.values()), found
    return {k: v[0] for k, v in found.items()}


@pytest.mark.parametrize("profile", ["demo", "dev", "core", "gateway", "prod"])
def test_a_plain_start_is_tailed_by_the_collector_obs_up_brings_later(profile):
    """`inv start` without --observability, then `inv obs.up`: Alloy/Promtail list containers by a
    label filter (the engine ANDs it), so every service of every profile must carry that label
    in its compose file, or its logs never reach Loki."""
    model = yaml.safe_load((ROOT / "compose" / f"{profile}.yml").read_text())
    for collector, wanted in _collector_filters().items():
        key, value = wanted.split("=", 1)
        missing = [name for name, svc in model["services"].items()
                   if str((svc.get("labels") or {}).get(key)) != value]
        assert not missing, f"{profile}: {collector} would never read {missing}"


@pytest.mark.parametrize("line,trace_id", [
    # zerolog JSON (sentiric-agent-service@51e2d7f internal/logger/logger.go:80; LOG_FORMAT=json is the shipped default)
    ('{"level":"info","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","message":"call started"}',
     "4bf92f3577b34da6a3ce929d0e0e4736"),
    # tracing-subscriber's JSON (the Rust services' `trace_id = %trace_id` field)
    ('{"timestamp":"2026-01-01T00:00:00Z","level":"WARN","fields":{"event":"RAG_QUERY_FAILED",'
     '"trace_id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427"}}', "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ('{"event": "x", "trace_id": "a1b2c3"}', "a1b2c3"),                  # a JSON encoder with blanks
    ("2026-01-01T00:00:00Z WARN event=RAG_QUERY_FAILED trace_id=c0ffee span_id=1", "c0ffee"),  # text format
])
def test_the_trace_link_finds_the_id_in_the_platforms_log_formats(line, trace_id):
    """Grafana's derived field takes the first group of `matcherRegex` in each Loki line."""
    import re

    from symphony.core.observability.datasources import build_datasources

    loki = next(s for s in build_datasources("tempo")["datasources"] if s["type"] == "loki")
    regex = loki["jsonData"]["derivedFields"][0]["matcherRegex"]
    assert re.search(regex, line).group(1) == trace_id
    assert re.search(regex, '{"level":"info","span_id":"x","message":"no trace here"}') is None
