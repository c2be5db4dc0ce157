"""Observability configuration validated offline (what cannot run here: Grafana, Loki, Alloy,
Promtail, Tempo, Jaeger), plus the builders and the stack override."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import promql_parser
import pytest
import yaml

from symphony.core.observability.dashboard import DASHBOARD_UID, build_overview, prometheus_queries, runnable
from symphony.core.observability.datasources import build_datasources
from symphony.core.observability.override import COLLECTOR_LABEL, DRIVER, TAIL, obs_env, stack_override
from symphony.infra import state
from tests.invoke_helpers import ROOT, inv

OBS = ROOT / "observability"
SCHEMA = json.loads((Path(__file__).parent.parent / "schemas/grafana-dashboard.schema.json").read_text())


def test_dashboard_validates_against_the_dashboard_schema_and_pins_uids():
    dashboard = json.loads((OBS / "grafana/dashboards/overview.json").read_text())
    jsonschema.validate(dashboard, SCHEMA)
    assert dashboard["uid"] == DASHBOARD_UID
    uids = {d["uid"] for d in build_datasources()["datasources"]}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids
        assert all(t["datasource"]["uid"] in uids for t in panel["targets"])
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def _lost_or_changed(original, parsed, path=""):
    """Fields of `original` that Grafana's model dropped or altered (its added defaults are fine)."""
    if isinstance(original, dict) and isinstance(parsed, dict):
        return [p for k, v in original.items()
                for p in ([f"{path}/{k} dropped"] if k not in parsed
                          else _lost_or_changed(v, parsed[k], f"{path}/{k}"))]
    if isinstance(original, list) and isinstance(parsed, list) and len(original) == len(parsed):
        return [p for i, (a, b) in enumerate(zip(original, parsed, strict=True))
                for p in _lost_or_changed(a, b, f"{path}[{i}]")]
    return [] if original == parsed else [f"{path} changed: {original!r} -> {parsed!r}"]


def test_grafanas_own_dashboard_model_keeps_every_field():
    """Grafana's Foundation SDK is generated from Grafana's published dashboard schema: a field
    it does not know is dropped on the round trip, a value of the wrong type is changed."""
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models import dashboard as grafana_dashboard

    ours = json.loads((OBS / "grafana/dashboards/overview.json").read_text())
    parsed = json.loads(json.dumps(grafana_dashboard.Dashboard.from_json(ours), cls=JSONEncoder))
    assert _lost_or_changed(ours, parsed) == []
    broken = build_overview()
    broken["panels"][0]["gridPos"]["wide"] = 3
    broken["templating"]["list"][0]["definition"] = "legacy"
    parsed = json.loads(json.dumps(grafana_dashboard.Dashboard.from_json(broken), cls=JSONEncoder))
    assert sorted(_lost_or_changed(broken, parsed)) == ["/panels[0]/gridPos/wide dropped",
                                                        "/templating/list[0]/definition dropped"]


def test_schema_rejects_a_broken_dashboard():
    broken = build_overview()
    broken["panels"][0]["gridPos"]["w"] = 30
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_every_promql_expression_parses():
    queries = prometheus_queries(build_overview())
    assert len(queries) >= 9
    for q in queries:
        promql_parser.parse(runnable(q))
    with pytest.raises(Exception):  # noqa: B017 (the parser raises a plain Exception)
        promql_parser.parse("sum by (service) (rate(http_requests_total[5m])")


def test_overview_covers_what_operators_look_at():
    titles = " | ".join(p["title"] for p in build_overview()["panels"]).lower()
    for word in ("up", "scrape", "restarts", "request rate", "error", "latency", "log volume"):
        assert word in titles
    loki = [p for p in build_overview()["panels"] if p["datasource"]["type"] == "loki"]
    assert loki and all("service" in t["expr"] for p in loki for t in p["targets"])
    # Prometheus' `up` exists only for services that declare a metrics endpoint: panels built on
    # it say so, rather than claiming to count services
    on_up = [p for p in build_overview()["panels"] if any(re.search(r"\bup\{", t["expr"]) for t in p["targets"])]
    assert len(on_up) == 3 and all("metrics endpoint" in p["title"].lower() for p in on_up), [p["title"] for p in on_up]
    assert not [p for p in build_overview()["panels"] if p["title"].lower().startswith("services")]


def test_generated_files_are_up_to_date(tmp_path):
    res = inv("obs.render", "--check", state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool not installed (Debian: apt-get install prometheus)")
def test_promtool_accepts_prometheus_yml():
    res = subprocess.run(["promtool", "check", "config", str(OBS / "prometheus/prometheus.yml")], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_prometheus_discovers_sentiric_net_with_labels_opt_out_and_dedupe():
    cfg = yaml.safe_load((OBS / "prometheus/prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    assert set(jobs) == {"sentiric", "observability"}  # no static target that is down when its backend is not
    job = jobs["sentiric"]
    sd = job["docker_sd_configs"][0]
    assert sd["filters"] == [{"name": "network", "values": ["sentiric-net"]}]
    rules = job["relabel_configs"]
    targets = {r.get("target_label") for r in rules}
    assert {"service", "project", "container", "__address__", "__metrics_path__"} <= targets
    assert any(r.get("action") == "drop" and "com_sentiric_metrics_enabled" in r["source_labels"][0] for r in rules)
    assert any(r.get("action") == "keep" and r["source_labels"] == ["__meta_docker_network_name"] for r in rules)
    assert {"source_labels": ["__meta_docker_container_label_com_sentiric_observability"], "regex": "true",
            "action": "drop"} in rules  # the platform job never counts a backend


def test_the_backends_scrape_themselves_while_they_run():
    """The `observability` job lists (Docker API filter) only the stack's containers, at the metrics
    port each declares: Prometheus, Loki and Tempo serve /metrics on their HTTP port, Grafana on
    3000 unless [metrics] is disabled (conf/defaults.ini), Alloy on its HTTP server, Promtail on
    server.http_listen_port, Jaeger v2 on its telemetry reader (8888, bound to 0.0.0.0 in
    jaeger/config.yml as in jaegertracing/jaeger@v2.5.0 cmd/jaeger/config.yaml)."""
    cfg = yaml.safe_load((OBS / "prometheus/prometheus.yml").read_text())
    job = next(j for j in cfg["scrape_configs"] if j["job_name"] == "observability")
    assert job["docker_sd_configs"][0]["filters"] == [{"name": "network", "values": ["sentiric-net"]},
                                                      {"name": "label", "values": ["com.sentiric.observability=true"]}]
    assert {"source_labels": ["__meta_docker_container_label_com_sentiric_metrics_port"], "regex": ".+",
            "action": "keep"} in job["relabel_configs"]
    services = json.loads(compose_config().stdout)["services"]
    ports = {name: svc["labels"].get("com.sentiric.metrics.port") for name, svc in services.items()}
    promtail = yaml.safe_load((OBS / "promtail/promtail.yml").read_text())
    jaeger = yaml.safe_load((OBS / "jaeger/config.yml").read_text())
    jaeger_reader = jaeger["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    alloy_listen = next(a for a in services["alloy"]["command"] if a.startswith("--server.http.listen-addr="))
    assert ports == {
        "prometheus": "9090", "grafana": "3000", "loki": str(yaml.safe_load((OBS / "loki/loki.yml").read_text())[
            "server"]["http_listen_port"]),
        "alloy": alloy_listen.rsplit(":", 1)[1], "promtail": str(promtail["server"]["http_listen_port"]),
        "tempo": str(yaml.safe_load((OBS / "tempo/tempo.yml").read_text())["server"]["http_listen_port"]),
        "jaeger": str(jaeger_reader["port"]), "alloy-init": None, "promtail-init": None}
    assert jaeger_reader["host"] == "0.0.0.0" and alloy_listen.startswith("--server.http.listen-addr=0.0.0.0:")


def compose_config(*extra, password="x", socket_gid="998", extra_env=None):
    env = dict(os.environ)
    for key in ("GRAFANA_ADMIN_PASSWORD", "DOCKER_SOCKET_GID", "DOCKER_SOCKET_PATH",
                "PROMETHEUS_REMOTE_WRITE_RECEIVER"):
        env.pop(key, None)
    env.update(extra_env or {})
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    if socket_gid is not None:
        env["DOCKER_SOCKET_GID"] = socket_gid
    from symphony.infra.runner import Runner

    base = Runner(echo=False).compose_base
    return subprocess.run([*base, "-f", str(OBS / "compose.yml"), "--profile", "*", *extra, "config", "--format",
                           "json"],
                          capture_output=True, text=True, env=env)


def test_observability_compose_file_is_valid_and_binds_uis_to_loopback():
    res = compose_config()
    assert res.returncode == 0, res.stderr
    model = json.loads(res.stdout)
    assert set(model["services"]) == {"prometheus", "grafana", "loki", "alloy", "promtail", "tempo", "jaeger",
                                      "alloy-init", "promtail-init"}
    for name, svc in model["services"].items():
        for port in svc.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name
        assert svc["labels"]["com.sentiric.observability"] == "true"
    assert model["networks"]["default"]["name"] == "sentiric-net"
    assert model["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "x"


def test_admin_endpoints_are_off_for_the_containers_on_sentiric_net():
    """Prometheus' lifecycle (/-/quit, /-/reload) and admin (/api/v1/admin/tsdb/*) APIs exist only
    with --web.enable-lifecycle / --web.enable-admin-api. Loki's delete API is registered whenever
    retention is on (grafana/loki@v3.5.0 pkg/loki/modules.go, initCompactor) and refused per tenant
    with 403 when deletion_mode is `disabled` (pkg/compactor/deletion/tenant_request_handler.go;
    the default is filter-and-delete, pkg/validation/limits.go)."""
    model = json.loads(compose_config().stdout)
    flags = model["services"]["prometheus"]["command"]
    assert not [f for f in flags if f.startswith(("--web.enable-lifecycle", "--web.enable-admin-api"))]
    loki = yaml.safe_load((OBS / "loki/loki.yml").read_text())
    assert loki["compactor"]["retention_enabled"] is True and loki["limits_config"]["deletion_mode"] == "disabled"


def test_grafana_password_is_required():
    res = compose_config(password=None)
    assert res.returncode != 0 and "GRAFANA_ADMIN_PASSWORD" in res.stderr


def test_the_socket_group_is_required_never_guessed():
    """A default group (0) would leave discovery without access on most engines: Prometheus would
    find no targets and say nothing."""
    res = compose_config(socket_gid=None)
    assert res.returncode != 0 and "DOCKER_SOCKET_GID" in res.stderr
    model = json.loads(compose_config().stdout)
    for name in ("prometheus", "alloy", "promtail"):
        svc = model["services"][name]
        assert svc["group_add"] == ["998"], name
        sockets = [(v["source"], v.get("read_only")) for v in svc["volumes"] if v["target"] == "/var/run/docker.sock"]
        assert sockets == [("/var/run/docker.sock", True)], name
    others = [n for n, svc in model["services"].items() if n not in ("prometheus", "alloy", "promtail")
              and any(v.get("target") == "/var/run/docker.sock" for v in svc.get("volumes", []))]
    assert others == []  # nothing else gets the socket


def test_tempo_generates_the_service_graph_into_prometheus_only_when_it_runs():
    """Without metrics_generator.storage.path Tempo's generator is disabled (grafana/tempo@v2.7.2
    modules/generator/generator.go, ErrUnconfigured) and Grafana's service map is empty; the
    processors are enabled per tenant in overrides.defaults.metrics_generator.processors
    (modules/overrides/config.go), named service-graphs and span-metrics (processor/*/config.go).
    Prometheus accepts its remote writes only with --web.enable-remote-write-receiver, which
    obs.up passes only with Tempo (kingpin's --no- form otherwise)."""
    tempo = yaml.safe_load((OBS / "tempo/tempo.yml").read_text())
    generator = tempo["metrics_generator"]
    assert generator["storage"]["path"].startswith("/var/tempo/")  # on the tempo-data volume
    assert [w["url"] for w in generator["storage"]["remote_write"]] == ["http://prometheus:9090/api/v1/write"]
    assert {"service-graphs", "span-metrics"} <= set(tempo["overrides"]["defaults"]["metrics_generator"]["processors"])
    flags = json.loads(compose_config().stdout)["services"]["prometheus"]["command"]
    assert "--no-web.enable-remote-write-receiver" in flags
    on = compose_config(extra_env={"PROMETHEUS_REMOTE_WRITE_RECEIVER": "--web.enable-remote-write-receiver"})
    assert "--web.enable-remote-write-receiver" in json.loads(on.stdout)["services"]["prometheus"]["command"]


def test_tempo_receives_otlp_on_every_interface():
    cfg = yaml.safe_load((OBS / "tempo/tempo.yml").read_text())
    protocols = cfg["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317" and protocols["http"]["endpoint"] == "0.0.0.0:4318"
    jaeger = yaml.safe_load((OBS / "jaeger/config.yml").read_text())
    assert jaeger["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "0.0.0.0:4317"


def alloy_docker_filters(text: str) -> list[dict]:
    """The filter blocks of config.alloy's discovery.docker component, as Prometheus-style filters."""
    block = re.search(r'discovery\.docker "sentiric" \{(.*?)\n\}', text, re.S)[1]
    return [{"name": name, "values": re.findall(r'"([^"]*)"', values)}
            for name, values in re.findall(
                r'filter\s*\{\s*name\s*=\s*"([^"]+)"\s*values\s*=\s*\[([^\]]*)\]\s*\}', block)]


TAIL_FILTERS = [{"name": "network", "values": ["sentiric-net"]},
                {"name": "label", "values": [f"{COLLECTOR_LABEL}={TAIL}"]}]


def test_collectors_choose_containers_with_docker_api_filters_not_relabel_rules():
    """Promtail 3.5 tails every container its discovery lists and ignores keep/drop (applied per
    line, the verdict discarded: grafana/loki@v3.5.0 clients/pkg/promtail/targets/docker/target.go
    handleOutput); Alloy's loki.source.docker does the same with its own relabel_rules
    (grafana/alloy@v1.8.3 .../loki/source/docker/internal/dockertarget/target.go). So what is
    read must be what the engine lists: both send the same filters to ContainerList."""
    alloy = (OBS / "alloy/config.alloy").read_text()
    assert alloy_docker_filters(alloy) == TAIL_FILTERS
    source = re.search(r'loki\.source\.docker "sentiric" \{(.*?)\n\}', alloy, re.S)[1]
    assert "relabel_rules" not in source and re.search(r"targets\s*=\s*discovery\.relabel\.sentiric\.output", source)
    relabel = re.search(r'discovery\.relabel "sentiric" \{(.*?)\n\}', alloy, re.S)[1]
    assert "action" not in relabel  # labels only: nothing is kept or dropped there either
    assert alloy.count("{") == alloy.count("}")
    promtail = yaml.safe_load((OBS / "promtail/promtail.yml").read_text())
    job = promtail["scrape_configs"][0]
    assert job["docker_sd_configs"][0]["filters"] == TAIL_FILTERS
    assert all(r.get("action", "replace") == "replace" for r in job["relabel_configs"])
    for config in (alloy, yaml.safe_dump(job)):
        for label in ("service", "project", "container"):
            assert re.search(rf"target_label:?\s*=?\s*\"?{label}\"?", config), label
    loki = yaml.safe_load((OBS / "loki/loki.yml").read_text())
    assert loki["server"]["http_listen_port"] == 3100 and loki["auth_enabled"] is False


def test_each_container_is_read_by_the_collector_or_the_driver_never_both():
    model = {"services": {"api": {}, "prometheus": {"labels": {"com.sentiric.observability": "true"}}}}
    assert stack_override(model)["services"]["api"]["labels"] == {COLLECTOR_LABEL: TAIL}
    driven = stack_override(model, log_driver="loki")["services"]["api"]
    assert driven["labels"] == {COLLECTOR_LABEL: DRIVER} and driven["logging"]["driver"] == "loki"
    stack = json.loads(compose_config().stdout)["services"]
    assert {name: svc["labels"][COLLECTOR_LABEL] for name, svc in stack.items()} == {name: TAIL for name in stack}
    assert not [name for name, svc in stack.items() if (svc.get("logging") or {}).get("driver") == "loki"]


def test_collectors_run_unprivileged_with_their_positions_on_a_volume():
    """Alloy's and Promtail's images run as root (grafana/alloy@v1.8.3 Dockerfile has a user 473 but
    no USER; grafana/loki@v3.5.0 clients/cmd/promtail/Dockerfile has neither), so `user:` is what
    makes group_add the only way to the socket. Positions: Alloy's loki.source.docker keeps them
    in <storage.path>/<component>/positions.yml (.../loki/source/docker/docker.go), Promtail in
    positions.filename; both on a volume that a one-shot init gives to the collector's user."""
    model = json.loads(compose_config().stdout)
    services = model["services"]
    promtail = yaml.safe_load((OBS / "promtail/promtail.yml").read_text())
    storage = next(a.split("=", 1)[1] for a in services["alloy"]["command"] if a.startswith("--storage.path="))
    state_dirs = {"alloy": storage, "promtail": os.path.dirname(promtail["positions"]["filename"])}
    for name, directory in state_dirs.items():
        svc, init = services[name], services[f"{name}-init"]
        uid = svc["user"].split(":")[0]
        assert uid.isdigit() and int(uid) != 0, name
        assert svc["group_add"] == ["998"]
        volume = next(v for v in svc["volumes"] if v["target"] == directory)
        assert volume["type"] == "volume" and volume["source"] in model["volumes"], name
        assert svc["depends_on"][f"{name}-init"]["condition"] == "service_completed_successfully"
        assert init["entrypoint"] == ["chown", "-R", svc["user"], directory] and init["user"] == "0"
        assert [v["source"] for v in init["volumes"]] == [volume["source"]] and "group_add" not in init
        assert init["image"] == svc["image"] and init["restart"] == "no"


def test_stack_override_instruments_platform_services_only():
    model = {"services": {"api": {}, "db": {"labels": {}},
                          "prometheus": {"labels": {"com.sentiric.observability": "true"}}}}
    plain = stack_override(model)["services"]
    assert set(plain) == {"api", "db"}
    assert plain["api"]["environment"] == {"OTEL_EXPORTER_OTLP_ENDPOINT": "${OTEL_EXPORTER_OTLP_ENDPOINT}",
                                           "OTEL_SERVICE_NAME": "api"}
    assert "logging" not in plain["api"]
    driven = stack_override(model, log_driver="loki")["services"]["api"]
    options = driven["logging"]["options"]
    assert driven["logging"]["driver"] == "loki" and options["mode"] == "non-blocking"
    assert options["loki-url"].startswith("http://127.0.0.1:") and int(options["loki-retries"]) <= 3
    assert options["loki-timeout"] == "1s" and options["max-buffer-size"]
    assert driven["labels"] == {COLLECTOR_LABEL: DRIVER}


# Every log-opt the loki driver accepts (grafana/loki@v3.5.0 clients/cmd/docker-driver/config.go,
# validateDriverOpt): any other key makes the engine refuse to create the container.
LOKI_DRIVER_OPTS = {
    "loki-external-labels", "loki-url", "loki-tls-ca-file", "loki-tls-cert-file", "loki-tls-key-file",
    "loki-tls-server-name", "loki-tls-insecure-skip-verify", "loki-timeout", "loki-proxy-url", "loki-batch-wait",
    "loki-batch-size", "loki-min-backoff", "loki-max-backoff", "loki-retries", "loki-pipeline-stages",
    "loki-pipeline-stage-file", "loki-tenant-id", "loki-relabel-config", "no-file", "keep-file", "labels", "env",
    "env-regex", "max-size", "max-file", "mode", "max-buffer-size"}
UNITS = {"k": 10**3, "m": 10**6, "g": 10**9}  # docker/go-units FromHumanSize: decimal k, m, g


def test_loki_driver_options_are_known_to_the_driver_and_bound_the_local_copy():
    """The driver keeps a json-file copy of every container's log for `docker logs` (driver.go:
    jsonfilelog.New unless no-file); without max-size it grows without limit (jsonfilelog: -1)."""
    options = stack_override({"services": {"api": {}}}, log_driver="loki")["services"]["api"]["logging"]["options"]
    assert set(options) <= LOKI_DRIVER_OPTS
    size = re.fullmatch(r"(\d+)([kmg])", options["max-size"])
    assert size and int(size[1]) > 0, options["max-size"]
    files = int(options["max-file"])
    assert files >= 1
    assert int(size[1]) * UNITS[size[2]] * files <= 100 * 10**6  # a bounded copy per container
    assert options.get("no-file", "false") == "false"  # `docker logs` keeps working


def test_stack_override_takes_explicit_endpoints_and_refuses_unknown_drivers():
    model = {"services": {"api": None, "worker": {"labels": {"com.sentiric.observability": "false"}}}}
    out = stack_override(model, log_driver="loki", loki_push_url="http://127.0.0.1:3999/loki/api/v1/push",
                         otlp_endpoint="http://otlp:4317")["services"]
    assert set(out) == {"api", "worker"}
    assert out["worker"]["environment"] == {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otlp:4317",
                                            "OTEL_SERVICE_NAME": "worker"}
    assert out["api"]["logging"]["options"]["loki-url"] == "http://127.0.0.1:3999/loki/api/v1/push"
    with pytest.raises(ValueError, match="fluentd"):
        stack_override(model, log_driver="fluentd")
    assert obs_env(False) == {} and obs_env(True) == {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otlp:4318"}


@pytest.mark.parametrize("profile", state.known_profiles())
def test_loki_driver_rendering_of_every_profile_is_valid_compose(profile, tmp_path):
    from symphony.infra.runner import Runner

    override = tmp_path / "override.yml"
    model = yaml.safe_load((ROOT / f"compose/{profile}.yml").read_text())
    override.write_text(yaml.safe_dump(stack_override(model, log_driver="loki")))
    env_file = tmp_path / "env"
    res = inv("env.generate", "--profile", profile, "--output", str(env_file), state_dir=tmp_path)
    assert res.returncode == 0
    res = subprocess.run([*Runner(echo=False).compose_base, "-f", str(ROOT / f"compose/{profile}.yml"),
                          "-f", str(override),
                          "--env-file", str(env_file), "config", "--format", "json"], capture_output=True, text=True,
                         env=dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT="http://otlp:4318"))
    assert res.returncode == 0, res.stderr
    services = json.loads(res.stdout)["services"]
    for name, svc in services.items():
        assert svc["logging"]["driver"] == "loki" and svc["logging"]["options"]["mode"] == "non-blocking"
        assert svc["logging"]["options"]["max-size"] and svc["logging"]["options"]["max-file"]
        # `config` re-escapes `$` in its output: `$$1` here is the literal `$1` the driver receives
        assert "replacement: $$1\n" in svc["logging"]["options"]["loki-relabel-config"]
        assert svc["environment"]["OTEL_SERVICE_NAME"] == name
